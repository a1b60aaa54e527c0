/// The H.264 Annex B byte-stream format: NAL units separated by start codes, as OpenH264 and x264
/// write them and as `ffmpeg -f h264` reads them.
public enum AnnexB {
    /// The four-byte start code `serialize` writes before every unit.
    public static let startCode: [UInt8] = [0, 0, 0, 1]

    /// Splits an Annex B stream into NAL units.
    ///
    /// Leading and trailing zero bytes around start codes are dropped; emulation-prevention bytes
    /// are kept. Layer ids come from the SVC extension header of types 14 and 20; an AVC slice
    /// (types 1 and 5) right after a prefix unit takes the prefix's ids. Frame indices are -1:
    /// ``accessUnits(_:)`` assigns them.
    public static func parse(_ bytes: [UInt8]) throws(AnnexBError) -> [NALUnit] {
        let ranges = try nalRanges(bytes)
        var units: [NALUnit] = []
        units.reserveCapacity(ranges.count)
        var previousPrefix: NALUnit?
        for range in ranges {
            let length = range.count
            guard length >= 1 else { throw .truncatedNALUnit(byteOffset: range.lowerBound, length: length) }
            let header = bytes[range.lowerBound]
            guard header & 0x80 == 0 else { throw .forbiddenZeroBitSet(byteOffset: range.lowerBound) }
            let type = header & 0x1F
            if (type == NALUnitType.prefix || type == NALUnitType.codedSliceExtension) && length < 4 {
                throw .truncatedNALUnit(byteOffset: range.lowerBound, length: length)
            }
            var unit = NALUnit(bytes: Array(bytes[range]))
            if type == NALUnitType.slice || type == NALUnitType.idrSlice, let prefix = previousPrefix {
                unit.temporalId = prefix.temporalId
                unit.dependencyId = prefix.dependencyId
                unit.qualityId = prefix.qualityId
            }
            previousPrefix = type == NALUnitType.prefix ? unit : nil
            units.append(unit)
        }
        return units
    }

    /// The byte ranges of the NAL units in `bytes` (without start codes and trailing zero bytes).
    static func nalRanges(_ bytes: [UInt8]) throws(AnnexBError) -> [Range<Int>] {
        let n = bytes.count
        var ranges: [Range<Int>] = []
        var firstStart: Int?
        // Positions just after each start code.
        var starts: [Int] = []
        var i = 0
        bytes.withUnsafeBufferPointer { p in
            while i + 2 < n {
                if p[i + 2] > 1 {
                    i += 3
                } else if p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 {
                    starts.append(i + 3)
                    if firstStart == nil { firstStart = i }
                    i += 3
                } else {
                    i += 1
                }
            }
        }
        guard let first = firstStart else {
            if let nonZero = bytes.firstIndex(where: { $0 != 0 }) { throw .missingStartCode(byteOffset: nonZero) }
            return []
        }
        if let nonZero = bytes[0..<first].firstIndex(where: { $0 != 0 }) {
            throw .missingStartCode(byteOffset: nonZero)
        }
        for (k, start) in starts.enumerated() {
            // The unit ends at the next start code, less the zero bytes that precede it
            // (`zero_byte` of a four-byte start code, `trailing_zero_8bits`).
            var end = k + 1 < starts.count ? starts[k + 1] - 3 : n
            while end > start && bytes[end - 1] == 0 { end -= 1 }
            ranges.append(start..<end)
        }
        return ranges
    }

    /// Writes the units as an Annex B stream with a four-byte start code before each.
    public static func serialize(_ nals: [NALUnit]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(nals.reduce(0) { $0 + $1.bytes.count + 4 })
        for nal in nals {
            out.append(contentsOf: startCode)
            out.append(contentsOf: nal.bytes)
        }
        return out
    }

    /// Groups units in decoding order into access units (one per frame) and numbers the frames.
    ///
    /// A new access unit starts at an access unit delimiter, or at a slice whose
    /// `first_mb_in_slice` is 0 when the current one already holds a slice of the same spatial and
    /// quality layer. Parameter sets, SEI and prefix units between two pictures go with the picture
    /// after them (H.264 7.4.1.2.3). Each unit's `frameIndex` is set to its access unit's number.
    public static func accessUnits(_ nals: [NALUnit]) -> [AccessUnit] {
        var groups: [[NALUnit]] = []
        var current: [NALUnit] = []
        var currentLayers: Set<Int> = []
        var pending: [NALUnit] = []

        func closeCurrent() {
            if !current.isEmpty { groups.append(current) }
            current = []
            currentLayers = []
        }

        for nal in nals {
            if nal.type == NALUnitType.accessUnitDelimiter {
                closeCurrent()
                current = pending + [nal]
                pending = []
                continue
            }
            guard nal.isVCL else {
                pending.append(nal)
                continue
            }
            let layerKey = nal.dependencyId * 16 + nal.qualityId
            let startsPicture = firstMBInSlice(nal) == 0
            if startsPicture && currentLayers.contains(layerKey) { closeCurrent() }
            current.append(contentsOf: pending)
            pending = []
            current.append(nal)
            currentLayers.insert(layerKey)
        }
        current.append(contentsOf: pending)
        closeCurrent()

        return groups.enumerated().map { index, group in
            let units = group.map { nal -> NALUnit in
                var nal = nal
                nal.frameIndex = index
                return nal
            }
            let firstSlice = units.first(where: \.isVCL)
            return AccessUnit(frameIndex: index, temporalId: firstSlice?.temporalId ?? 0,
                              isIDR: units.contains(where: \.isIDR), nalUnits: units)
        }
    }

    /// `first_mb_in_slice` of a slice unit, or nil when the unit is not a slice or too short.
    static func firstMBInSlice(_ nal: NALUnit) -> Int? {
        let headerLength: Int
        switch nal.type {
        case 1...5: headerLength = 1
        case NALUnitType.codedSliceExtension: headerLength = 4
        default: return nil
        }
        var reader = RBSPBitReader(bytes: nal.bytes, start: headerLength)
        return reader.readUnsignedExpGolomb()
    }
}

/// Reads bits from a NAL unit's payload, skipping emulation-prevention bytes (`00 00 03`).
struct RBSPBitReader {
    private let bytes: [UInt8]
    private var index: Int
    private var bitInByte = 0
    private var zeroRun = 0
    private var current: UInt8 = 0
    private var hasCurrent = false

    init(bytes: [UInt8], start: Int) {
        self.bytes = bytes
        self.index = start
    }

    private mutating func loadByte() -> Bool {
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if zeroRun >= 2 && b == 3 {
                zeroRun = 0
                continue
            }
            zeroRun = b == 0 ? zeroRun + 1 : 0
            current = b
            hasCurrent = true
            bitInByte = 0
            return true
        }
        return false
    }

    /// The next bit, or nil at the end of the data.
    mutating func readBit() -> Int? {
        if !hasCurrent || bitInByte == 8 {
            guard loadByte() else { return nil }
        }
        let bit = Int((current >> (7 - bitInByte)) & 1)
        bitInByte += 1
        return bit
    }

    /// An `ue(v)` Exp-Golomb value, or nil when the data ends first or the code is longer than 31 bits.
    mutating func readUnsignedExpGolomb() -> Int? {
        var leadingZeros = 0
        while true {
            guard let bit = readBit() else { return nil }
            if bit == 1 { break }
            leadingZeros += 1
            if leadingZeros > 31 { return nil }
        }
        var value = 0
        for _ in 0..<leadingZeros {
            guard let bit = readBit() else { return nil }
            value = value << 1 | bit
        }
        return (1 << leadingZeros) - 1 + value
    }
}
