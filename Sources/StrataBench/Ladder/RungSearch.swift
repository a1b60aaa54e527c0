import Foundation

/// Finds the encoder parameter whose quality matches a target: bracket the target by stepping
/// outward (doubling the step), then narrow the bracket by interpolating quality linearly in the
/// parameter (regula falsi, falling back to bisection when one end stalls), and when no
/// parameter step lands within the tolerance, interpolate rate and quality between the two
/// bracketing encodes.
///
/// Quality is assumed to fall as the parameter rises (CRF, QP). Each parameter is encoded at
/// most once; samples from earlier searches at the same size seed the bracket for free.
enum RungSearch {
    /// What to search for and within which limits.
    struct Settings {
        /// Quality to match, in `metric`.
        var target: Double
        /// The metric matched on.
        var metric: QualityMetric
        /// Accepted distance from the target.
        var tolerance: Double
        /// Parameter range the encoder accepts.
        var range: ClosedRange<Double>
        /// Smallest parameter step the encoder distinguishes (1 for QP, a fraction for CRF).
        var granularity: Double
        /// First parameter tried when nothing is known.
        var start: Double
        /// First outward step while bracketing.
        var step: Double
        /// Most encodes one search may run.
        var maxEvaluations = 14
    }

    static func match(_ settings: Settings, known: [LadderSample] = [],
                      evaluate: (Double) throws -> LadderSample) throws -> MatchedRung {
        let target = settings.target, g = settings.granularity
        var samples: [Double: LadderSample] = [:]
        for s in known where settings.range.contains(s.parameter) { samples[s.parameter] = s }
        var evaluations = 0

        func quality(_ s: LadderSample) -> Double { s.score.value(settings.metric) }
        func quantize(_ p: Double) -> Double {
            min(settings.range.upperBound, max(settings.range.lowerBound, (p / g).rounded() * g))
        }
        func sample(_ p: Double) throws -> LadderSample {
            if let s = samples[p] { return s }
            let s = try evaluate(p)
            evaluations += 1
            samples[p] = s
            return s
        }
        func closestHit() -> LadderSample? {
            samples.values
                .filter { abs(quality($0) - target) <= settings.tolerance }
                .min { (abs(quality($0) - target), $0.kbps) < (abs(quality($1) - target), $1.kbps) }
        }
        func rung(_ s: LadderSample, _ method: MatchMethod) -> MatchedRung {
            MatchedRung(parameter: s.parameter, kbps: s.kbps, score: s.score, encodeSeconds: s.encodeSeconds,
                        method: method, qualityError: quality(s) - target, evaluations: evaluations)
        }
        // lo: the highest parameter still at or above the target; hi: the lowest parameter above
        // lo that falls below it.
        func bracket() -> (lo: LadderSample?, hi: LadderSample?) {
            let sorted = samples.values.sorted { $0.parameter < $1.parameter }
            let lo = sorted.last { quality($0) >= target }
            let hi = sorted.first { quality($0) < target && $0.parameter > (lo?.parameter ?? -.infinity) }
            return (lo, hi)
        }

        if let hit = closestHit() { return rung(hit, .search) }
        if samples.isEmpty {
            let s = try sample(quantize(settings.start))
            if abs(quality(s) - target) <= settings.tolerance { return rung(s, .search) }
        }

        var step = settings.step
        while true {
            let (lo, hi) = bracket()
            if lo != nil && hi != nil { break }
            let next: Double
            if let lo {
                guard lo.parameter < settings.range.upperBound else { return rung(lo, .bound) }
                next = quantize(lo.parameter + step)
            } else {
                let hi = hi ?? samples.values.min { $0.parameter < $1.parameter }!
                guard hi.parameter > settings.range.lowerBound else { return rung(hi, .bound) }
                next = quantize(hi.parameter - step)
            }
            step *= 2
            let s = try sample(next)
            if abs(quality(s) - target) <= settings.tolerance { return rung(s, .search) }
            if evaluations >= settings.maxEvaluations, let best = closestHit() ?? samples.values.min(by: {
                abs(quality($0) - target) < abs(quality($1) - target)
            }) { return rung(best, .bound) }
        }

        var lastMovedLow: Bool?
        var stalled = false
        while evaluations < settings.maxEvaluations {
            let (lo, hi) = bracket()
            guard let lo, let hi, hi.parameter - lo.parameter > g * 1.5 else { break }
            let ql = quality(lo), qh = quality(hi)
            var p = stalled ? (lo.parameter + hi.parameter) / 2
                            : lo.parameter + (ql - target) / (ql - qh) * (hi.parameter - lo.parameter)
            p = min(hi.parameter - g, max(lo.parameter + g, quantize(p)))
            if samples[p] != nil { p = min(hi.parameter - g, max(lo.parameter + g, quantize((lo.parameter + hi.parameter) / 2))) }
            if samples[p] != nil { break }
            let s = try sample(p)
            if abs(quality(s) - target) <= settings.tolerance { return rung(s, .search) }
            let movedLow = quality(s) >= target
            stalled = lastMovedLow == movedLow
            lastMovedLow = movedLow
        }

        let (lo, hi) = bracket()
        guard let lo, let hi else {
            let best = samples.values.min { abs(quality($0) - target) < abs(quality($1) - target) }!
            return rung(best, .bound)
        }
        let ql = quality(lo), qh = quality(hi)
        let t = ql == qh ? 0 : (ql - target) / (ql - qh)
        let kbps = exp(log(lo.kbps) + t * (log(hi.kbps) - log(lo.kbps)))
        let score = QualityScore.interpolate(lo.score, hi.score, t)
        return MatchedRung(parameter: lo.parameter + t * (hi.parameter - lo.parameter), kbps: kbps, score: score,
                           encodeSeconds: lo.encodeSeconds + t * (hi.encodeSeconds - lo.encodeSeconds),
                           method: .interpolation, qualityError: score.value(settings.metric) - target,
                           evaluations: evaluations)
    }

    /// The rate at exactly `target` quality, linear in the logarithm of the rate: interpolated between
    /// the two encodes adjacent in parameter order whose qualities bracket the target (the first such
    /// pair from the lowest parameter), else extrapolated from the two encodes nearest to it in quality
    /// (a search that hit the tolerance at once has no bracket; the hit is then within the tolerance,
    /// so the step is short); nil with fewer than two encodes of different quality.
    static func rateAtQuality(_ target: Double, samples: [LadderSample], metric: QualityMetric) -> Double? {
        func line(_ a: LadderSample, _ b: LadderSample) -> Double {
            let qa = a.score.value(metric), qb = b.score.value(metric)
            let t = (qa - target) / (qa - qb)
            return exp(log(a.kbps) + t * (log(b.kbps) - log(a.kbps)))
        }
        let sorted = samples.sorted { $0.parameter < $1.parameter }
        if let exact = sorted.first(where: { $0.score.value(metric) == target }) { return exact.kbps }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.score.value(metric) > target && b.score.value(metric) < target {
            return line(a, b)
        }
        let nearest = samples.sorted { abs($0.score.value(metric) - target) < abs($1.score.value(metric) - target) }
        guard let first = nearest.first,
              let second = nearest.dropFirst().first(where: { $0.score.value(metric) != first.score.value(metric) }) else { return nil }
        return line(first, second)
    }
}
