/// CRC-32 as in ISO-HDLC, zlib and PNG (reflected polynomial 0xEDB88320, initial and final
/// value 0xFFFFFFFF), so a fragment's check values can be verified with any common tool.
///
/// ``checksum(_:range:)`` consumes eight bytes per step with eight derived tables
/// ("slicing-by-8"), several times faster than the byte-at-a-time ``referenceChecksum(_:range:)``
/// it is tested against; every fragment read verifies every sample, so this runs on all media bytes.
public enum CRC32 {
    /// Table k maps a byte to its CRC contribution k bytes further along the message.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC-32 of `bytes[range]`; the whole array when `range` is nil.
    public static func checksum(_ bytes: [UInt8], range: Range<Int>? = nil) -> UInt32 {
        update(0xFFFF_FFFF, bytes, range ?? 0..<bytes.count) ^ 0xFFFF_FFFF
    }

    /// The CRC-32 of the arrays one after another (a fragment's samples, as its `mdat` holds them).
    static func checksum(concatenating parts: [[UInt8]]) -> UInt32 {
        parts.reduce(0xFFFF_FFFF) { update($0, $1, 0..<$1.count) } ^ 0xFFFF_FFFF
    }

    /// The register after `bytes[r]`, from `register` (before the final XOR).
    private static func update(_ register: UInt32, _ bytes: [UInt8], _ r: Range<Int>) -> UInt32 {
        precondition(r.lowerBound >= 0 && r.upperBound <= bytes.count, "range outside the array")
        var crc = register
        tables.withUnsafeBufferPointer { t in
            bytes.withUnsafeBytes { raw in
                var i = r.lowerBound
                while r.upperBound - i >= 8 {
                    let lo = crc ^ UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                    let hi = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                    crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int(lo >> 8 & 0xFF)]
                        ^ t[5 * 256 + Int(lo >> 16 & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                        ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int(hi >> 8 & 0xFF)]
                        ^ t[1 * 256 + Int(hi >> 16 & 0xFF)] ^ t[Int(hi >> 24)]
                    i += 8
                }
                while i < r.upperBound {
                    crc = t[Int((crc ^ UInt32(raw[i])) & 0xFF)] ^ (crc >> 8)
                    i += 1
                }
            }
        }
        return crc
    }

    /// Byte-at-a-time CRC-32: the definition ``checksum(_:range:)`` must match on every input.
    public static func referenceChecksum(_ bytes: [UInt8], range: Range<Int>? = nil) -> UInt32 {
        let r = range ?? 0..<bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        for i in r { crc = tables[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
