/// The outcome of a `Range` header against a file of known size (RFC 9110 section 14).
enum RangeRequest: Equatable {
    /// No range, several ranges or a header this server does not parse: send the whole file (200).
    case whole
    /// One satisfiable range, inclusive bounds already clamped to the file (206).
    case partial(first: Int, last: Int)
    /// A single range entirely past the end of the file (416).
    case unsatisfiable

    /// Interprets `header` for a file of `size` bytes. Multiple ranges are answered with the
    /// whole file, which the RFC allows and the client never asks for.
    static func parse(_ header: String?, size: Int) -> RangeRequest {
        guard let header else { return .whole }
        let trimmed = header.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6).trimmingSpaces()
        if spec.contains(",") { return .whole }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let a = parts[0].trimmingSpaces(), b = parts[1].trimmingSpaces()
        if a.isEmpty {
            // Suffix range: the last N bytes.
            guard let n = Int(b), n >= 0, b.allSatisfy(\.isASCIIDigit) else { return .whole }
            if n == 0 || size == 0 { return .unsatisfiable }
            return .partial(first: max(0, size - n), last: size - 1)
        }
        guard let first = Int(a), a.allSatisfy(\.isASCIIDigit) else { return .whole }
        var last = size - 1
        if !b.isEmpty {
            guard let l = Int(b), b.allSatisfy(\.isASCIIDigit), l >= first else { return .whole }
            last = min(l, size - 1)
        }
        if first >= size { return .unsatisfiable }
        return .partial(first: first, last: last)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// HTTP dates (IMF-fixdate, RFC 9110 section 5.6.7) without locale-dependent formatters.
enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats seconds since 1970 as e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func format(_ seconds: Int) -> String {
        let dayNumber = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - dayNumber * 86400
        let (y, m, d) = civil(fromDays: dayNumber)
        let weekday = days[((dayNumber % 7) + 7) % 7]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(two(d)) \(months[m - 1]) \(y) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    /// Parses an IMF-fixdate; nil for anything else (obsolete formats are treated as absent).
    static func parse(_ text: String) -> Int? {
        let f = text.trimmingSpaces().split(separator: " ")
        guard f.count == 6, f[5] == "GMT", let d = Int(f[1]), let m = months.firstIndex(of: String(f[2])), let y = Int(f[3]) else { return nil }
        let hms = f[4].split(separator: ":")
        guard hms.count == 3, let hh = Int(hms[0]), let mm = Int(hms[1]), let ss = Int(hms[2]),
              (1...31).contains(d), (0...23).contains(hh), (0...59).contains(mm), (0...60).contains(ss) else { return nil }
        return days(fromCivil: y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    private static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// The media type of each file an encode writes (CMAF fragments as `video/mp4`, which Media
/// Source Extensions accept for both init segments and fragments).
enum ContentType {
    static func forPath(_ path: String) -> String {
        let ext = path.split(separator: "/").last.flatMap { name in name.lastIndex(of: ".").map { name[name.index(after: $0)...].lowercased() } } ?? ""
        switch ext {
        case "json": return "application/json"
        case "mpd": return "application/dash+xml"
        case "m3u8": return "application/vnd.apple.mpegurl"
        case "mp4", "m4s": return "video/mp4"
        case "m4v": return "video/mp4"
        case "264", "h264": return "video/h264"
        case "y4m": return "video/x-yuv4mpeg"
        case "trace", "txt", "md": return "text/plain; charset=utf-8"
        case "csv": return "text/csv; charset=utf-8"
        case "html": return "text/html; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        default: return "application/octet-stream"
        }
    }

    /// Manifests change when a stream is re-encoded in place; media files never change under
    /// the same name within one encode, so they may be cached.
    static func cacheControl(forPath path: String) -> String {
        let type = forPath(path)
        if type.hasPrefix("application/json") || type.hasPrefix("application/dash+xml") || type.hasPrefix("application/vnd.apple.mpegurl") {
            return "no-cache"
        }
        return "public, max-age=86400"
    }
}
