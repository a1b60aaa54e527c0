/// Piecewise cubic Hermite interpolation with Fritsch–Carlson slopes (PCHIP): the curve passes
/// through every point, and between two points it never overshoots them, so a monotone set of
/// points gives a monotone curve. This is the interpolation the Bjøntegaard delta of
/// VCEG-AL22 / JVET-CTC uses in place of the original cubic fit, which can oscillate.
public struct MonotoneCubic: Sendable {
    /// Abscissae, strictly increasing.
    public let x: [Double]
    /// Ordinates.
    public let y: [Double]
    /// Slope at each point.
    public let slopes: [Double]

    /// Fits points given in any order; returns nil for fewer than two points or repeated x.
    public init?(x: [Double], y: [Double]) {
        guard x.count == y.count, x.count >= 2 else { return nil }
        let order = x.indices.sorted { x[$0] < x[$1] }
        let xs = order.map { x[$0] }, ys = order.map { y[$0] }
        for i in 1..<xs.count where !(xs[i] > xs[i - 1]) { return nil }
        self.x = xs
        self.y = ys
        slopes = MonotoneCubic.fritschCarlsonSlopes(x: xs, y: ys)
    }

    /// Slopes as SciPy's `PchipInterpolator` chooses them: a weighted harmonic mean of the two
    /// neighbouring secants inside (zero at a local extremum), a one-sided three-point estimate
    /// at the ends limited to keep the end segment monotone.
    static func fritschCarlsonSlopes(x: [Double], y: [Double]) -> [Double] {
        let n = x.count
        let h = (0..<(n - 1)).map { x[$0 + 1] - x[$0] }
        let delta = (0..<(n - 1)).map { (y[$0 + 1] - y[$0]) / h[$0] }
        if n == 2 { return [delta[0], delta[0]] }
        var d = [Double](repeating: 0, count: n)
        for k in 1..<(n - 1) {
            let a = delta[k - 1], b = delta[k]
            if a == 0 || b == 0 || (a > 0) != (b > 0) { d[k] = 0; continue }
            let w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1]
            d[k] = (w1 + w2) / (w1 / a + w2 / b)
        }
        func sgn(_ v: Double) -> Int { v > 0 ? 1 : (v < 0 ? -1 : 0) }
        func endSlope(_ h0: Double, _ h1: Double, _ d0: Double, _ d1: Double) -> Double {
            let s = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
            if sgn(s) != sgn(d0) { return 0 }
            if sgn(d0) != sgn(d1) && abs(s) > abs(3 * d0) { return 3 * d0 }
            return s
        }
        d[0] = endSlope(h[0], h[1], delta[0], delta[1])
        d[n - 1] = endSlope(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3])
        return d
    }

    /// The segment holding `t` (clamped to the first or last segment outside the range).
    private func segment(_ t: Double) -> Int {
        var lo = 0, hi = x.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if x[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Power-form coefficients of segment `k` in `s = t - x[k]`: `y + d s + c2 s^2 + c3 s^3`.
    private func coefficients(_ k: Int) -> (Double, Double, Double, Double) {
        let h = x[k + 1] - x[k]
        let delta = (y[k + 1] - y[k]) / h
        let c2 = (3 * delta - 2 * slopes[k] - slopes[k + 1]) / h
        let c3 = (slopes[k] + slopes[k + 1] - 2 * delta) / (h * h)
        return (y[k], slopes[k], c2, c3)
    }

    /// The curve's value at `t` (the end cubics extended outside the points).
    public func value(at t: Double) -> Double {
        let k = segment(t)
        let (c0, c1, c2, c3) = coefficients(k)
        let s = t - x[k]
        return c0 + s * (c1 + s * (c2 + s * c3))
    }

    /// The exact integral of the curve from `a` to `b` (a <= b, both inside the points' range).
    public func integral(from a: Double, to b: Double) -> Double {
        var total = 0.0
        var start = a
        while start < b {
            let k = segment(start)
            let end = k == x.count - 2 ? b : min(b, x[k + 1])
            let (c0, c1, c2, c3) = coefficients(k)
            func antiderivative(_ s: Double) -> Double { s * (c0 + s * (c1 / 2 + s * (c2 / 3 + s * c3 / 4))) }
            total += antiderivative(end - x[k]) - antiderivative(start - x[k])
            if end <= start { break }
            start = end
        }
        return total
    }
}
