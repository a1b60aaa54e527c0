/// A fault the server injects into responses for paths that match a glob, so experiments and
/// tests can show how the client copes with a slow, missing, reset or cut-short fragment.
///
/// Written on the command line as `GLOB=ACTION`: `L2/*.m4s=404`, `L1/3.m4s=reset`,
/// `*.m4s=delay:250` (milliseconds), `L2/0.m4s=truncate:0.5` (fraction of the body sent).
/// The glob is matched against the path relative to the served directory; `*` and `?` do not
/// cross `/`, `**` does.
public struct FaultRule: Sendable, Hashable, CustomStringConvertible {
    /// What happens to a matching request.
    public enum Action: Sendable, Hashable {
        /// The response starts this many milliseconds late (delays of several rules add up).
        case delay(milliseconds: Int)
        /// The server answers 404 Not Found as if the file were absent.
        case notFound
        /// The server resets the TCP connection (RST) instead of answering.
        case reset
        /// The server announces the full length, sends only this fraction of the body, then closes.
        case truncate(fraction: Double)
    }

    /// The glob matched against the request's path relative to the served directory.
    public var pattern: String
    /// What the server does.
    public var action: Action

    /// Creates a rule.
    public init(pattern: String, action: Action) {
        self.pattern = pattern
        self.action = action
    }

    /// Parses `GLOB=ACTION` (`404`, `reset`, `delay:MS`, `truncate:FRACTION`).
    public init(parsing spec: String) throws(FaultRuleError) {
        guard let eq = spec.lastIndex(of: "=") else { throw .malformed(spec: spec, reason: "expected GLOB=ACTION") }
        let pattern = String(spec[..<eq]).trimmingLeadingSlashes()
        let action = spec[spec.index(after: eq)...].lowercased()
        guard !pattern.isEmpty else { throw .malformed(spec: spec, reason: "empty glob") }
        switch action {
        case "404", "notfound", "not-found":
            self.init(pattern: pattern, action: .notFound)
        case "reset":
            self.init(pattern: pattern, action: .reset)
        default:
            let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .malformed(spec: spec, reason: "unknown action '\(action)' (404, reset, delay:MS, truncate:FRACTION)") }
            switch parts[0] {
            case "delay":
                guard let ms = Int(parts[1]), ms >= 0, ms <= 600_000 else { throw .malformed(spec: spec, reason: "delay must be 0...600000 ms") }
                self.init(pattern: pattern, action: .delay(milliseconds: ms))
            case "truncate":
                guard let f = Double(parts[1]), f >= 0, f < 1 else { throw .malformed(spec: spec, reason: "truncate fraction must be in [0, 1)") }
                self.init(pattern: pattern, action: .truncate(fraction: f))
            default:
                throw .malformed(spec: spec, reason: "unknown action '\(parts[0])' (404, reset, delay:MS, truncate:FRACTION)")
            }
        }
    }

    /// True when the rule applies to `relativePath` (no leading slash).
    public func matches(_ relativePath: String) -> Bool {
        GlobPattern.matches(Array(pattern.utf8), Array(relativePath.utf8))
    }

    public var description: String {
        switch action {
        case let .delay(ms): return "\(pattern)=delay:\(ms)"
        case .notFound: return "\(pattern)=404"
        case .reset: return "\(pattern)=reset"
        case let .truncate(f): return "\(pattern)=truncate:\(f)"
        }
    }
}

/// Why a fault rule could not be parsed.
public enum FaultRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not `GLOB=ACTION` with a known action and a valid argument.
    case malformed(spec: String, reason: String)

    public var description: String {
        switch self {
        case let .malformed(spec, reason): return "invalid fault rule '\(spec)': \(reason)"
        }
    }
}

extension String {
    func trimmingLeadingSlashes() -> String {
        String(drop(while: { $0 == "/" }))
    }
}

/// Shell-style glob matching on bytes: `*` and `?` stay within one path component, `**` spans any.
enum GlobPattern {
    static func matches(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        // Iterative matcher with memoisation on (pattern index, text index), so adversarial
        // patterns cannot make it exponential.
        var memo = [Int8](repeating: -1, count: (pattern.count + 1) * (text.count + 1))
        func match(_ p: Int, _ t: Int) -> Bool {
            let key = p * (text.count + 1) + t
            if memo[key] >= 0 { return memo[key] == 1 }
            let result: Bool
            if p == pattern.count {
                result = t == text.count
            } else if pattern[p] == UInt8(ascii: "*") {
                let spansSlash = p + 1 < pattern.count && pattern[p + 1] == UInt8(ascii: "*")
                let next = spansSlash ? p + 2 : p + 1
                var ok = match(next, t)
                var i = t
                while !ok && i < text.count && (spansSlash || text[i] != UInt8(ascii: "/")) {
                    i += 1
                    ok = match(next, i)
                }
                result = ok
            } else if t < text.count && (pattern[p] == text[t] || (pattern[p] == UInt8(ascii: "?") && text[t] != UInt8(ascii: "/"))) {
                result = match(p + 1, t + 1)
            } else {
                result = false
            }
            memo[key] = result ? 1 : 0
            return result
        }
        return match(0, 0)
    }
}
