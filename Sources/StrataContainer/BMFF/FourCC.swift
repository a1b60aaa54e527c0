/// A four-character code naming an ISO BMFF box, brand or sample entry.
struct FourCC: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    let value: UInt32

    init(_ value: UInt32) { self.value = value }

    init(stringLiteral text: String) {
        let utf8 = Array(text.utf8)
        precondition(utf8.count == 4, "a four-character code has four ASCII characters")
        value = utf8.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Printable form for messages; bytes outside ASCII are shown as `?` so that a damaged
    /// box type never produces an unreadable error.
    var description: String {
        let bytes = [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        return String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
    }
}
