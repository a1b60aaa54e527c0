import StrataCore

/// Decodes the frames of one enhancement layer, given the decoded pictures of the layer below.
///
/// Keeps the layer's reference pictures between calls; ``beginSegment()`` drops them, as each segment
/// decodes on its own. Allocates its working memory once, at initialization.
public final class EnhancementDecoder {
    /// The layer configuration this decoder was made for.
    public let parameters: EnhancementLayerParameters
    let geometry: LayerGeometry
    private let upsampler: InterLayerPredictor
    private let references: ReferenceSet
    private let syntax: FrameSyntaxState
    private let levels: UnsafeMutablePointer<Int32>
    private let contexts: UnsafeMutablePointer<UInt32>
    private let contextInheritance: ContextInheritance
    private let compensator = MotionCompensator()
    private let predictionMemory = MacroblockPredictions(count: 1)
    private var prediction: MacroblockPrediction { predictionMemory[0] }
    private let reconstructor = MacroblockReconstructor()

    /// Creates a decoder for a layer; throws when the configuration is unsupported.
    public init(parameters: EnhancementLayerParameters) throws(EnhancementError) {
        try parameters.validate()
        self.parameters = parameters
        let geometry = LayerGeometry(width: parameters.width, height: parameters.height)
        self.geometry = geometry
        upsampler = InterLayerPredictor(parameters)
        references = ReferenceSet { Picture(geometry: geometry, margin: EnhancementCodec.decoderMargin, withUpsampledLower: true) }
        syntax = FrameSyntaxState(geometry: geometry, version: parameters.version)
        levels = .allocate(capacity: CoefficientLayout.count)
        levels.initialize(repeating: 0, count: CoefficientLayout.count)
        contexts = .allocate(capacity: ContextIndex.count)
        contexts.initialize(repeating: ContextStates.initialState, count: ContextIndex.count)
        contextInheritance = ContextInheritance(version: parameters.version)
    }

    deinit {
        levels.deallocate()
        contexts.deallocate()
    }

    /// The vectors of the last frame decoded: what a layer above with inter-layer motion predicts from.
    public var motionField: MotionField { syntax.motionField() }

    /// Starts a new segment: drops every reference, so the next frame is decoded without one.
    public func beginSegment() { beginSegment(omitting: []) }

    /// ``beginSegment()`` for a segment of which no frame will come at the positions `omitted` (the
    /// frames of the temporal ids an operating point leaves out; dropping ids above any T removes no
    /// reference of the frames kept). The pictures of the highest id kept are then known to be
    /// referenced by nothing: they are let go at once, and with ``defersUnreferencedPictures`` formed
    /// only where the layer above reads them, as the top temporal layer's are at full frame rate.
    /// The pictures decoded are the same; a frame given at an omitted position is refused.
    package func beginSegment(omitting omitted: [Int]) {
        deferredFrame.drop()
        references.reset(omitting: omitted)
        contextInheritance.reset()
        framesInSegment = 0
        lastPicture = nil
        lastReference = nil
        lastInstant = -1
        lastTemporalId = -1
        segmentLowerSource = nil
    }

    /// Whether a picture that no later frame of this layer references is reconstructed only where the
    /// layer above reads it (``DeferredFrame``): for the owner of a stack of decoders, on every layer
    /// but the top. Its picture is whole for ``decodedFrame()`` only until the lower decoder (the one
    /// of ``decodeFrame(payload:over:temporalId:)``) begins its next frame. Pictures decoded are the
    /// same either way.
    package var defersUnreferencedPictures = false
    /// The frame left partly reconstructed for the layer above.
    let deferredFrame = DeferredFrame()
    /// Frames begun (every decode call), which tells a layer above that its picture is still this one.
    private(set) var calls = 0

    /// Frames decoded since ``beginSegment()``.
    private var framesInSegment = 0
    /// The picture the last successful call decoded and the reference it predicted from.
    private var lastPicture: Picture?
    private var lastReference: Picture?
    private var lastTemporalId = -1
    private var lastInstant = -1
    /// How this segment's frames receive the lower layer: as frames, or from a lower decoder (one way per segment).
    private var segmentLowerSource: LowerSource?
    private enum LowerSource { case frames, decoder }

    /// Decodes one frame and returns it. `lower` is the decoded picture of the layer below at the same instant;
    /// `lowerMotion` that layer's ``motionField`` after the same frame, required when the layer uses
    /// inter-layer motion and ignored otherwise; `temporalId` is the frame's id in the base's hierarchy;
    /// `position` its place in the segment (0 for the first frame). Call only for frames at or below the
    /// operating point's temporal id, in coding order (``EnhancementCodingOrder``); without positions the
    /// frames are taken as consecutive, in presentation order, and frames that predict from a later
    /// picture (version 7) fail with ``EnhancementError/invalidSyntax(element:macroblock:offset:)``.
    public func decode(payload: [UInt8], lower: Frame, lowerMotion: MotionField? = nil, temporalId: Int,
                       position: Int? = nil) throws(EnhancementError) -> Frame {
        try decodeFrame(payload: payload, lower: lower, lowerMotion: lowerMotion, temporalId: temporalId, position: position)
        return lastPicture!.frame(width: parameters.width, height: parameters.height)  // (this path never defers)
    }

    /// ``decode(payload:lower:lowerMotion:temporalId:position:)`` without copying the picture out: it stays in the
    /// decoder, for ``decodedFrame()`` or for the layer above (``decodeFrame(payload:over:temporalId:)``).
    public func decodeFrame(payload: [UInt8], lower: Frame, lowerMotion: MotionField? = nil, temporalId: Int,
                            position: Int? = nil) throws(EnhancementError) {
        try checkSource(.frames, temporalId: temporalId)
        let instant = try references.instant(for: position, next: framesInSegment)
        syntax.setLowerMotion(try MotionField.checked(lowerMotion, for: parameters), scale: parameters.lowerMotionScale)
        guard lower.width == parameters.referenceWidth, lower.height == parameters.referenceHeight else {
            throw .sizeMismatch(picture: "lower layer", expectedWidth: parameters.referenceWidth,
                                expectedHeight: parameters.referenceHeight, width: lower.width, height: lower.height)
        }
        let (reference, backward, current) = references.pictures(at: instant, temporalId: temporalId)
        guard lowerInPlace else {
            current.beginPendingLower(.frame(lower), bands: geometry.macroblocksHigh)
            try decodeOverUpsampledLower(payload, reference: reference, backward: backward, into: current, temporalId: temporalId)
            return
        }
        // A lower layer of this layer's coded size is the inter-layer prediction as it is: read
        // in place, copied into the picture only if a later picture references it.
        current.pendingLower = nil
        current.lowerHeldBelow = false
        current.deferredLower = lower
        let outcome: Result<Void, EnhancementError> = lower.luma.withUnsafeBufferPointer { l in
            lower.cb.withUnsafeBufferPointer { cb in
                lower.cr.withUnsafeBufferPointer { cr in
                    let source = MacroblockTarget(luma: UnsafeMutablePointer(mutating: l.baseAddress!),
                                                  cb: UnsafeMutablePointer(mutating: cb.baseAddress!),
                                                  cr: UnsafeMutablePointer(mutating: cr.baseAddress!),
                                                  lumaStride: lower.luma.stride, chromaStride: lower.cb.stride)
                    do throws(EnhancementError) {
                        try decodePicture(payload, temporalId: temporalId, reference: reference, backward: backward,
                                          lowerReference: reference?.upsampledLower, into: current, interLayer: source)
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        if case .failure(let error) = outcome { throw error }
        finish(current, reference: reference, temporalId: temporalId)
    }

    /// Decodes one frame over the picture `lower`, the decoder of the layer below, decoded last (the
    /// same instant), reading that picture, its vectors and its reference pictures where they are:
    /// nothing is copied between the layers. Both decoders must see the same frames of a segment in
    /// the same order, the lower one first; a decoder takes its lower layer either this way or as
    /// frames for a whole segment. The picture stays in this decoder, as with
    /// ``decodeFrame(payload:lower:lowerMotion:temporalId:position:)``. The frame's position is the lower picture's.
    ///
    /// Throws ``EnhancementError/lowerLayerMismatch(reason:)`` when `lower` has not just decoded this
    /// instant or is not the layer below (its size is not this layer's reference size).
    public func decodeFrame(payload: [UInt8], over lower: EnhancementDecoder, temporalId: Int) throws(EnhancementError) {
        try checkSource(.decoder, temporalId: temporalId)
        guard lower !== self, lower.parameters.width == parameters.referenceWidth, lower.parameters.height == parameters.referenceHeight else {
            throw .lowerLayerMismatch(reason: "the lower decoder's layer is \(lower.parameters.width)x\(lower.parameters.height), "
                                      + "this layer predicts from \(parameters.referenceWidth)x\(parameters.referenceHeight)")
        }
        guard let lowerPicture = lower.lastPicture, lower.framesInSegment == framesInSegment + 1, lower.lastTemporalId == temporalId,
              !references.contains(instant: lower.lastInstant) else {
            throw .lowerLayerMismatch(reason: "the lower decoder has not decoded this layer's next frame of the segment "
                                      + "(temporal id \(temporalId)) just before this layer")
        }
        let instant = lower.lastInstant
        if parameters.interLayerMotion {
            syntax.setLowerMotion(from: lower.syntax, scale: parameters.lowerMotionScale)
        } else {
            syntax.setLowerMotion(nil)
        }
        let (reference, backward, current) = references.pictures(at: instant, temporalId: temporalId)
        let defers = defersUnreferencedPictures && !references.wouldKeep(instant: instant, temporalId: temporalId)
        guard lowerInPlace else {
            // Upsampled a band at a time: the rows of the lower picture a band reads are made final first.
            current.beginPendingLower(.picture(lowerPicture), bands: geometry.macroblocksHigh)
            try decodeOverUpsampledLower(payload, reference: reference, backward: backward, into: current, temporalId: temporalId,
                                         defers: defers, source: lower)
            return
        }
        current.pendingLower = nil
        // The lower picture of the reference's instant is the lower decoder's reference of this frame
        // (both follow the same temporal hierarchy), kept by it with its margins filled.
        var lowerReference: Picture?
        if let reference {
            guard let held = lower.lastReference, held.instant == reference.instant else {
                throw .lowerLayerMismatch(reason: "the lower decoder's reference is not the picture of frame \(reference.instant)")
            }
            held.prepareAsReference()
            lowerReference = held
        }
        current.deferredLower = nil
        current.lowerHeldBelow = true
        try decodePicture(payload, temporalId: temporalId, reference: reference, backward: backward, lowerReference: lowerReference,
                          into: current, interLayer: MacroblockTarget(lowerPicture),
                          deferral: Deferral(defers: defers, source: lower, demand: lower.deferredFrame.isActive ? .macroblocks : .none))
        finish(current, reference: reference, temporalId: temporalId)
    }

    /// The picture the last call decoded, copied out at the layer's size; nil when none was decoded
    /// since ``beginSegment()`` (or the last call failed).
    ///
    /// A picture left partly reconstructed for the layer above (``defersUnreferencedPictures``) is
    /// completed first; that needs the lower decoder's picture of the same instant, so once the lower
    /// decoder has gone on to its next frame such a picture is no longer available (nil).
    public func decodedFrame() -> Frame? {
        guard let lastPicture, completeDeferred() else { return nil }
        return lastPicture.frame(width: parameters.width, height: parameters.height)
    }

    /// Checks the temporal id and that the segment keeps one way of receiving the lower layer.
    private func checkSource(_ source: LowerSource, temporalId: Int) throws(EnhancementError) {
        // The picture left for the layer above is not read again once this layer moves on.
        deferredFrame.drop()
        calls &+= 1
        lastPicture = nil
        lastReference = nil
        guard (0..<parameters.temporalLayers).contains(temporalId) else {
            throw .invalidTemporalId(temporalId, temporalLayers: parameters.temporalLayers)
        }
        if let segmentLowerSource, segmentLowerSource != source {
            throw .lowerLayerMismatch(reason: segmentLowerSource == .frames
                                      ? "this segment's earlier frames took the lower layer as frames, not from its decoder"
                                      : "this segment's earlier frames took the lower layer from its decoder, not as frames")
        }
        segmentLowerSource = source
    }

    /// Decodes `payload` into `current` over its upsampled lower layer, which the caller has just
    /// formed (from a frame or from the lower decoder's picture), and records the picture.
    private func decodeOverUpsampledLower(_ payload: [UInt8], reference: Picture?, backward: Picture?, into current: Picture,
                                          temporalId: Int, defers: Bool = false, source: EnhancementDecoder? = nil) throws(EnhancementError) {
        current.deferredLower = nil
        current.lowerHeldBelow = false
        try decodePicture(payload, temporalId: temporalId, reference: reference, backward: backward, lowerReference: reference?.upsampledLower,
                          into: current, interLayer: MacroblockTarget(current.upsampledLower!),
                          deferral: Deferral(defers: defers, source: source, demand: source?.deferredFrame.isActive == true ? .bands : .none))
        finish(current, reference: reference, temporalId: temporalId)
    }

    /// Parses the header and decodes the macroblocks of `payload` into `current`.
    /// `backward` is the frame's backward reference when the decoder holds one (version 7: used when the header says so).
    private func decodePicture(_ payload: [UInt8], temporalId: Int, reference: Picture?, backward: Picture?, lowerReference: Picture?,
                               into current: Picture, interLayer: MacroblockTarget, deferral: Deferral = Deferral()) throws(EnhancementError) {
        try payload.withUnsafeBufferPointer { (bytes) throws(EnhancementError) in
            let header = try FrameHeader(payload: bytes, layerQP: parameters.qp, version: parameters.version)
            guard header.hasReference == (reference != nil) else {
                throw .invalidSyntax(element: "reference_flag", macroblock: -1, offset: 0)
            }
            // A frame decoded out of coding order has no backward reference to predict from.
            guard !header.hasBackward || backward != nil else {
                throw .invalidSyntax(element: "has_backward", macroblock: -1, offset: 0)
            }
            try decodeMacroblocks(bytes, header: header, temporalId: temporalId, reference: reference,
                                  backward: header.hasBackward ? backward : nil,
                                  lowerReference: lowerReference, into: current, interLayer: interLayer, deferral: deferral)
        }
    }

    /// Records a decoded picture as the newest reference and the decoder's output.
    private func finish(_ current: Picture, reference: Picture?, temporalId: Int) {
        current.samplesChanged()
        references.insert(current, instant: current.instant, temporalId: temporalId)
        // (``ReferenceSet/wouldKeep(instant:temporalId:)`` foresaw this; a picture kept is always whole.)
        if deferredFrame.isActive && references.holds(current) { _ = completeDeferred() }
        // A picture the set holds no more is never a reference again: let go of its lower frame.
        for picture in references.pictures where picture !== current && !references.holds(picture) && !deferredFrame.reads(picture) {
            picture.deferredLower = nil
            picture.pendingLower = nil
        }
        framesInSegment += 1
        lastPicture = current
        lastReference = reference
        lastTemporalId = temporalId
        lastInstant = current.instant
    }

    /// Whether the lower layer has exactly this layer's coded size, so that it is read in place
    /// (``Picture/deferredLower``) rather than copied into the picture's upsampled lower layer.
    private var lowerInPlace: Bool {
        parameters.referenceWidth == geometry.codedWidth && parameters.referenceHeight == geometry.codedHeight
            && parameters.width == geometry.codedWidth && parameters.height == geometry.codedHeight
    }

    /// Decodes and reconstructs every macroblock into `current`; `interLayer` addresses the upsampled
    /// lower layer of this instant (``MacroblockTarget/init(_:)`` or the lower frame read in place).
    private func decodeMacroblocks(_ bytes: UnsafeBufferPointer<UInt8>, header: FrameHeader, temporalId: Int, reference: Picture?,
                                   backward: Picture?, lowerReference: Picture?, into current: Picture,
                                   interLayer interLayerSource: MacroblockTarget, deferral: Deferral) throws(EnhancementError) {
        let qp = parameters.qp + header.qpDelta
        contextInheritance.load(into: contexts, temporalId: temporalId, reference: reference)
        syntax.reset()
        syntax.hasBackward = backward != nil
        backward?.prepareAsReference()
        let backwardPicture = backward ?? current
        let padding = parameters.version >= 9 ? RangeDecoder.shortFlushPadding : 0
        var reader = ArithmeticBinReader(decoder: RangeDecoder(data: bytes.baseAddress!, count: bytes.count, start: header.byteCount,
                                                               padding: padding), states: contexts)
        var mb = MacroblockData()
        let hasReference = reference != nil
        let currentTarget = MacroblockTarget(current)
        // Held in locals for the loop, so that each macroblock does not retain and release them again.
        let syntax = self.syntax, levels = self.levels
        // Non-optional, so that no macroblock binds (retains and releases) it again; only read when hasReference.
        let referencePicture = reference ?? current
        let referenceTarget = MacroblockTarget(referencePicture), backwardTarget = MacroblockTarget(backwardPicture)
        let hasBackward = backward != nil
        var frame = MacroblockContext(
            qp: qp, hasReference: hasReference, reference: referencePicture, backward: backwardPicture, lowerReference: lowerReference,
            current: current, interLayer: interLayerSource, filter: header.filter,
            lowerReferenceOnDemand: reference.flatMap { $0.pendingLower != nil && lowerReference === $0.upsampledLower ? $0 : nil },
            source: deferral.demand == .macroblocks ? deferral.source : nil, bandSource: deferral.demand == .bands ? deferral.source : nil)
        let defers = deferral.defers
        if defers { deferredFrame.prepare(macroblocks: geometry.macroblockCount) }
        for mby in 0..<geometry.macroblocksHigh {
            for mbx in 0..<geometry.macroblocksWide {
                // Every fourth macroblock, the cache lines of the pictures the loop reads and writes are
                // requested for the four macroblocks that start eight ahead (at the end of a row, in the
                // next): at 720p the pictures of a layer stack do not fit a core's cache, and the loop had
                // waited for them. (Four ahead gained 1-2 % less; sixteen no more.) The backward reference
                // too, in the frames that have one: in 14 runs of the decoding benchmark alternated with
                // the build without it, 10 were faster, by 2.9% in the median. (Moving the forward and
                // backward lines by the previous macroblock's vector gained nothing more.)
                if mbx & 3 == 0 && !defers {
                    let ahead = mbx + 8, wide = geometry.macroblocksWide
                    let (ax, ay) = ahead < wide ? (ahead, mby) : (min(ahead - wide, wide - 1), mby + 1)
                    if ay < geometry.macroblocksHigh {
                        if hasReference { referenceTarget.prefetch(ax, ay) }
                        if hasBackward { backwardTarget.prefetch(ax, ay) }
                        interLayerSource.prefetch(ax, ay)
                        currentTarget.prefetch(ax, ay, forWriting: true)
                    }
                }
                try MacroblockReader.read(&reader, &mb, levels, syntax, mbx, mby, hasReference: hasReference)
                if reader.decoder.overrun { throw .truncatedPayload(offset: bytes.count) }
                if defers {
                    deferredFrame.store(mb, levels, mby * geometry.macroblocksWide + mbx)
                } else {
                    reconstruct(mb, levels, mbx, mby, &frame)
                }
            }
        }
        // Version 9: the macroblocks end exactly where the payload and its padding do (bytes left over
        // are an error; too few were caught as a truncated payload).
        if padding > 0 && !reader.decoder.endsWhole {
            throw .invalidSyntax(element: "payload_end", macroblock: geometry.macroblockCount - 1, offset: reader.decoder.position)
        }
        current.contexts.states.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: contexts, count: ContextIndex.count) }
        contextInheritance.record(contexts, temporalId: temporalId)
        if defers {
            DeblockingFilter.edgeStrengthsSIMD(syntax)
            deferredFrame.begin(frame, syntax: syntax, offset: parameters.deblockingOffset, source: deferral.source) {
                [unowned self] context, mb, levels, mbx, mby in self.reconstruct(mb, levels, mbx, mby, &context)
            }
        } else {
            DeblockingFilter.apply(current, syntax, qp: qp, offset: parameters.deblockingOffset)
        }
    }

    /// Forms macroblock (mbx, mby) of `frame`'s picture from its syntax and `levels` and adds its residual.
    @inline(__always)
    private func reconstruct(_ mb: MacroblockData, _ levels: UnsafeMutablePointer<Int32>, _ mbx: Int, _ mby: Int,
                             _ frame: inout MacroblockContext) {
        let hasReference = frame.hasReference, current = frame.current, qp = frame.qp
        let referencePicture = frame.reference, backwardPicture = frame.backward, interLayerSource = frame.interLayer
        let filter = frame.filter, formsLowerOnDemand = current.pendingLower != nil
        let (codedWidth, codedHeight) = (geometry.codedWidth, geometry.codedHeight)
        let prediction = self.prediction, reconstructor = self.reconstructor, compensator = self.compensator
        let currentTarget = MacroblockTarget(current)
        let readsLower = !hasReference || (mb.mode != .skip && mb.mode != .inter)
        // The lower layer's picture read in place, itself left partly reconstructed: made final around this macroblock.
        if readsLower, let source = frame.source { source.finishDeferred(mbx, mby, neighbours: filter != nil) }
        if formsLowerOnDemand && !current.formedBands[mby] && readsLower {
            formCurrentBand(mby, frame)
        }
        if formsLowerOnDemand && filter != nil && (mb.mode == .interLayer || (!hasReference && mb.mode == .skip)) {
            for band in max(mby - 1, 0)...min(mby + 1, geometry.macroblocksHigh - 1) where !current.formedBands[band] {
                formCurrentBand(band, frame)
            }
        }
        if let onDemand = frame.lowerReferenceOnDemand, mb.mode == .differential {
            completeLower(of: onDemand)
            frame.lowerReferenceOnDemand = nil
        }
        if mb.direction != .forward {
            // Version 7: predicted from the backward reference, alone or averaged with the forward one;
            // without residual, formed in place.
            if mb.cbpLuma == 0 && mb.cbpChroma == 0 {
                MacroblockPrediction.formDirected(compensator, forward: referencePicture, backward: backwardPicture, mb, mbx, mby,
                                                  into: currentTarget.macroblock(mbx, mby))
            } else {
                prediction.formDirected(compensator, forward: referencePicture, backward: backwardPicture, mb, mbx, mby)
                reconstructor.reconstruct(mb, levels, qp, prediction, current, mbx, mby)
            }
        } else if mb.cbpLuma == 0 && mb.cbpChroma == 0 && (mb.mode == .skip || mb.mode == .inter || mb.mode == .interLayer) {
            // Without residual the prediction is the reconstruction: formed in place.
            let target = currentTarget.macroblock(mbx, mby)
            if hasReference && mb.mode != .interLayer {
                if mb.split {
                    MacroblockPrediction.formSplitMotion(compensator, referencePicture, mbx, mby, mb.quadrantMotion, into: target)
                } else {
                    MacroblockPrediction.formMotion(compensator, referencePicture, mbx, mby, mb.mvx, mb.mvy, into: target)
                }
            } else if let filter {
                MacroblockPrediction.formFilteredInterLayer(interLayerSource, mbx, mby, filter: filter, width: codedWidth,
                                                            height: codedHeight, into: target)
            } else {
                MacroblockPrediction.formInterLayer(interLayerSource, mbx, mby, into: target)
            }
        } else {
            if hasReference && mb.mode != .interLayer {
                if mb.split {
                    prediction.formSplitMotion(compensator, referencePicture, mbx, mby, mb.quadrantMotion)
                } else {
                    prediction.formMotion(compensator, referencePicture, mbx, mby, mb.mvx, mb.mvy)
                }
                if mb.mode == .bi { prediction.averageWith(interLayerSource, mbx, mby) }
                if mb.mode == .differential {
                    prediction.addLowerLayerChange(compensator, frame.lowerReference!, interLayerSource, mbx, mby, mb.mvx, mb.mvy)
                }
            } else if let filter {
                MacroblockPrediction.formFilteredInterLayer(interLayerSource, mbx, mby, filter: filter, width: codedWidth,
                                                            height: codedHeight, into: prediction.target)
            } else {
                MacroblockPrediction.formInterLayer(interLayerSource, mbx, mby, into: prediction.target)
            }
            reconstructor.reconstruct(mb, levels, qp, prediction, current, mbx, mby)
        }
    }
}

extension EnhancementDecoder {
    /// Forms macroblock row `band` of the frame's inter-layer prediction, after the rows of a deferred
    /// lower picture that it reads (those the band covers, three samples more on each side for the
    /// upsampler's taps) are final.
    private func formCurrentBand(_ band: Int, _ frame: MacroblockContext) {
        if let source = frame.bandSource {
            let scale = (numerator: parameters.referenceHeight, denominator: parameters.height)
            let first = max(0, 16 * band * scale.numerator / scale.denominator - 3)
            let last = (16 * band + 15) * scale.numerator / scale.denominator + 3
            source.finishDeferredRows(first >> 4...last >> 4)
        }
        formLowerBand(band, of: frame.current)
    }

    /// Forms macroblock row `band` of `picture`'s inter-layer prediction from its pending source.
    private func formLowerBand(_ band: Int, of picture: Picture) {
        upsampler.formBand(band, from: picture.pendingLower!, into: picture.upsampledLower!)
        picture.markBandFormed(band)
    }

    /// Forms the rows of `picture`'s inter-layer prediction not formed yet and fills its margins: a
    /// later picture motion-compensates it (DIFFERENTIAL prediction).
    private func completeLower(of picture: Picture) {
        for band in 0..<geometry.macroblocksHigh where !picture.formedBands[band] { formLowerBand(band, of: picture) }
        picture.pendingLower = nil
        picture.upsampledLower!.extendBorders()
    }
}

/// Constants shared by the encoder and the decoder.
enum EnhancementCodec {
    /// Replicated border of the encoder's reference luma planes in samples (chroma: half); its motion
    /// search reaches up to 68 samples beyond the picture.
    static let referenceMargin = 80
    /// The decoder's narrower margin (luma; chroma half). Blocks whose filter support reaches beyond
    /// it are gathered with clamped coordinates, which gives the same samples, and they are rare (the
    /// vectors that point far outside the picture, at its edges); filling and streaming the narrower
    /// margins of every reference picture made decoding at 720p 3-7% faster than with 80.
    static let decoderMargin = 32
}
