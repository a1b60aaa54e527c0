/// The fixed configuration of one enhancement layer: its picture size, the size of the layer it
/// refines, its base quantizer and the temporal hierarchy it follows.
///
/// The serialized form is the layer configuration record stored in the layer's init segment
/// (Specs/enhancement-bitstream.md, section "Layer configuration record"); a decoder needs nothing else.
public struct EnhancementLayerParameters: Sendable, Hashable, Codable {
    /// This layer's picture width in luma samples (even).
    public var width: Int
    /// This layer's picture height in luma rows (even).
    public var height: Int
    /// Width of the decoded layer below, which is upsampled to predict this one.
    public var referenceWidth: Int
    /// Height of the decoded layer below.
    public var referenceHeight: Int
    /// Base quantizer of the layer on the H.264-like scale 0...51 (the step doubles every 6).
    public var qp: Int
    /// Number of temporal layers of the base's hierarchy (1...4); frames follow its reference rule.
    public var temporalLayers: Int

    /// Bitstream version of the layer (configuration record and frame syntax): 1...9 (version 2 adds
    /// split macroblocks, version 3 the deblocking offset and inter-layer motion, version 4 context
    /// states inherited within each temporal id, version 5 SKIP macroblocks with the lower layer's
    /// vector, version 6 residual contexts chosen by the lower layer's levels and sign hiding, version 7
    /// prediction from a later picture in coding order, ``EnhancementCodingOrder``, version 8
    /// inter-layer motion over a lower layer of half the size, version 9 a payload four bytes shorter:
    /// the QP difference in the flags byte and a shorter flush).
    /// Encoders write ``bitstreamVersion`` unless told otherwise; decoders read all nine.
    public var version: UInt8
    /// Shifts the QP that selects the deblocking filter's thresholds, -51...51 (from version 3; 0 in
    /// versions 1 and 2): negative values filter less, positive more.
    public var deblockingOffset: Int
    /// Version 3: the layer predicts each vector from the lower layer's vector of the same 8x8 unit at
    /// the same instant (where the lower macroblock carries one), so the lower layer must be an
    /// enhancement layer of this layer's size (from version 8 also of exactly half its width and
    /// height, its vectors doubled: ``lowerMotionScale``) and its motion is given to the codec with
    /// each frame.
    public var interLayerMotion: Bool

    /// Whether a layer of `width x height` over an enhancement layer of `referenceWidth x referenceHeight`
    /// can predict its vectors from that layer's in bitstream `version` (``interLayerMotion``): over a
    /// layer of its size from version 3, over one of exactly half its size from version 8. Encoders turn
    /// it on wherever it can be (an enhancement layer over the H.264 base has no vectors to read).
    public static func interLayerMotionPossible(width: Int, height: Int, referenceWidth: Int, referenceHeight: Int,
                                                version: UInt8 = bitstreamVersion) -> Bool {
        switch motionScale(width: width, height: height, referenceWidth: referenceWidth, referenceHeight: referenceHeight) {
        case 1: return version >= 3
        case 2: return version >= 8
        default: return false
        }
    }

    /// How many times this layer's width (and height) the layer below is: 1, or 2 for a lower layer of
    /// exactly half the size, whose vectors this layer's inter-layer motion doubles (version 8); 0 for
    /// other ratios, which cannot use inter-layer motion.
    public var lowerMotionScale: Int {
        Self.motionScale(width: width, height: height, referenceWidth: referenceWidth, referenceHeight: referenceHeight)
    }

    /// ``lowerMotionScale`` of a layer of `width x height` over one of `referenceWidth x referenceHeight`.
    private static func motionScale(width: Int, height: Int, referenceWidth: Int, referenceHeight: Int) -> Int {
        if referenceWidth == width && referenceHeight == height { return 1 }
        return referenceWidth * 2 == width && referenceHeight * 2 == height ? 2 : 0
    }

    /// The newest bitstream version, which this build writes by default.
    public static let bitstreamVersion: UInt8 = 9
    /// The bitstream versions this build reads and writes.
    public static let supportedVersions: ClosedRange<UInt8> = 1...9
    /// The deblocking offset encoders use by default from version 3 on. Measured with `strata bench` on
    /// real clips, filtering 3 QP steps less than the QP's thresholds gave the same VMAF for fewer bits
    /// (Specs/enhancement-bitstream.md, "Encoder notes").
    public static let defaultDeblockingOffset = -3
    /// Largest picture dimension the codec accepts.
    public static let maximumDimension = 8192

    /// Creates a configuration; call ``validate()`` (the codec's initializers do) to check it.
    /// `deblockingOffset` defaults to ``defaultDeblockingOffset`` from version 3 on and to 0 before.
    public init(width: Int, height: Int, referenceWidth: Int, referenceHeight: Int, qp: Int, temporalLayers: Int,
                version: UInt8 = EnhancementLayerParameters.bitstreamVersion, deblockingOffset: Int? = nil,
                interLayerMotion: Bool = false) {
        self.version = version
        self.interLayerMotion = interLayerMotion
        self.deblockingOffset = deblockingOffset ?? (version >= 3 ? Self.defaultDeblockingOffset : 0)
        self.width = width
        self.height = height
        self.referenceWidth = referenceWidth
        self.referenceHeight = referenceHeight
        self.qp = qp
        self.temporalLayers = temporalLayers
    }

    /// Checks that the codec supports this configuration: even sizes up to 8192, a lower layer no larger
    /// than this one and at most 4 times smaller in each direction (any ratio in between works, 1x and 2x
    /// included), QP 0...51, 1...4 temporal layers and a deblocking offset of -51...51 (0 before version 3).
    public func validate() throws(EnhancementError) {
        func check(_ ok: Bool, _ reason: String) throws(EnhancementError) {
            if !ok { throw .unsupportedParameters(reason: reason) }
        }
        let maxSide = Self.maximumDimension
        try check(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0 && width <= maxSide && height <= maxSide,
                  "layer size \(width)x\(height) must be even and within 2...\(maxSide)")
        try check(referenceWidth > 0 && referenceHeight > 0 && referenceWidth % 2 == 0 && referenceHeight % 2 == 0,
                  "reference size \(referenceWidth)x\(referenceHeight) must be even and positive")
        try check(referenceWidth <= width && referenceHeight <= height && referenceWidth * 4 >= width && referenceHeight * 4 >= height,
                  "reference \(referenceWidth)x\(referenceHeight) must be between 1x and 4x smaller than \(width)x\(height)")
        try check((0...51).contains(qp), "qp \(qp) outside 0...51")
        try check((1...4).contains(temporalLayers), "temporal layer count \(temporalLayers) outside 1...4")
        try check(Self.supportedVersions.contains(version), "bitstream version \(version) outside \(Self.supportedVersions)")
        try check((-51...51).contains(deblockingOffset), "deblocking offset \(deblockingOffset) outside -51...51")
        try check(version >= 3 || deblockingOffset == 0, "deblocking offset \(deblockingOffset) needs bitstream version 3 or later")
        try check(!interLayerMotion || version >= 3, "inter-layer motion needs bitstream version 3 or later")
        try check(!interLayerMotion || Self.interLayerMotionPossible(width: width, height: height, referenceWidth: referenceWidth,
                                                                      referenceHeight: referenceHeight, version: version),
                  version >= 8 ? "inter-layer motion needs a lower layer of the layer's size or of exactly half of it"
                               : "inter-layer motion needs a lower layer of the layer's size before bitstream version 8")
    }

    /// Bytes of the layer configuration record of a version: 14, and 15 from version 3 on.
    public static func recordSize(version: UInt8) -> Int { version >= 3 ? 15 : 14 }

    /// The layer configuration record, big-endian (see the spec): 14 bytes, 15 from version 3 on.
    public func serialized() -> [UInt8] {
        func be16(_ v: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        return [0x53, 0x45, version, UInt8(truncatingIfNeeded: temporalLayers)]
            + be16(width) + be16(height) + be16(referenceWidth) + be16(referenceHeight)
            + [UInt8(truncatingIfNeeded: qp), UInt8(truncatingIfNeeded: deblockingOffset)]
            + (version >= 3 ? [interLayerMotion ? 1 : 0] : [])
    }

    /// Parses a layer configuration record, checking its length, magic, version and every field.
    public init(serialized bytes: [UInt8]) throws(EnhancementError) {
        guard bytes.count >= 14 else { throw .badConfigurationRecord(reason: "record is \(bytes.count) bytes, need 14") }
        let size = Self.recordSize(version: bytes[2])
        guard bytes.count >= size else { throw .badConfigurationRecord(reason: "record is \(bytes.count) bytes, version \(bytes[2]) needs \(size)") }
        guard size < 15 || bytes[14] <= 1 else { throw .badConfigurationRecord(reason: "flags byte is \(bytes[14]), must be 0 or 1") }
        guard bytes[0] == 0x53, bytes[1] == 0x45 else { throw .badConfigurationRecord(reason: "magic is not 'SE'") }
        guard Self.supportedVersions.contains(bytes[2]) else {
            throw .badConfigurationRecord(reason: "version \(bytes[2]) is not one of \(Self.supportedVersions)")
        }
        guard bytes[2] >= 3 || bytes[13] == 0 else {
            throw .badConfigurationRecord(reason: "reserved byte is \(bytes[13]), must be 0 in version \(bytes[2])")
        }
        func be16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        self.init(width: be16(4), height: be16(6), referenceWidth: be16(8), referenceHeight: be16(10),
                  qp: Int(bytes[12]), temporalLayers: Int(bytes[3]), version: bytes[2],
                  deblockingOffset: Int(Int8(bitPattern: bytes[13])), interLayerMotion: size >= 15 && bytes[14] == 1)
        do { try validate() } catch { throw .badConfigurationRecord(reason: error.description) }
    }
}
