/// The few fields of H.264 parameter sets and slice headers that taking a stream apart needs:
/// which ids link a slice to its PPS and a PPS to its (subset) SPS, and each layer's picture size.
enum ParameterSetSyntax {
    /// `seq_parameter_set_id` and the cropped picture size of an SPS (type 7) or subset SPS (type 15).
    struct SequenceInfo: Equatable {
        var id: Int
        var width: Int
        var height: Int
    }

    /// Profiles whose SPS carries `chroma_format_idc` and the bit depths (H.264 7.3.2.1.1).
    private static let profilesWithChromaInfo: Set<Int> = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]

    /// Parses `seq_parameter_set_data` of a NAL unit with its one header byte; nil when it is cut short.
    static func sequence(_ nal: [UInt8]) -> SequenceInfo? {
        var r = ExpGolombReader(nal, start: 1)
        guard let profile = r.bits(8), r.bits(16) != nil, let id = r.ue(), id <= 31 else { return nil }
        var chromaFormat = 1
        var separateColourPlanes = false
        if profilesWithChromaInfo.contains(profile) {
            guard let chroma = r.ue(), chroma <= 3 else { return nil }
            chromaFormat = chroma
            if chroma == 3 {
                guard let flag = r.bits(1) else { return nil }
                separateColourPlanes = flag == 1
            }
            guard r.ue() != nil, r.ue() != nil, r.bits(1) != nil, let scaling = r.bits(1) else { return nil }
            if scaling == 1 {
                for list in 0..<(chromaFormat == 3 ? 12 : 8) {
                    guard let present = r.bits(1) else { return nil }
                    if present == 1 { guard skipScalingList(&r, size: list < 6 ? 16 : 64) else { return nil } }
                }
            }
        }
        guard r.ue() != nil, let pocType = r.ue() else { return nil }
        if pocType == 0 {
            guard r.ue() != nil else { return nil }
        } else if pocType == 1 {
            guard r.bits(1) != nil, r.se() != nil, r.se() != nil, let cycle = r.ue(), cycle <= 255 else { return nil }
            for _ in 0..<cycle { guard r.se() != nil else { return nil } }
        }
        guard r.ue() != nil, r.bits(1) != nil, let widthMBs = r.ue(), let heightUnits = r.ue(), let frameMBsOnly = r.bits(1) else { return nil }
        if frameMBsOnly == 0 { guard r.bits(1) != nil else { return nil } }
        guard r.bits(1) != nil, let cropping = r.bits(1) else { return nil }
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if cropping == 1 {
            guard let l = r.ue(), let rt = r.ue(), let t = r.ue(), let b = r.ue() else { return nil }
            crop = (l, rt, t, b)
        }
        let arrayType = separateColourPlanes ? 0 : chromaFormat
        let cropX = arrayType == 0 ? 1 : (chromaFormat == 3 ? 1 : 2)
        let cropY = (2 - frameMBsOnly) * (arrayType == 0 ? 1 : (chromaFormat == 1 ? 2 : 1))
        let width = (widthMBs + 1) * 16 - cropX * (crop.left + crop.right)
        let height = (2 - frameMBsOnly) * (heightUnits + 1) * 16 - cropY * (crop.top + crop.bottom)
        guard width > 0, height > 0 else { return nil }
        return SequenceInfo(id: id, width: width, height: height)
    }

    private static func skipScalingList(_ r: inout ExpGolombReader, size: Int) -> Bool {
        var last = 8, next = 8
        for _ in 0..<size where next != 0 {
            guard let delta = r.se() else { return false }
            next = (last + delta + 256) % 256
            last = next == 0 ? last : next
        }
        return true
    }

    /// `pic_parameter_set_id` and `seq_parameter_set_id` of a PPS (type 8); nil when cut short.
    static func picture(_ nal: [UInt8]) -> (id: Int, sequenceID: Int)? {
        var r = ExpGolombReader(nal, start: 1)
        guard let id = r.ue(), let sps = r.ue() else { return nil }
        return (id, sps)
    }

    /// `pic_parameter_set_id` of a slice (types 1, 5 and 20); nil for other units.
    static func slicePictureParameterSetID(_ nal: [UInt8], type: UInt8) -> Int? {
        let header: Int
        switch type {
        case 1, 5: header = 1
        case 20: header = 4
        default: return nil
        }
        var r = ExpGolombReader(nal, start: header)
        guard r.ue() != nil, r.ue() != nil else { return nil }
        return r.ue()
    }
}

/// Reads bits MSB first from a NAL unit's payload, skipping emulation-prevention bytes; every
/// read returns nil instead of running past the end.
struct ExpGolombReader {
    private var rbsp: [UInt8] = []
    private var position = 0

    init(_ nal: [UInt8], start: Int) {
        var zeros = 0
        // The fields read here sit in the first bytes; 256 bytes cover the longest SPS prefix.
        for b in nal.dropFirst(start).prefix(256) {
            if zeros >= 2 && b == 3 { zeros = 0; continue }
            rbsp.append(b)
            zeros = b == 0 ? zeros + 1 : 0
        }
    }

    mutating func bits(_ n: Int) -> Int? {
        guard position + n <= rbsp.count * 8 else { return nil }
        var v = 0
        for _ in 0..<n {
            v = v << 1 | Int(rbsp[position >> 3] >> (7 - UInt8(position & 7)) & 1)
            position += 1
        }
        return v
    }

    mutating func ue() -> Int? {
        var zeros = 0
        while true {
            guard let b = bits(1) else { return nil }
            if b == 1 { break }
            zeros += 1
            if zeros > 31 { return nil }
        }
        guard let rest = bits(zeros) else { return nil }
        return (1 << zeros) - 1 + rest
    }

    mutating func se() -> Int? {
        guard let k = ue() else { return nil }
        return k & 1 == 1 ? (k + 1) / 2 : -(k / 2)
    }
}
