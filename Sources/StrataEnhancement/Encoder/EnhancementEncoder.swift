import StrataCore

/// One coded enhancement frame: the payload to store, and the picture a decoder will reconstruct
/// from it (the input of the next layer up, and what quality is measured on).
public struct EncodedEnhancementFrame: Sendable {
    /// The frame payload (Specs "Frame payload").
    public var payload: [UInt8]
    /// The decoded picture, identical to what ``EnhancementDecoder`` returns for `payload`.
    public var reconstruction: Frame
    /// The frame's vectors, identical to the decoder's ``EnhancementDecoder/motionField`` after it.
    public var motion: MotionField

    /// Creates a coded frame.
    public init(payload: [UInt8], reconstruction: Frame, motion: MotionField) {
        self.payload = payload
        self.reconstruction = reconstruction
        self.motion = motion
    }
}

/// Encodes the frames of one enhancement layer over the decoded pictures of the layer below.
///
/// Each macroblock is predicted from an earlier picture of the layer (motion-compensated), from the
/// upsampled lower layer, or from their average, and from version 7, in frames coded after a later
/// picture (``EnhancementCodingOrder``), also from that picture alone or averaged with the earlier
/// one: whichever costs least in rate and distortion.
/// Working memory is allocated once, at initialization.
public final class EnhancementEncoder {
    /// The layer configuration (its `qp` is the base quantizer; see ``setQP(_:)``).
    public private(set) var parameters: EnhancementLayerParameters
    private let geometry: LayerGeometry
    private let interLayerPredictor: InterLayerPredictor
    private let source: Picture
    private let references: ReferenceSet
    /// Frames coded since ``beginSegment()``.
    private var framesInSegment = 0
    /// The share of the latest frame of temporal id 0's luma-coded macroblocks that chose 4x4
    /// transforms (``MacroblockEncoder/luma4x4Share(_:)``): whether the frames after it price them.
    private var luma4x4Share = 0.0
    private let syntax: FrameSyntaxState
    private let contexts: UnsafeMutablePointer<UInt32>
    /// The costs of `contexts`' states, which the macroblock decisions price their bins with.
    private let contextCosts = ContextCosts()
    private let contextInheritance: ContextInheritance
    private let macroblockEncoder: MacroblockEncoder
    private var rangeEncoder = RangeEncoder(capacity: 1 << 16)

    /// How much chroma error weighs against luma error in the encoder's decisions (1...16).
    public let chromaWeight: Int
    /// The range of ``chromaWeight``.
    public static let chromaWeights = 1...16

    /// Creates an encoder for a layer; throws when the configuration is unsupported.
    ///
    /// `chromaWeight` is how much a unit of chroma squared error weighs against a unit of luma's in
    /// every decision of the encoder (an encoder choice: the bitstream and the decoder are the same
    /// for any weight). 1 weighs them alike, which suits VMAF and PSNR-Y, measures of luma alone;
    /// on real clips 2 raised chroma PSNR 0.8-1.1 dB for 1-4% more bits, 4 raised it 1.2-1.6 dB for
    /// 3-6% more.
    public init(parameters: EnhancementLayerParameters, chromaWeight: Int = 1) throws(EnhancementError) {
        try parameters.validate()
        guard EnhancementEncoder.chromaWeights.contains(chromaWeight) else {
            throw .unsupportedParameters(reason: "chroma weight \(chromaWeight) outside \(EnhancementEncoder.chromaWeights)")
        }
        self.chromaWeight = chromaWeight
        self.parameters = parameters
        let geometry = LayerGeometry(width: parameters.width, height: parameters.height)
        self.geometry = geometry
        interLayerPredictor = InterLayerPredictor(parameters)
        source = Picture(geometry: geometry, margin: 0)
        references = ReferenceSet { Picture(geometry: geometry, margin: EnhancementCodec.referenceMargin, withUpsampledLower: true) }
        syntax = FrameSyntaxState(geometry: geometry, version: parameters.version)
        contexts = .allocate(capacity: ContextIndex.count)
        contexts.initialize(repeating: ContextStates.initialState, count: ContextIndex.count)
        contextInheritance = ContextInheritance(version: parameters.version)
        // The search planes of every picture a frame may reference at once in coding order, with both directions.
        macroblockEncoder = MacroblockEncoder(geometry: geometry, references: parameters.temporalLayers + 1, chromaWeight: chromaWeight)
    }

    deinit { contexts.deallocate() }

    /// Starts a new segment: drops all references, so the next frame has no temporal reference.
    public func beginSegment() {
        references.reset()
        contextInheritance.reset()
        framesInSegment = 0
        luma4x4Share = 0
    }

    /// Changes the layer's base quantizer from the next frame on (rate control picks one per segment).
    /// The configuration record keeps the QP it was created with; frames carry their difference to it.
    public func setQP(_ qp: Int) { frameQPBase = min(max(qp, 0), 51) }
    private lazy var frameQPBase: Int = parameters.qp

    /// The QP offset of a frame with temporal id `t`: frames fewer pictures depend on are coded coarser.
    /// Temporal id 0 frames are the references of everything after them (four frames apart with three
    /// temporal layers), so they get far more precision than the rest, and the first frame of a segment,
    /// which every other frame of the segment descends from, more still (measured on real 720p clips).
    static func qpOffset(temporalId t: Int, hasReference: Bool) -> Int { hasReference ? [0, 5, 7, 8][t] : -3 }

    /// Encodes one frame. `source` is the original picture at this layer's size, `lower` the decoded
    /// picture of the layer below and `lowerMotion` its vectors (required when the layer uses
    /// inter-layer motion, ignored otherwise), `temporalId` the frame's id in the base's hierarchy,
    /// `position` its place in the segment (0 for the first frame). Frames arrive in coding order
    /// (``EnhancementCodingOrder``), in which a frame may predict from a later one (version 7);
    /// without positions they are taken as consecutive, in presentation order, and predict only
    /// from earlier frames.
    public func encode(source frame: Frame, lower: Frame, lowerMotion: MotionField? = nil,
                       temporalId: Int, position: Int? = nil) throws(EnhancementError) -> EncodedEnhancementFrame {
        guard (0..<parameters.temporalLayers).contains(temporalId) else {
            throw .invalidTemporalId(temporalId, temporalLayers: parameters.temporalLayers)
        }
        let instant = try references.instant(for: position, next: framesInSegment)
        let lowerMotion = try MotionField.checked(lowerMotion, for: parameters)
        guard frame.width == parameters.width, frame.height == parameters.height else {
            throw .sizeMismatch(picture: "source", expectedWidth: parameters.width, expectedHeight: parameters.height,
                                width: frame.width, height: frame.height)
        }
        guard lower.width == parameters.referenceWidth, lower.height == parameters.referenceHeight else {
            throw .sizeMismatch(picture: "lower layer", expectedWidth: parameters.referenceWidth,
                                expectedHeight: parameters.referenceHeight, width: lower.width, height: lower.height)
        }
        let (reference, later, current) = references.pictures(at: instant, temporalId: temporalId)
        // Version 7: a later picture coded first (coding order) is the backward reference.
        let backward = parameters.version >= 7 && reference != nil ? later : nil
        backward?.prepareAsReference()
        let qp = min(max(frameQPBase + EnhancementEncoder.qpOffset(temporalId: temporalId, hasReference: reference != nil), 0), 51)
        source.luma.load(frame.luma)
        source.cb.load(frame.cb)
        source.cr.load(frame.cr)
        let interLayer = current.upsampledLower!
        interLayerPredictor.form(lower, into: interLayer)
        // Version 8: a filter of the inter-layer prediction, fitted to this frame where it pays (frames
        // of temporal id 0, which carry most of the residual).
        let filter = parameters.version >= 8 && temporalId == 0
            ? InterLayerFilter.fit(source: source.luma.origin, sourceStride: source.luma.stride, prediction: interLayer.luma.origin,
                                   predictionStride: interLayer.luma.stride, width: parameters.width, height: parameters.height,
                                   lambda: MacroblockEncoder.lambda(qp: qp))
            : nil
        contextInheritance.load(into: contexts, temporalId: temporalId, reference: reference)
        contextCosts.refresh(from: contexts)
        syntax.reset()
        syntax.hasBackward = backward != nil
        syntax.setLowerMotion(lowerMotion, scale: parameters.lowerMotionScale)
        rangeEncoder.reset()
        var writer = ArithmeticBinWriter(encoder: rangeEncoder, states: contexts, costs: contextCosts.values)
        rangeEncoder = RangeEncoder(capacity: 0)
        let pricesLuma4x4 = MacroblockEncoder.pricesLuma4x4(macroblocks: geometry.macroblockCount, temporalId: temporalId,
                                                            recentShare: luma4x4Share)
        macroblockEncoder.encodePicture(&writer, qp: qp, source: source, interLayer: interLayer, filter: filter, reference: reference,
                                        backward: backward, current: current, syntax: syntax, costs: contextCosts.values,
                                        pricesLuma4x4: pricesLuma4x4)
        if temporalId == 0 { luma4x4Share = MacroblockEncoder.luma4x4Share(syntax) }
        writer.encoder.finish(short: parameters.version >= 9)
        let header = FrameHeader(hasReference: reference != nil, hasBackward: backward != nil, qpDelta: qp - parameters.qp, filter: filter,
                                 version: parameters.version)
        let payload = header.serialized() + writer.encoder.bytes
        rangeEncoder = writer.encoder
        current.contexts.states.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: contexts, count: ContextIndex.count) }
        contextInheritance.record(contexts, temporalId: temporalId)
        DeblockingFilter.apply(current, syntax, qp: qp, offset: parameters.deblockingOffset)
        current.samplesChanged()
        references.insert(current, instant: instant, temporalId: temporalId)
        framesInSegment += 1
        return EncodedEnhancementFrame(payload: payload, reconstruction: current.frame(width: parameters.width, height: parameters.height),
                                       motion: syntax.motionField())
    }
}
