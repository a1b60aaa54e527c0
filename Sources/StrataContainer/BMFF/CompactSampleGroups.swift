/// The compact sample-to-group box `csgp` (ISO/IEC 14496-12, 8.9.5): each sample's group as a few
/// patterns of group indices, each repeated over a run of samples, in bit fields of 4, 8, 16 or 32
/// bits packed most significant bit first.
///
/// A temporal hierarchy repeats with its period (0 3 2 3 1 3 2 3 ...), so one pattern of eight
/// 4-bit indices maps a whole fragment where `sbgp` needs a run of 8 bytes per sample.
/// Specs/fragment-format.md, "Temporal layers at the container level".
enum CompactSampleGroups {
    /// Flag bit: the most significant bit of an index marks an entry of the fragment's own `sgpd`.
    static let fragmentLocalFlag: UInt32 = 0x80
    /// Flag bit: a grouping_type_parameter follows the grouping type.
    static let parameterFlag: UInt32 = 0x40
    /// The longest pattern period the writer looks for.
    static let longestPeriod = 32

    /// One pattern: `indices` repeated over `sampleCount` consecutive samples.
    struct Pattern: Equatable {
        var indices: [UInt32]
        var sampleCount: Int
    }

    /// The patterns that cover `entries` (1-based entries of the fragment's `sgpd`, one per sample):
    /// from each sample on, of the periods up to ``longestPeriod``, the one whose repetition covers the
    /// samples at the fewest bits per sample (about 16 for the pattern's length and count, 4 per index).
    static func patterns(_ entries: [Int]) -> [Pattern] {
        var result: [Pattern] = []
        var i = 0
        while i < entries.count {
            var best = (period: 1, reach: 1, bits: 20)
            for period in 1...min(longestPeriod, entries.count - i) {
                var reach = period
                while i + reach < entries.count && entries[i + reach] == entries[i + reach % period] { reach += 1 }
                let bits = 16 + 4 * period
                if bits * best.reach < best.bits * reach { best = (period, reach, bits) }
            }
            result.append(Pattern(indices: entries[i..<(i + best.period)].map { UInt32($0) }, sampleCount: best.reach))
            i += best.reach
        }
        return result
    }

    /// The bits of the smallest field (4, 8, 16 or 32 bits; size code 0...3) that holds `value`.
    static func sizeCode(_ value: UInt64) -> UInt32 {
        value < 1 << 4 ? 0 : value < 1 << 8 ? 1 : value < 1 << 16 ? 2 : 3
    }

    /// Writes a `csgp` of `groupingType` mapping sample k to entry `entries[k]` (1-based) of the
    /// fragment's `sgpd` when `fragmentLocal`, else of the init segment's.
    static func write(_ w: inout ByteWriter, groupingType: FourCC, entries: [Int], fragmentLocal: Bool) {
        let patterns = patterns(entries)
        var patternCode = sizeCode(UInt64(patterns.map(\.indices.count).max() ?? 0))
        var countCode = sizeCode(UInt64(patterns.map(\.sampleCount).max() ?? 0))
        // 4-bit pattern lengths and sample counts come only in pairs (one byte per pattern).
        if patternCode == 0 || countCode == 0 { (patternCode, countCode) = (max(patternCode, countCode), max(patternCode, countCode)) }
        // A fragment-local index field also holds the flag in its most significant bit.
        let indexCode = sizeCode(UInt64(entries.max() ?? 0) << (fragmentLocal ? 1 : 0))
        let flags = (fragmentLocal ? fragmentLocalFlag : 0) | patternCode << 4 | countCode << 2 | indexCode
        w.fullBox(BoxType.csgp, version: 0, flags: flags) { w in
            w.fourCC(groupingType)
            w.u32(UInt32(patterns.count))
            var bits = BitPacker()
            for p in patterns {
                bits.append(UInt64(p.indices.count), 4 << patternCode)
                bits.append(UInt64(p.sampleCount), 4 << countCode)
            }
            let localBit = fragmentLocal ? UInt64(1) << ((4 << indexCode) - 1) : 0
            for p in patterns { for index in p.indices { bits.append(UInt64(index) | localBit, 4 << indexCode) } }
            w.append(bits.finish())
        }
    }

    /// Reads a `csgp` box (`r` positioned after its version and flags): each sample's group description
    /// index as `sbgp` gives it (0 for no group, 1...0xFFFF an entry of the init segment's `sgpd`,
    /// 0x10000 plus the 1-based entry of the fragment's own); `nil` when the box groups by another type.
    static func read(_ r: inout ByteReader, flags: UInt32, groupingType: FourCC, sampleCount: Int, start: Int) throws(ContainerError) -> [UInt32]? {
        guard try r.fourCC() == groupingType else { return nil }
        if flags & parameterFlag != 0 { try r.skip(4) }
        let patternCount = Int(try r.u32())
        let patternBits = 4 << Int(flags >> 4 & 3), countBits = 4 << Int(flags >> 2 & 3), indexBits = 4 << Int(flags & 3)
        guard (patternBits == 4) == (countBits == 4) else { throw r.malformed("4-bit pattern lengths need 4-bit sample counts", at: start) }
        guard patternCount <= ContainerLimits.maxEntries, patternCount * (patternBits + countBits) <= r.remaining * 8 else {
            throw .limitExceeded(path: r.path, offset: start, box: "csgp", field: "pattern count", value: UInt64(patternCount),
                                 limit: UInt64(min(ContainerLimits.maxEntries, r.remaining * 8 / (patternBits + countBits))))
        }
        var bits = BitUnpacker(try r.bytes(r.remaining))
        var shapes: [(length: Int, count: Int)] = []
        var totalLength = 0, totalCount = 0
        for _ in 0..<patternCount {
            let length = Int(bits.read(patternBits)), count = Int(bits.read(countBits))
            guard length > 0 || count == 0 else { throw r.malformed("an empty pattern covers \(count) samples", at: start) }
            totalLength += length; totalCount += count
            guard totalCount <= sampleCount else { throw r.malformed("patterns cover more than the \(sampleCount) samples", at: start) }
            shapes.append((length, count))
        }
        guard totalLength * indexBits <= bits.remaining else { throw .truncated(path: r.path, offset: start, box: "csgp") }
        let localBit = flags & fragmentLocalFlag != 0 ? UInt64(1) << (indexBits - 1) : 0
        var entries: [UInt32] = []
        entries.reserveCapacity(sampleCount)
        for shape in shapes {
            var pattern: [UInt32] = []
            for _ in 0..<shape.length {
                let index = bits.read(indexBits)
                let local = index & localBit != 0
                let entry = index & ~localBit
                guard entry <= 0xFFFF else {
                    throw .malformedBox(path: r.path, offset: start, box: "csgp", detail: "group index \(entry) above 65535")
                }
                pattern.append(local ? SampleFlags.fragmentLocalGroupBase + UInt32(entry) : UInt32(entry))
            }
            for k in 0..<shape.count { entries.append(pattern[k % shape.length]) }
        }
        return entries + repeatElement(0, count: sampleCount - entries.count)
    }
}

/// Appends bit fields, most significant bit first, into bytes.
struct BitPacker {
    private var bytes: [UInt8] = []
    private var pending: UInt64 = 0
    private var pendingBits = 0

    mutating func append(_ value: UInt64, _ width: Int) {
        for shift in stride(from: width - 1, through: 0, by: -1) {
            pending = pending << 1 | (value >> UInt64(shift) & 1)
            pendingBits += 1
            if pendingBits == 8 { bytes.append(UInt8(pending)); pending = 0; pendingBits = 0 }
        }
    }

    /// The bytes, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if pendingBits > 0 { append(0, 8 - pendingBits) }
        return bytes
    }
}

/// Reads bit fields, most significant bit first; the caller checks ``remaining`` before reading.
struct BitUnpacker {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count * 8 - position }

    mutating func read(_ width: Int) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<width {
            value = value << 1 | UInt64(bytes[position >> 3] >> (7 - UInt8(position & 7)) & 1)
            position += 1
        }
        return value
    }
}
