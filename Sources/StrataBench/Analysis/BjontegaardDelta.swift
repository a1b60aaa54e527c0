import Foundation

/// One point of a rate-quality curve.
public struct RatePoint: Sendable, Hashable, Codable {
    /// Bitrate in kbit/s.
    public var kbps: Double
    /// Quality in the matching metric.
    public var quality: Double

    /// Creates a point.
    public init(kbps: Double, quality: Double) {
        self.kbps = kbps
        self.quality = quality
    }
}

/// The Bjøntegaard delta rate: the average bitrate difference between two rate-quality curves
/// over the quality range both cover, the figure codec papers report.
///
/// Each curve is log10(rate) as a function of quality, interpolated with ``MonotoneCubic``
/// (PCHIP); the mean difference of the two integrals over the common range gives the rate ratio.
public enum BjontegaardDelta {
    /// BD-rate of `test` against `anchor` in percent (negative: `test` needs fewer bits for the same
    /// quality). Nil when a curve has fewer than two distinct qualities, a rate is not positive, or
    /// the curves share no quality range.
    public static func rate(anchor: [RatePoint], test: [RatePoint]) -> Double? {
        guard anchor.allSatisfy({ $0.kbps > 0 }), test.allSatisfy({ $0.kbps > 0 }),
              let a = MonotoneCubic(x: anchor.map(\.quality), y: anchor.map { log10($0.kbps) }),
              let t = MonotoneCubic(x: test.map(\.quality), y: test.map { log10($0.kbps) }) else { return nil }
        let low = max(a.x.first!, t.x.first!), high = min(a.x.last!, t.x.last!)
        guard high > low else { return nil }
        let meanDifference = (t.integral(from: low, to: high) - a.integral(from: low, to: high)) / (high - low)
        return (pow(10, meanDifference) - 1) * 100
    }

    /// The share of the wider curve's quality range that both curves cover (0...1); BD-rate is
    /// read with care below about 0.75.
    public static func overlap(anchor: [RatePoint], test: [RatePoint]) -> Double {
        guard let amin = anchor.map(\.quality).min(), let amax = anchor.map(\.quality).max(),
              let tmin = test.map(\.quality).min(), let tmax = test.map(\.quality).max() else { return 0 }
        let common = min(amax, tmax) - max(amin, tmin)
        let wider = max(amax - amin, tmax - tmin)
        return wider > 0 ? max(0, common) / wider : 0
    }
}
