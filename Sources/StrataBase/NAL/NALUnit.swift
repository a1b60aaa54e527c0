/// One H.264 NAL unit as it travels between the base-layer encoder, the container and the decoder.
///
/// `bytes` is the header byte(s) and payload without a start code; emulation-prevention bytes are
/// kept, so the bytes can be written to Annex B or to a length-prefixed sample unchanged. The layer
/// ids live beside the bytes because a plain AVC slice does not carry them: they come from the SVC
/// extension header (types 14 and 20), from the prefix NAL unit before an AVC slice, or from the
/// encoder that produced the unit.
public struct NALUnit: Sendable, Hashable {
    /// Header byte(s) and payload, no start code, emulation-prevention bytes kept.
    public var bytes: [UInt8]
    /// Temporal layer (0 = the lowest frame rate); 0 for parameter sets.
    public var temporalId: Int
    /// Spatial layer (SVC `dependency_id`, 0 = the AVC base).
    public var dependencyId: Int
    /// SVC `quality_id` (0 unless the stream uses SVC quality layers).
    public var qualityId: Int
    /// Input frame the unit belongs to; -1 when unknown (parsed from Annex B without grouping).
    public var frameIndex: Int

    /// Creates a unit from its bytes, taking the layer ids from an SVC extension header when the
    /// unit has one (types 14 and 20) and 0 otherwise.
    public init(bytes: [UInt8], frameIndex: Int = -1) {
        self.bytes = bytes
        self.frameIndex = frameIndex
        if let header = SVCExtensionHeader(nalBytes: bytes) {
            temporalId = header.temporalId
            dependencyId = header.dependencyId
            qualityId = header.qualityId
        } else {
            temporalId = 0
            dependencyId = 0
            qualityId = 0
        }
    }

    /// Creates a unit with layer ids given by the producer (the encoder knows them for AVC slices).
    public init(bytes: [UInt8], temporalId: Int, dependencyId: Int, qualityId: Int = 0, frameIndex: Int) {
        self.bytes = bytes
        self.temporalId = temporalId
        self.dependencyId = dependencyId
        self.qualityId = qualityId
        self.frameIndex = frameIndex
    }

    /// `nal_unit_type` (`bytes[0] & 0x1F`); 0 for an empty unit.
    public var type: UInt8 { bytes.first.map { $0 & 0x1F } ?? 0 }

    /// `nal_ref_idc`: 0 marks a unit no other picture references, so it can be dropped alone.
    public var nalRefIdc: UInt8 { bytes.first.map { ($0 >> 5) & 0x03 } ?? 0 }

    /// True for sequence, picture and subset sequence parameter sets (types 7, 8, 15), which every
    /// decoder of any layer needs before the first slice.
    public var isParameterSet: Bool { type == NALUnitType.sps || type == NALUnitType.pps || type == NALUnitType.subsetSPS }

    /// True for the units a plain AVC decoder reads (types 1...13 except the SVC types): what is left
    /// of the stream when the SVC layers above the base are dropped.
    public var isAVCBaseNAL: Bool { (1...13).contains(type) }

    /// True for units that carry coded picture data (slice types 1...5 and the SVC slice type 20).
    public var isVCL: Bool { (1...5).contains(type) || type == NALUnitType.codedSliceExtension }

    /// True for an IDR slice of the base (type 5) or an SVC slice or prefix whose `idr_flag` is set.
    public var isIDR: Bool {
        if type == NALUnitType.idrSlice { return true }
        return SVCExtensionHeader(nalBytes: bytes)?.idrFlag ?? false
    }
}

/// The `nal_unit_type` values Strata looks at (ITU-T H.264 Table 7-1).
public enum NALUnitType {
    /// Coded slice of a non-IDR picture.
    public static let slice: UInt8 = 1
    /// Coded slice of an IDR picture.
    public static let idrSlice: UInt8 = 5
    /// Supplemental enhancement information.
    public static let sei: UInt8 = 6
    /// Sequence parameter set.
    public static let sps: UInt8 = 7
    /// Picture parameter set.
    public static let pps: UInt8 = 8
    /// Access unit delimiter.
    public static let accessUnitDelimiter: UInt8 = 9
    /// End of sequence.
    public static let endOfSequence: UInt8 = 10
    /// End of stream.
    public static let endOfStream: UInt8 = 11
    /// Filler data.
    public static let filler: UInt8 = 12
    /// SVC prefix NAL unit: carries the layer ids of the AVC slice that follows it.
    public static let prefix: UInt8 = 14
    /// Subset sequence parameter set (SVC layers above the base).
    public static let subsetSPS: UInt8 = 15
    /// Coded slice extension (SVC layers above the base).
    public static let codedSliceExtension: UInt8 = 20
}

/// The three bytes after the first header byte of an SVC NAL unit (types 14 and 20), H.264 G.7.3.1.1.
struct SVCExtensionHeader: Sendable, Hashable {
    var idrFlag: Bool
    var priorityId: Int
    var noInterLayerPrediction: Bool
    var dependencyId: Int
    var qualityId: Int
    var temporalId: Int
    var discardable: Bool
    var output: Bool

    /// Reads the header of a type 14 or 20 unit whose `svc_extension_flag` is set; nil otherwise.
    init?(nalBytes b: [UInt8]) {
        guard b.count >= 4 else { return nil }
        let type = b[0] & 0x1F
        guard type == NALUnitType.prefix || type == NALUnitType.codedSliceExtension, b[1] & 0x80 != 0 else { return nil }
        idrFlag = b[1] & 0x40 != 0
        priorityId = Int(b[1] & 0x3F)
        noInterLayerPrediction = b[2] & 0x80 != 0
        dependencyId = Int((b[2] >> 4) & 0x07)
        qualityId = Int(b[2] & 0x0F)
        temporalId = Int((b[3] >> 5) & 0x07)
        discardable = b[3] & 0x08 != 0
        output = b[3] & 0x04 != 0
    }
}
