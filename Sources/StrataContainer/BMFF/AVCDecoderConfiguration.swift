/// The `avcC` record (ISO/IEC 14496-15, 5.3.3.1): parameter sets and NAL length size of an `avc1` track.
struct AVCDecoderConfiguration: Equatable {
    var sps: [[UInt8]]
    var pps: [[UInt8]]

    /// Profiles whose `avcC` carries no chroma-format and bit-depth extension (Baseline, Main,
    /// Extended); every other profile (High and above) carries it, as in ISO/IEC 14496-15:2017.
    private static let profilesWithoutExtension: Set<UInt8> = [66, 77, 88]

    /// Serializes the record with 4-byte NAL lengths. Profile, compatibility and level come from
    /// the first SPS; for High profiles the chroma format and bit depths are read from it too.
    func serialized() -> [UInt8] {
        var w = ByteWriter()
        let first = sps.first ?? []
        w.u8(1)
        w.u8(first.count > 1 ? first[1] : 0)
        w.u8(first.count > 2 ? first[2] : 0)
        w.u8(first.count > 3 ? first[3] : 0)
        w.u8(0xFC | 3)
        w.u8(0xE0 | UInt8(min(sps.count, 31)))
        for s in sps.prefix(31) { w.u16(UInt16(truncatingIfNeeded: s.count)); w.append(s) }
        w.u8(UInt8(min(pps.count, 255)))
        for p in pps.prefix(255) { w.u16(UInt16(truncatingIfNeeded: p.count)); w.append(p) }
        if first.count > 1, !Self.profilesWithoutExtension.contains(first[1]), let ext = SPSChromaInfo(sps: first) {
            w.u8(0xFC | UInt8(ext.chromaFormatIDC & 3))
            w.u8(0xF8 | UInt8(ext.bitDepthLumaMinus8 & 7))
            w.u8(0xF8 | UInt8(ext.bitDepthChromaMinus8 & 7))
            w.u8(0)
        }
        return w.bytes
    }

    /// Parses an `avcC` body; only 4-byte NAL lengths are accepted because samples are read that way.
    static func parse(_ r: inout ByteReader) throws(ContainerError) -> AVCDecoderConfiguration {
        let start = r.position
        let version = try r.u8()
        guard version == 1 else { throw r.malformed("configurationVersion \(version), expected 1", at: start) }
        try r.skip(3)
        let lengthSize = (try r.u8() & 3) + 1
        guard lengthSize == 4 else {
            throw ContainerError.unsupported(path: r.path, offset: start, box: "avcC", detail: "NAL length size \(lengthSize), Strata reads 4")
        }
        let spsCount = Int(try r.u8() & 0x1F)
        var sps: [[UInt8]] = []
        for _ in 0..<spsCount {
            let n = Int(try r.u16())
            guard n > 0 else { throw r.malformed("empty SPS") }
            sps.append(try r.bytes(n))
        }
        let ppsCount = Int(try r.u8())
        var pps: [[UInt8]] = []
        for _ in 0..<ppsCount {
            let n = Int(try r.u16())
            guard n > 0 else { throw r.malformed("empty PPS") }
            pps.append(try r.bytes(n))
        }
        return AVCDecoderConfiguration(sps: sps, pps: pps)
    }
}

/// The few SPS fields the High-profile `avcC` extension repeats (H.264 7.3.2.1.1).
struct SPSChromaInfo {
    var chromaFormatIDC: Int
    var bitDepthLumaMinus8: Int
    var bitDepthChromaMinus8: Int

    /// Reads the fields from an SPS NAL unit (header byte included); nil when the SPS is too
    /// short or malformed, in which case the extension is left out.
    init?(sps: [UInt8]) {
        guard sps.count > 4 else { return nil }
        // Remove emulation prevention bytes (00 00 03) from the part after the header.
        var rbsp: [UInt8] = []
        var zeros = 0
        for b in sps[1...] {
            if zeros >= 2 && b == 3 { zeros = 0; continue }
            rbsp.append(b)
            zeros = b == 0 ? zeros + 1 : 0
        }
        var bits = BitReader(rbsp)
        bits.skip(24)  // profile_idc, constraint flags, level_idc
        guard bits.ue() != nil, let chroma = bits.ue(), chroma <= 3 else { return nil }
        if chroma == 3 { guard bits.bit() != nil else { return nil } }
        guard let luma = bits.ue(), let chromaDepth = bits.ue(), luma <= 6, chromaDepth <= 6 else { return nil }
        chromaFormatIDC = chroma
        bitDepthLumaMinus8 = luma
        bitDepthChromaMinus8 = chromaDepth
    }
}

/// MSB-first bit reader with Exp-Golomb codes; returns nil instead of reading past the end.
struct BitReader {
    private let bytes: [UInt8]
    private var bitPosition = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skip(_ n: Int) { bitPosition += n }

    mutating func bit() -> Int? {
        guard bitPosition < bytes.count * 8 else { return nil }
        defer { bitPosition += 1 }
        return Int(bytes[bitPosition >> 3] >> (7 - UInt8(bitPosition & 7)) & 1)
    }

    /// Unsigned Exp-Golomb; codes longer than 31 leading zeros are rejected.
    mutating func ue() -> Int? {
        var zeros = 0
        while true {
            guard let b = bit() else { return nil }
            if b == 1 { break }
            zeros += 1
            if zeros > 31 { return nil }
        }
        var value = 0
        for _ in 0..<zeros {
            guard let b = bit() else { return nil }
            value = value << 1 | b
        }
        return (1 << zeros) - 1 + value
    }
}
