import Foundation

/// What the scheduler knows of a stream before fetching it: how long each segment plays and
/// how large each layer's fragment of it is (exact, or estimated from the layer's bitrate).
public struct StreamLayout: Sendable, Codable, Hashable {
    /// Play duration of each segment in seconds.
    public var segmentSeconds: [Double]
    /// Fragment sizes in bytes, `[layer][segment]`; layer 0 is the base.
    public var fragmentBytes: [[Int]]

    /// Creates a layout; every layer must list one size per segment.
    public init(segmentSeconds: [Double], fragmentBytes: [[Int]]) {
        precondition(fragmentBytes.allSatisfy { $0.count == segmentSeconds.count }, "one fragment size per segment and layer")
        self.segmentSeconds = segmentSeconds
        self.fragmentBytes = fragmentBytes
    }

    /// Number of layers.
    public var layerCount: Int { fragmentBytes.count }
    /// Number of segments.
    public var segmentCount: Int { segmentSeconds.count }
    /// Mean bitrate of layer `layer` alone in kbit/s.
    public func kbps(layer: Int) -> Double {
        let seconds = segmentSeconds.reduce(0, +)
        return seconds > 0 ? Double(fragmentBytes[layer].reduce(0, +)) * 8 / 1000 / seconds : 0
    }
}

/// How the layered scheduler trades buffer against quality.
struct SchedulerSettings: Sendable {
    /// Seconds of content the client tries to hold ahead of the play position.
    var bufferTarget: Double
    /// Layers the client may fetch (1 = base only).
    var maxLayers: Int
    /// Fraction of the estimated throughput a plan may count on.
    var safety: Double
    /// Seconds kept free before a segment's play time for decoding it.
    var decodeMargin: Double
    /// Extra attempts for a base fragment before playback gives up.
    var baseRetries: Int
    /// Seconds one base download may take.
    var baseTimeout: Double
    /// Extra seconds startup may wait after the first base for more layers of the first segment.
    var startupBudget: Double

    /// Below this buffer level the next base comes before any upgrade: half the target, at
    /// least one segment, never more than the target.
    func lowWater(segmentSeconds: Double) -> Double { min(bufferTarget, max(bufferTarget / 2, segmentSeconds)) }
}

/// How one download ended, as the engine needs it.
enum FetchResult: Sendable {
    /// The fragment arrived whole; `bytes` is nil in simulation, where only the size matters.
    case arrived(bytes: [UInt8]?, count: Int, seconds: Double)
    /// It did not; `seconds` is how long the attempt took.
    case failed(FetchRecord.Outcome, detail: String, seconds: Double)
}

/// Where the engine's downloads and time come from: HTTP and the wall clock, or a trace and a
/// simulated clock. The engine is the same for both, so the simulation measures the real policy.
protocol PlaybackNetwork: AnyObject {
    /// Seconds since the session started.
    var now: Double { get }
    /// Downloads one fragment, giving up after `timeout` seconds.
    func fetch(layer: Int, segment: Int, timeout: Double) async -> FetchResult
    /// Waits until session time `time`.
    func sleep(until time: Double) async throws
}

/// A segment whose play time has come, with the fragments that arrived before it.
struct DueSegment: Sendable {
    /// Segment index.
    var index: Int
    /// Fragments by layer; nil where a layer did not arrive in time (or above one that did not).
    var fragments: [[UInt8]?]
    /// Consecutive layers from the base that arrived in time.
    var layersInTime: Int
}

/// Why playback stopped.
public enum PlayerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A base fragment could not be fetched after every retry; playback cannot go on without it.
    case baseUnavailable(segment: Int, attempts: Int, reason: String)
    /// manifest.json could not be fetched or read.
    case manifestUnavailable(url: String, reason: String)
    /// The manifest describes nothing playable (no segments or no layers).
    case emptyStream(url: String)
    /// Decoding a segment failed even at the base layer.
    case decodeFailed(segment: Int, reason: String)
    /// The played video could not be written.
    case outputFailed(path: String, reason: String)
    /// The scheduler made no progress within its step budget (a bug, reported rather than spinning).
    case schedulerStuck(segment: Int)

    public var description: String {
        switch self {
        case let .baseUnavailable(segment, attempts, reason):
            return "base layer of segment \(segment) unavailable after \(attempts) attempts: \(reason)"
        case let .manifestUnavailable(url, reason): return "cannot read the stream's manifest at \(url): \(reason)"
        case let .emptyStream(url): return "the stream at \(url) has no segments or no layers"
        case let .decodeFailed(segment, reason): return "segment \(segment) could not be decoded: \(reason)"
        case let .outputFailed(path, reason): return "cannot write \(path): \(reason)"
        case let .schedulerStuck(segment): return "playback made no progress at segment \(segment)"
        }
    }
}

/// The progressive client's decisions, independent of where bytes and time come from.
///
/// Each step plays every segment whose time has come (counting a stall when its base is
/// missing), then picks one download: the next base while the buffer is below the low-water
/// mark; otherwise the cheapest upgrade (lowest layer count first, then earliest segment) that
/// the throughput estimate says will arrive before that segment plays without draining the
/// buffer below low water; otherwise the next base while the buffer is below target;
/// otherwise it waits. An upgrade is only made to an operating point whose mean bitrate the
/// estimate sustains. Upgrades of segments already buffered are how quality catches up when
/// bandwidth rises. Before playback starts, more layers of the first segment are fetched only
/// while they fit in a short startup budget.
final class PlaybackEngine<Network: PlaybackNetwork> {
    private let layout: StreamLayout
    private let settings: SchedulerSettings
    private let network: Network
    private let log: (String) -> Void
    private let play: (DueSegment) async throws -> Void
    private let names: (Int, Int) -> String

    private var arrival: [[Double?]]
    private var payload: [[[UInt8]?]]
    private var given: [[Bool]]          // failed or abandoned: never fetched again
    private var fetches: [[FetchRecord]]
    private var baseAttempts: [Int]
    private var estimator = ThroughputEstimator()

    private var started = false
    private var startupDelay = 0.0
    private var nextToPlay = 0
    private var nextPlayTime = 0.0
    private var playTimes: [Double]
    private var stallBefore: [Double]
    private var inTime: [Int]
    private var stallCount = 0

    /// - Parameters:
    ///   - names: a display name of a fragment for logs, e.g. `L1/3.m4s`.
    ///   - play: called in order for each segment when its play time comes.
    init(layout: StreamLayout, settings: SchedulerSettings, network: Network, names: @escaping (Int, Int) -> String,
         log: @escaping (String) -> Void, play: @escaping (DueSegment) async throws -> Void) {
        self.layout = layout
        var s = settings
        s.maxLayers = max(1, min(settings.maxLayers, layout.layerCount))
        self.settings = s
        self.network = network
        self.names = names
        self.log = log
        self.play = play
        let layers = layout.layerCount, segments = layout.segmentCount
        arrival = Array(repeating: Array(repeating: nil, count: segments), count: layers)
        payload = Array(repeating: Array(repeating: nil, count: segments), count: layers)
        given = Array(repeating: Array(repeating: false, count: segments), count: layers)
        fetches = Array(repeating: [], count: segments)
        baseAttempts = Array(repeating: 0, count: segments)
        playTimes = Array(repeating: 0, count: segments)
        stallBefore = Array(repeating: 0, count: segments)
        inTime = Array(repeating: 0, count: segments)
    }

    /// Plays the whole stream; returns the report with `builtLayers` set to the layers in time
    /// (the caller replaces them with what the decoder built).
    func run(streamName: String, trace: String?) async throws -> PlaybackReport {
        let segments = layout.segmentCount
        // Every step either downloads a fragment (each at most once, bases a bounded number of
        // times) or waits for the next play time, so this bounds a correct run with room to spare.
        let stepBudget = 4 * (layout.layerCount * segments + segments * (settings.baseRetries + 1) + 2 * segments) + 64
        var steps = 0
        while nextToPlay < segments {
            steps += 1
            if steps > stepBudget { throw PlayerError.schedulerStuck(segment: nextToPlay) }
            try await step()
            try await advancePlayback()
        }
        return report(streamName: streamName, trace: trace)
    }

    // MARK: Play position

    private var now: Double { network.now }

    /// First segment at or after the play position whose base has not arrived (segmentCount if none).
    private var firstMissingBase: Int {
        var s = nextToPlay
        while s < layout.segmentCount, arrival[0][s] != nil { s += 1 }
        return s
    }

    /// When segment `s` (not yet played) will start, if no stall comes first.
    private func playTime(_ s: Int) -> Double {
        var t = max(nextPlayTime, nextToPlay < layout.segmentCount && arrival[0][nextToPlay] == nil ? now : nextPlayTime)
        for i in nextToPlay..<s { t += layout.segmentSeconds[i] }
        return t
    }

    /// Seconds of content buffered ahead of the play position.
    private var bufferLevel: Double {
        guard started else { return 0 }
        return max(0, playTime(firstMissingBase) - now)
    }

    /// Consecutive layers of segment `s` that have arrived (optionally by time `t`).
    private func level(_ s: Int, by t: Double? = nil) -> Int {
        var l = 0
        while l < settings.maxLayers, let a = arrival[l][s], t.map({ a <= $0 }) ?? true { l += 1 }
        return l
    }

    private func advancePlayback() async throws {
        guard started else { return }
        while nextToPlay < layout.segmentCount {
            let s = nextToPlay
            guard let base = arrival[0][s] else { return }
            if base > nextPlayTime + 1e-9 {
                stallBefore[s] = base - nextPlayTime
                stallCount += 1
                log("stall: segment \(s) base arrived \(fmt(base - nextPlayTime, 3)) s after its play time")
                nextPlayTime = base
            }
            guard nextPlayTime <= now + 1e-9 else { return }
            let layers = level(s, by: nextPlayTime)
            inTime[s] = layers
            playTimes[s] = nextPlayTime
            let due = DueSegment(index: s, fragments: (0..<layout.layerCount).map { $0 < layers ? payload[$0][s] : nil }, layersInTime: layers)
            for l in 0..<layout.layerCount { payload[l][s] = nil }
            nextPlayTime += layout.segmentSeconds[s]
            nextToPlay += 1
            try await play(due)
        }
    }

    // MARK: Decisions

    private func step() async throws {
        if !started, let base = arrival[0][0] {
            if let (l, deadline) = startupUpgrade(baseArrival: base) {
                await fetchUpgrade(layer: l, segment: 0, deadline: deadline, buffer: 0)
                return
            }
            started = true
            startupDelay = now
            nextPlayTime = now
            log("playback starts at \(fmt(now, 3)) s with \(level(0)) layer(s) of segment 0")
            return
        }
        let missing = firstMissingBase
        let buffer = bufferLevel
        let lowWater = settings.lowWater(segmentSeconds: missing < layout.segmentCount ? layout.segmentSeconds[missing] : 0)
        if missing < layout.segmentCount && (!started || buffer < lowWater) {
            try await fetchBase(missing, buffer: buffer)
            return
        }
        if let (l, s, deadline, eta) = bestUpgrade(buffer: buffer, lowWater: lowWater, basesComplete: missing >= layout.segmentCount) {
            // Give up on the upgrade at its segment's play time, when it runs far slower than
            // expected, or before it eats into the buffer the next base needs.
            var limit = min(deadline, now + 3 * eta + 0.25)
            if missing < layout.segmentCount { limit = min(limit, now + max(0.01, buffer - lowWater / 2)) }
            await fetchUpgrade(layer: l, segment: s, deadline: limit, buffer: buffer)
            return
        }
        if missing < layout.segmentCount && buffer < settings.bufferTarget {
            try await fetchBase(missing, buffer: buffer)
            return
        }
        // Nothing worth fetching now: wait until a segment starts playing or the buffer falls to target.
        var wake = nextPlayTime
        if missing < layout.segmentCount { wake = min(wake, now + max(0.001, buffer - settings.bufferTarget + 0.001)) }
        try await network.sleep(until: max(wake, now + 0.001))
    }

    /// Before playback starts, the next layer of segment 0 is worth waiting for when the link
    /// can sustain that operating point's bitrate and the layer would arrive within the startup
    /// budget; otherwise playback starts with what is there.
    private func startupUpgrade(baseArrival: Double) -> (Int, Double)? {
        guard let rate = estimator.bytesPerSecond, rate > 0 else { return nil }
        let l = level(0)
        guard l < settings.maxLayers, !given[l][0] else { return nil }
        guard sustains(layers: l + 1, rate: rate) else { return nil }
        let deadline = baseArrival + settings.startupBudget
        let eta = Double(layout.fragmentBytes[l][0]) / (rate * settings.safety)
        guard now + eta <= deadline else { return nil }
        return (l, deadline)
    }

    /// True when the link can carry `layers` layers continuously. Upgrades stop at that level,
    /// so spare capacity on a slow link does not make quality flicker segment by segment.
    private func sustains(layers: Int, rate: Double) -> Bool {
        let needed = (0..<layers).reduce(0.0) { $0 + layout.kbps(layer: $1) } * 125
        return rate * settings.safety >= needed
    }

    private func bestUpgrade(buffer: Double, lowWater: Double, basesComplete: Bool) -> (Int, Int, Double, Double)? {
        guard let rate = estimator.bytesPerSecond, rate > 0 else { return nil }
        var best: (Int, Int, Double, Double)?
        for s in nextToPlay..<firstMissingBase {
            let l = level(s)
            guard l < settings.maxLayers, !given[l][s], sustains(layers: l + 1, rate: rate) else { continue }
            let eta = Double(layout.fragmentBytes[l][s]) / (rate * settings.safety)
            let deadline = playTime(s) - settings.decodeMargin
            guard now + eta <= deadline else { continue }
            if !basesComplete && buffer - eta < lowWater { continue }
            if best == nil || l < best!.0 { best = (l, s, deadline, eta) }
        }
        return best
    }

    private func describe(_ r: FetchResult) -> String {
        switch r {
        case let .arrived(_, count, seconds):
            return "\(count) B in \(fmt(seconds, 3)) s (\(fmt(seconds > 0 ? Double(count) * 8 / 1000 / seconds : 0, 0)) kbps)"
        case let .failed(outcome, detail, seconds):
            return "\(outcome.rawValue) after \(fmt(seconds, 3)) s: \(detail)"
        }
    }

    private func fetchBase(_ s: Int, buffer: Double) async throws {
        let start = now
        let estimate = estimator.kbps
        baseAttempts[s] += 1
        let result = await network.fetch(layer: 0, segment: s, timeout: settings.baseTimeout)
        log("segment \(s) base \(names(0, s)) (buffer \(fmt(buffer, 2)) s, estimate \(estimate.map { fmt($0, 0) + " kbps" } ?? "none")): \(describe(result))")
        switch result {
        case let .arrived(bytes, count, seconds):
            arrival[0][s] = now
            payload[0][s] = bytes
            estimator.add(bytes: count, seconds: seconds)
            fetches[s].append(FetchRecord(layer: 0, startSeconds: start, endSeconds: now, bytes: count, outcome: .arrived, detail: nil, estimateKbps: estimate))
        case let .failed(outcome, detail, seconds):
            fetches[s].append(FetchRecord(layer: 0, startSeconds: start, endSeconds: now, bytes: 0, outcome: outcome, detail: detail, estimateKbps: estimate))
            if outcome == .late { estimator.addUpperBound(bytes: layout.fragmentBytes[0][s], seconds: seconds) }
            if baseAttempts[s] > settings.baseRetries {
                throw PlayerError.baseUnavailable(segment: s, attempts: baseAttempts[s], reason: detail)
            }
            // Back off a little before retrying, longer each time.
            try await network.sleep(until: now + 0.1 * Double(baseAttempts[s]))
        }
    }

    /// Downloads layer `l` of segment `s`, abandoning it at session time `deadline`.
    private func fetchUpgrade(layer l: Int, segment s: Int, deadline: Double, buffer: Double) async {
        let start = now
        let estimate = estimator.kbps
        let ahead = started ? playTime(s) - start : deadline - start
        let result = await network.fetch(layer: l, segment: s, timeout: max(0.001, deadline - now))
        log("segment \(s) layer \(l) \(names(l, s)) (buffer \(fmt(buffer, 2)) s, \(fmt(ahead, 2)) s before play, estimate \(estimate.map { fmt($0, 0) + " kbps" } ?? "none")): \(describe(result))")
        switch result {
        case let .arrived(bytes, count, seconds):
            arrival[l][s] = now
            payload[l][s] = bytes
            estimator.add(bytes: count, seconds: seconds)
            fetches[s].append(FetchRecord(layer: l, startSeconds: start, endSeconds: now, bytes: count, outcome: .arrived, detail: nil, estimateKbps: estimate))
        case let .failed(outcome, detail, seconds):
            given[l][s] = true
            if outcome == .late { estimator.addUpperBound(bytes: layout.fragmentBytes[l][s], seconds: seconds) }
            fetches[s].append(FetchRecord(layer: l, startSeconds: start, endSeconds: now, bytes: 0, outcome: outcome, detail: detail, estimateKbps: estimate))
        }
    }

    // MARK: Report

    private func report(streamName: String, trace: String?) -> PlaybackReport {
        var records: [SegmentRecord] = []
        var fetched = 0, wasted = 0
        for s in 0..<layout.segmentCount {
            let arrivals = (0..<layout.layerCount).map { l -> Double? in arrival[l][s] }
            for f in fetches[s] where f.outcome == .arrived {
                fetched += f.bytes
                if f.layer >= inTime[s] { wasted += f.bytes }
            }
            records.append(SegmentRecord(index: s, playSeconds: playTimes[s], durationSeconds: layout.segmentSeconds[s],
                                         arrivalSeconds: arrivals, layersInTime: inTime[s], builtLayers: inTime[s],
                                         builtTemporalId: nil, fallbackReason: nil, stallSeconds: stallBefore[s], fetches: fetches[s]))
        }
        var report = PlaybackReport(stream: streamName, trace: trace, startupDelaySeconds: startupDelay, stallCount: stallCount,
                                    stallSeconds: stallBefore.reduce(0, +), meanOperatingPoint: 0, meanQuality: nil, switches: 0,
                                    bytesFetched: fetched, bytesWasted: wasted, playedSeconds: layout.segmentSeconds.reduce(0, +),
                                    sessionSeconds: nextPlayTime, layersPerSegment: inTime, segments: records)
        report.recomputeFigures()
        return report
    }
}

extension PlaybackReport {
    /// Recomputes the summary figures from ``segments`` after their built layers are known.
    mutating func recomputeFigures(quality: [Double]? = nil) {
        layersPerSegment = segments.map(\.builtLayers)
        let total = segments.reduce(0) { $0 + $1.durationSeconds }
        meanOperatingPoint = total > 0 ? segments.reduce(0) { $0 + Double($1.builtLayers) * $1.durationSeconds } / total : 0
        switches = zip(layersPerSegment, layersPerSegment.dropFirst()).filter { $0 != $1 }.count
        if let quality, !quality.isEmpty, total > 0 {
            meanQuality = segments.reduce(0) { acc, seg in
                acc + quality[min(quality.count - 1, max(0, seg.builtLayers - 1))] * seg.durationSeconds
            } / total
        }
    }
}

/// `x` with `decimals` digits after the point, for logs.
func fmt(_ x: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", x) }
