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
