/// Appends big-endian fields and nested boxes to a byte array.
///
/// Box sizes are patched once the body is written, so callers never compute sizes by hand.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u24(_ v: UInt32) { for s in stride(from: 16, through: 0, by: -8) { bytes.append(UInt8(v >> UInt32(s) & 0xFF)) } }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(v >> UInt32(s) & 0xFF)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(v >> UInt64(s) & 0xFF)) } }
    mutating func fourCC(_ c: FourCC) { u32(c.value) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    /// Overwrites four bytes at `offset` (used for sizes and data offsets known only later).
    mutating func patchU32(at offset: Int, _ v: UInt32) {
        bytes[offset] = UInt8(v >> 24)
        bytes[offset + 1] = UInt8(v >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(v >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(v & 0xFF)
    }

    /// Writes a box of `type` whose body is produced by `body`; a body too large for a 32-bit
    /// size gets the 64-bit `largesize` form.
    mutating func box(_ type: FourCC, _ body: (inout ByteWriter) -> Void) {
        let start = bytes.count
        u32(0)
        fourCC(type)
        body(&self)
        let size = bytes.count - start
        if size <= Int(UInt32.max) {
            patchU32(at: start, UInt32(size))
        } else {
            patchU32(at: start, 1)
            var large = ByteWriter()
            large.u64(UInt64(size + 8))
            bytes.insert(contentsOf: large.bytes, at: start + 8)
        }
    }

    /// Writes a FullBox: a box whose body starts with an 8-bit version and 24-bit flags.
    mutating func fullBox(_ type: FourCC, version: UInt8, flags: UInt32, _ body: (inout ByteWriter) -> Void) {
        box(type) { w in
            w.u8(version)
            w.u24(flags)
            body(&w)
        }
    }
}
