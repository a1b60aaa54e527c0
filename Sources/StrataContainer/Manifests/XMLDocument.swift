/// A minimal, strict XML reader for MPDs: elements, attributes and text, no DTDs or external
/// entities (so a hostile MPD cannot make the reader fetch or expand anything).
///
/// Foundation's `XMLParser` lives in FoundationXML on Linux and needs libxml2 at run time;
/// this reader needs nothing and reports errors with byte offsets.
struct XMLElement: Sendable, Hashable {
    /// Local name (any namespace prefix removed).
    var name: String
    var attributes: [String: String]
    var children: [XMLElement]
    var text: String
    /// Byte offset of the element's `<`.
    var offset: Int

    func children(named n: String) -> [XMLElement] { children.filter { $0.name == n } }
    func child(named n: String) -> XMLElement? { children.first { $0.name == n } }
}

enum XMLReader {
    static let maxElements = 1_000_000

    /// Parses `text` into its root element.
    static func parse(_ text: String, path: String) throws(ContainerError) -> XMLElement {
        let bytes = Array(text.utf8)
        guard bytes.count <= ContainerLimits.maxManifestSize else {
            throw .malformedMPD(path: path, offset: 0, detail: "\(bytes.count) bytes, more than the limit of \(ContainerLimits.maxManifestSize)")
        }
        var scanner = Scanner(bytes: bytes, path: path)
        return try scanner.document()
    }

    private struct Scanner {
        let bytes: [UInt8]
        let path: String
        var i = 0
        var elementCount = 0

        init(bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

        func fail(_ detail: String, at offset: Int? = nil) -> ContainerError {
            .malformedMPD(path: path, offset: offset ?? i, detail: detail)
        }

        func starts(with s: StaticString, at p: Int) -> Bool {
            let n = s.utf8CodeUnitCount
            guard p + n <= bytes.count else { return false }
            return s.withUTF8Buffer { u in
                for k in 0..<n where bytes[p + k] != u[k] { return false }
                return true
            }
        }

        static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        mutating func skip(past terminator: StaticString, what: String) throws(ContainerError) {
            let start = i
            while i < bytes.count {
                if starts(with: terminator, at: i) { i += terminator.utf8CodeUnitCount; return }
                i += 1
            }
            throw fail("unterminated \(what)", at: start)
        }

        mutating func skipSpace() {
            while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 }
        }

        /// Skips the prolog, comments and processing instructions, then reads the root element.
        mutating func document() throws(ContainerError) -> XMLElement {
            if starts(with: "\u{FEFF}", at: 0) { i = 3 }
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("no root element") }
                if starts(with: "<?", at: i) { try skip(past: "?>", what: "processing instruction"); continue }
                if starts(with: "<!--", at: i) { try skip(past: "-->", what: "comment"); continue }
                if starts(with: "<!", at: i) { throw fail("DTDs are not accepted in an MPD") }
                guard bytes[i] == UInt8(ascii: "<") else { throw fail("text before the root element") }
                break
            }
            let root = try element(depth: 0)
            while true {
                skipSpace()
                if i >= bytes.count { return root }
                if starts(with: "<!--", at: i) { try skip(past: "-->", what: "comment"); continue }
                if starts(with: "<?", at: i) { try skip(past: "?>", what: "processing instruction"); continue }
                throw fail("content after the root element")
            }
        }

        static func isNameByte(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":") || b >= 0x80
        }

        mutating func name() throws(ContainerError) -> String {
            let start = i
            while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
            guard i > start else { throw fail("expected a name") }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        static func localName(_ n: String) -> String {
            n.split(separator: ":").last.map(String.init) ?? n
        }

        /// Reads one element starting at `<`, with its attributes, children and text.
        mutating func element(depth: Int) throws(ContainerError) -> XMLElement {
            guard depth < ContainerLimits.maxDepth else { throw fail("elements nested deeper than \(ContainerLimits.maxDepth)") }
            elementCount += 1
            guard elementCount <= XMLReader.maxElements else { throw fail("more than \(XMLReader.maxElements) elements") }
            let start = i
            i += 1
            let qualified = try name()
            var result = XMLElement(name: Self.localName(qualified), attributes: [:], children: [], text: "", offset: start)
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated start tag <\(qualified)>", at: start) }
                if bytes[i] == UInt8(ascii: "/") {
                    guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") else { throw fail("expected '/>'") }
                    i += 2
                    return result
                }
                if bytes[i] == UInt8(ascii: ">") { i += 1; break }
                let attrStart = i
                let attrName = try name()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("attribute \(attrName) has no value") }
                i += 1
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else {
                    throw fail("attribute \(attrName) value is not quoted")
                }
                let quote = bytes[i]
                i += 1
                let valueStart = i
                while i < bytes.count, bytes[i] != quote {
                    guard bytes[i] != UInt8(ascii: "<") else { throw fail("'<' inside attribute \(attrName)") }
                    i += 1
                }
                guard i < bytes.count else { throw fail("unterminated value of attribute \(attrName)", at: valueStart) }
                let value = try decodeEntities(valueStart..<i)
                i += 1
                let local = Self.localName(attrName)
                // Namespace declarations are not data.
                if attrName == "xmlns" || attrName.hasPrefix("xmlns:") { continue }
                guard result.attributes[local] == nil else { throw fail("attribute \(local) repeated on <\(qualified)>", at: attrStart) }
                result.attributes[local] = value
            }
            // Content: text, children, comments, CDATA, until the matching end tag.
            var text = ""
            while true {
                guard i < bytes.count else { throw fail("<\(qualified)> is never closed", at: start) }
                if bytes[i] == UInt8(ascii: "<") {
                    if starts(with: "</", at: i) {
                        let closeStart = i
                        i += 2
                        let closing = try name()
                        guard closing == qualified else { throw fail("</\(closing)> closes <\(qualified)>", at: closeStart) }
                        skipSpace()
                        guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else { throw fail("expected '>'") }
                        i += 1
                        result.text = text.trimmingSpaces()
                        return result
                    }
                    if starts(with: "<!--", at: i) { try skip(past: "-->", what: "comment"); continue }
                    if starts(with: "<![CDATA[", at: i) {
                        let s = i + 9
                        try skip(past: "]]>", what: "CDATA section")
                        text += String(decoding: bytes[s..<i - 3], as: UTF8.self)
                        continue
                    }
                    if starts(with: "<?", at: i) { try skip(past: "?>", what: "processing instruction"); continue }
                    if starts(with: "<!", at: i) { throw fail("declarations are not accepted inside elements") }
                    result.children.append(try element(depth: depth + 1))
                } else {
                    let s = i
                    while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
                    if text.utf8.count < 65_536 { text += try decodeEntities(s..<i) }
                }
            }
        }

        /// Replaces the five predefined entities and numeric character references.
        func decodeEntities(_ range: Range<Int>) throws(ContainerError) -> String {
            var out: [UInt8] = []
            out.reserveCapacity(range.count)
            var p = range.lowerBound
            while p < range.upperBound {
                let b = bytes[p]
                guard b == UInt8(ascii: "&") else { out.append(b); p += 1; continue }
                var q = p + 1
                while q < range.upperBound, q - p < 12, bytes[q] != UInt8(ascii: ";") { q += 1 }
                guard q < range.upperBound, bytes[q] == UInt8(ascii: ";") else { throw fail("unterminated entity", at: p) }
                let entity = String(decoding: bytes[p + 1..<q], as: UTF8.self)
                switch entity {
                case "amp": out.append(UInt8(ascii: "&"))
                case "lt": out.append(UInt8(ascii: "<"))
                case "gt": out.append(UInt8(ascii: ">"))
                case "quot": out.append(UInt8(ascii: "\""))
                case "apos": out.append(UInt8(ascii: "'"))
                default:
                    var scalarValue: UInt32?
                    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                        scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        scalarValue = UInt32(entity.dropFirst(1), radix: 10)
                    }
                    guard let v = scalarValue, let scalar = Unicode.Scalar(v) else { throw fail("unknown entity &\(entity);", at: p) }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
                p = q + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        let u = Array(utf8)
        let isSpace: (UInt8) -> Bool = { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard let a = u.firstIndex(where: { !isSpace($0) }), let b = u.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: u[a...b], as: UTF8.self)
    }

    /// Escapes the characters that may not appear literally in an XML attribute value.
    var xmlEscaped: String {
        var out = ""
        for c in self {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
