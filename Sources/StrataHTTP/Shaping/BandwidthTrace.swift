import Foundation

/// A link's capacity over time, as a step function: each point sets the rate from its time
/// until the next point's; the last rate holds for ever.
///
/// The server paces every connection by one, and ``ABRSimulation`` replays the same traces in
/// simulated time, so a trace file describes one experiment for both. The file format (one
/// `seconds kbps` pair a line, `#` comments) is written down in `Specs/bandwidth-trace.md`.
public struct BandwidthTrace: Sendable, Hashable {
    /// One step of the trace.
    public struct Point: Sendable, Hashable, Codable {
        /// Seconds from the start of the experiment at which this rate begins.
        public var seconds: Double
        /// Link rate in kilobits (1000 bits) per second from then on; 0 is an outage.
        public var kbps: Double

        /// Creates a step.
        public init(seconds: Double, kbps: Double) {
            self.seconds = seconds
            self.kbps = kbps
        }
    }

    /// A short name for reports (the file name without extension for loaded traces).
    public var name: String
    /// The steps, strictly increasing in time; never empty.
    public private(set) var points: [Point]

    /// Creates a trace from steps; they must be non-empty, start at or after 0, strictly
    /// increase in time, and have non-negative finite rates.
    public init(name: String, points: [Point]) throws(BandwidthTraceError) {
        guard !points.isEmpty else { throw .empty(name: name) }
        for (i, p) in points.enumerated() {
            guard p.seconds.isFinite, p.seconds >= 0 else { throw .invalidTime(name: name, line: i + 1, seconds: p.seconds) }
            guard p.kbps.isFinite, p.kbps >= 0 else { throw .invalidRate(name: name, line: i + 1, kbps: p.kbps) }
            if i > 0, p.seconds <= points[i - 1].seconds { throw .timeNotIncreasing(name: name, line: i + 1, seconds: p.seconds) }
        }
        self.name = name
        self.points = points
    }

    /// A link of one fixed rate.
    public static func constant(kbps: Double, name: String? = nil) -> BandwidthTrace {
        // A single non-negative finite point always validates.
        (try? BandwidthTrace(name: name ?? "constant-\(Int(kbps))kbps", points: [Point(seconds: 0, kbps: max(0, kbps.isFinite ? kbps : 0))]))!
    }

    /// The same trace with every rate multiplied by `factor` (to fit a trace written for one
    /// stream's bitrates to a smaller or larger stream).
    public func scaled(by factor: Double) -> BandwidthTrace {
        let f = factor.isFinite && factor > 0 ? factor : 1
        var copy = self
        copy.points = points.map { Point(seconds: $0.seconds, kbps: $0.kbps * f) }
        if f != 1 { copy.name = "\(name)x\(f)" }
        return copy
    }

    /// Parses the text of a trace file: `seconds kbps` per line, blank lines and `#` comments ignored.
    public init(name: String, parsing text: String) throws(BandwidthTraceError) {
        var points: [Point] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," })
            if fields.isEmpty { continue }
            guard fields.count == 2, let seconds = Double(fields[0]), let kbps = Double(fields[1]) else {
                throw .malformedLine(name: name, line: lineNumber, text: String(rawLine))
            }
            guard seconds.isFinite, seconds >= 0 else { throw .invalidTime(name: name, line: lineNumber, seconds: seconds) }
            guard kbps.isFinite, kbps >= 0 else { throw .invalidRate(name: name, line: lineNumber, kbps: kbps) }
            if let last = points.last, seconds <= last.seconds {
                throw .timeNotIncreasing(name: name, line: lineNumber, seconds: seconds)
            }
            points.append(Point(seconds: seconds, kbps: kbps))
        }
        try self.init(name: name, points: points)
    }

    /// Reads and parses a trace file; the trace is named after the file.
    public init(contentsOfFile path: String) throws(BandwidthTraceError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .cannotRead(path: path, reason: "\(error.localizedDescription)")
        }
        var name = path.split(separator: "/").last.map(String.init) ?? path
        if name.hasSuffix(".trace") { name.removeLast(6) }
        try self.init(name: name, parsing: text)
    }

    /// Time of the last step: after it the rate no longer changes.
    public var lastChange: Double { points[points.count - 1].seconds }

    /// Index of the step in force at `seconds`.
    private func stepIndex(at seconds: Double) -> Int {
        var lo = 0, hi = points.count - 1
        if seconds < points[0].seconds { return 0 }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if points[mid].seconds <= seconds { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The link rate at `seconds` in kbit/s (before the first step, the first step's rate).
    public func kbps(at seconds: Double) -> Double { points[stepIndex(at: seconds)].kbps }

    /// The link rate at `seconds` in bytes per second.
    public func bytesPerSecond(at seconds: Double) -> Double { kbps(at: seconds) * 1000 / 8 }

    /// Bytes the link can carry from `start` to `end` seconds.
    public func bytes(from start: Double, to end: Double) -> Double {
        guard end > start else { return 0 }
        var total = 0.0
        var t = start
        var i = stepIndex(at: start)
        while t < end {
            let stepEnd = i + 1 < points.count ? min(points[i + 1].seconds, end) : end
            total += points[i].kbps * 125 * (stepEnd - t)
            t = stepEnd
            i += 1
            if i >= points.count { break }
        }
        return total
    }

    /// Seconds from `start` until the link has carried `bytes`; infinity if it never does
    /// (an outage that lasts for ever).
    public func transferTime(bytes: Double, startingAt start: Double) -> Double {
        guard bytes > 0 else { return 0 }
        var remaining = bytes
        var t = start
        var i = stepIndex(at: start)
        while true {
            let rate = points[i].kbps * 125
            let stepEnd = i + 1 < points.count ? max(points[i + 1].seconds, t) : Double.infinity
            if rate > 0 {
                let canCarry = stepEnd.isInfinite ? Double.infinity : rate * (stepEnd - t)
                if canCarry >= remaining { return t + remaining / rate - start }
                remaining -= canCarry
            } else if stepEnd.isInfinite {
                return .infinity
            }
            t = stepEnd
            i += 1
        }
    }

    /// Mean rate in kbit/s over `[0, seconds]`.
    public func meanKbps(over seconds: Double) -> Double {
        guard seconds > 0 else { return kbps(at: 0) }
        return bytes(from: 0, to: seconds) / 125 / seconds
    }
}

/// Why a bandwidth trace could not be read.
public enum BandwidthTraceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The trace file could not be opened or decoded as UTF-8.
    case cannotRead(path: String, reason: String)
    /// A line is not two numbers (`seconds kbps`).
    case malformedLine(name: String, line: Int, text: String)
    /// A time is negative, infinite or not a number.
    case invalidTime(name: String, line: Int, seconds: Double)
    /// A rate is negative, infinite or not a number.
    case invalidRate(name: String, line: Int, kbps: Double)
    /// A step does not come after the previous one.
    case timeNotIncreasing(name: String, line: Int, seconds: Double)
    /// The trace has no steps.
    case empty(name: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read bandwidth trace \(path): \(reason)"
        case let .malformedLine(name, line, text): return "trace \(name) line \(line): expected 'seconds kbps', got '\(text)'"
        case let .invalidTime(name, line, seconds): return "trace \(name) line \(line): invalid time \(seconds)"
        case let .invalidRate(name, line, kbps): return "trace \(name) line \(line): invalid rate \(kbps) kbps"
        case let .timeNotIncreasing(name, line, seconds): return "trace \(name) line \(line): time \(seconds) s does not come after the previous step"
        case let .empty(name): return "trace \(name) has no steps"
        }
    }
}
