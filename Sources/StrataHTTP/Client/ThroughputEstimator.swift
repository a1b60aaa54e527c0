import Foundation

/// Estimates a link's throughput from completed downloads: two exponentially weighted moving
/// averages of download rates, a fast and a slow one, bias-corrected while young; the
/// estimate is the lower of the two, so a drop is believed quickly and a rise once it lasts.
///
/// Each download weighs by its size (a full weight from 16 KiB up, at least 1/20), not by its
/// duration: after a rise downloads get short, and weighting by time would keep the estimate
/// at the old rate for many downloads while a full buffer leaves few to make. Small downloads,
/// whose rate latency dominates, count little.
public struct ThroughputEstimator: Sendable, Hashable, Codable {
    private var fast: Average
    private var slow: Average
    /// Downloads of at least this many bytes count fully.
    static let fullWeightBytes = 16384.0
    /// Samples taken so far.
    public private(set) var samples = 0

    private struct Average: Sendable, Hashable, Codable {
        var halfLife: Double
        var value = 0.0
        var weight = 0.0
        mutating func add(rate: Double, weight w: Double) {
            let alpha = pow(2, -w / halfLife)
            value = alpha * value + (1 - alpha) * rate
            weight = alpha * weight + (1 - alpha)
        }
        var estimate: Double? { weight > 0 ? value / weight : nil }
    }

    /// Creates an estimator; half-lives are in full-weight downloads.
    public init(fastHalfLife: Double = 1, slowHalfLife: Double = 3) {
        fast = Average(halfLife: fastHalfLife)
        slow = Average(halfLife: slowHalfLife)
    }

    /// Adds a download of `bytes` that took `seconds` (request to last byte).
    public mutating func add(bytes: Int, seconds: Double) {
        guard bytes > 0, seconds > 0, seconds.isFinite else { return }
        let rate = Double(bytes) / seconds
        let w = min(1, max(0.05, Double(bytes) / Self.fullWeightBytes))
        fast.add(rate: rate, weight: w)
        slow.add(rate: rate, weight: w)
        samples += 1
    }

    /// Records that `bytes` did not arrive within `seconds`: the link is at most that fast.
    public mutating func addUpperBound(bytes: Int, seconds: Double) {
        guard bytes > 0, seconds > 0, seconds.isFinite else { return }
        let bound = Double(bytes) / seconds
        if let e = bytesPerSecond, e <= bound { return }
        add(bytes: bytes, seconds: seconds)
    }

    /// The current estimate in bytes per second; nil before the first sample.
    public var bytesPerSecond: Double? {
        guard let f = fast.estimate, let s = slow.estimate else { return nil }
        return min(f, s)
    }

    /// The current estimate in kbit/s; nil before the first sample.
    public var kbps: Double? { bytesPerSecond.map { $0 * 8 / 1000 } }
}
