/// Fixed-point decimal text for manifests, independent of locale and of Foundation's formatters,
/// so playlists are byte-identical on every platform.
enum DecimalFormatting {
    /// `value` rounded to `places` decimals, e.g. `fixed(2.0, 6)` is `2.000000`.
    static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else { return negative ? "-0" : "0" }
        let n = UInt64(scaled)
        let p = UInt64(scale)
        var text = String(n / p)
        if places > 0 {
            let frac = String(n % p)
            text += "." + String(repeating: "0", count: places - frac.count) + frac
        }
        return (negative && n != 0 ? "-" : "") + text
    }

    /// `value` rounded as `rule` says and clamped into `bounds`; NaN gives the lower bound.
    /// Used wherever a caller-supplied double becomes an integer, so no value can trap.
    static func clampedInt(_ value: Double, _ rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero,
                           in bounds: ClosedRange<Int> = Int.min...Int.max) -> Int {
        guard !value.isNaN else { return bounds.lowerBound }
        let r = value.rounded(rule)
        if r <= Double(bounds.lowerBound) { return bounds.lowerBound }
        if r >= Double(bounds.upperBound) { return bounds.upperBound }
        return Int(r)
    }

    /// `fixed` with trailing zeros (and a bare point) removed: `5.28`, `2`.
    static func trimmed(_ value: Double, maxPlaces: Int) -> String {
        var s = fixed(value, places: maxPlaces)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}
