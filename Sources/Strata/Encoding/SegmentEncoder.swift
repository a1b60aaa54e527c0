internal import StrataBase
internal import StrataEnhancement

/// The coded output of one segment: every layer's samples, in frame order.
struct EncodedSegment: Sendable {
    /// Segment number (0-based).
    var index: Int
    /// Frame number of the segment's first frame in the whole stream.
    var firstFrame: Int
    /// Base access units, one per frame, parameter sets included in the first.
    var base: [AccessUnit]
    /// `enhancement[k][i]` is enhancement layer k+1's payload for frame i (in presentation order).
    var enhancement: [[[UInt8]]]
    /// Temporal id of each frame.
    var temporalIds: [Int]
    /// Reconstruction quality of each layer against the source at its own size (luma SSE, samples).
    var layerErrors: [(sse: UInt64, samples: Int)]
    /// The QP each enhancement layer was coded at in this segment (chosen by rate control where the plan sets a target).
    var layerQPs: [Int]
}

/// The OpenH264 base of one segment: encoder and the decoder that gives the picture the first
/// enhancement layer predicts from.
private struct BaseCoder {
    let encoder: OpenH264Encoder
    let decoder: OpenH264Decoder
    let segment: Int

    init(plan: LayerPlan, source: VideoFormat, segment: Int) throws(StrataError) {
        let size = plan.size(ofLayer: 0, sourceWidth: source.width, sourceHeight: source.height)
        self.segment = segment
        do {
            encoder = try OpenH264Encoder(BaseEncoderConfiguration(
                width: size.width, height: size.height, frameRate: source.frameRate,
                temporalLayers: plan.temporalLayers, rateControl: plan.baseKbps.map { .bitrate(kbps: $0) } ?? .constantQP(plan.baseQP)))
            decoder = try OpenH264Decoder()
        } catch {
            throw .baseLayer(segment: segment, message: "\(error)")
        }
    }

    /// Codes one base picture into `segment` (access unit and temporal id); returns the decoded picture.
    func code(_ picture: Frame, frame: Int, into segment: inout EncodedSegment) throws(StrataError) -> Frame {
        do {
            let unit = try encoder.encode(picture, forceIDR: segment.base.isEmpty)
            guard let decoded = try decoder.decode(unit.nalUnits.filter(\.isAVCBaseNAL)) else {
                throw StrataError.baseLayer(segment: self.segment, message: "frame \(frame): the base decoder returned no picture for NAL units of types \(unit.nalUnits.map(\.type))")
            }
            segment.base.append(unit)
            segment.temporalIds.append(unit.temporalId)
            return decoded
        } catch let e as StrataError {
            throw e
        } catch {
            throw .baseLayer(segment: self.segment, message: "frame \(frame): \(error)")
        }
    }
}

extension LayerRateTarget {
    var enhancementTarget: EnhancementRateTarget {
        switch self {
        case .kbps(let kbps): .kbps(kbps)
        case .psnrY(let psnr): .psnr(psnr)
        }
    }
}

/// Encodes one segment through every layer: the OpenH264 base, its decoded picture, and
/// each enhancement layer over the reconstruction of the layer below.
///
/// Every segment gets fresh encoders and decoders, so segments are independent (a
/// segment of layer k decodes from the same segment of layers 0..k and nothing else) and
/// can be encoded concurrently with byte-identical results.
struct SegmentEncoder {
    let plan: LayerPlan
    let source: VideoFormat
    let layerParameters: [EnhancementLayerParameters]
    /// Bytes a layer's fragment adds to its payloads, by (layer, segment, first frame, temporal ids):
    /// a bitrate target counts whole fragments, so the payloads aim at the target less this.
    var fragmentOverhead: (@Sendable (Int, Int, Int, [Int]) -> Int)?

    init(plan: LayerPlan, source: VideoFormat) {
        self.plan = plan
        self.source = source
        var params: [EnhancementLayerParameters] = []
        for k in 1..<plan.layerCount {
            let size = plan.size(ofLayer: k, sourceWidth: source.width, sourceHeight: source.height)
            let below = plan.size(ofLayer: k - 1, sourceWidth: source.width, sourceHeight: source.height)
            // Over an enhancement layer (not the base) of its own size or half of it, a layer predicts its
            // vectors from that layer's.
            let motion = k >= 2 && EnhancementLayerParameters.interLayerMotionPossible(width: size.width, height: size.height,
                                                                                      referenceWidth: below.width,
                                                                                      referenceHeight: below.height)
            params.append(EnhancementLayerParameters(width: size.width, height: size.height,
                                                     referenceWidth: below.width, referenceHeight: below.height,
                                                     qp: plan.enhancementLayers[k - 1].qp, temporalLayers: plan.temporalLayers,
                                                     interLayerMotion: motion))
        }
        layerParameters = params
    }

    /// Encodes one segment: the base in presentation order, then the enhancement layers in their
    /// coding order (``EnhancementCodingOrder``), in which a frame follows the later frame of a lower
    /// temporal id that it also predicts from. Layers at a constant QP are coded frame by frame
    /// through every layer, holding the base's pictures and one picture per layer; when a layer has a
    /// rate target, the segment is coded a layer at a time instead (that layer's QP is chosen by trial
    /// encodes of the whole segment over the decoded layer below, so those pictures are held for the
    /// segment).
    func encode(index: Int, firstFrame: Int, frames: [Frame]) throws(StrataError) -> EncodedSegment {
        let base = try BaseCoder(plan: plan, source: source, segment: index)
        let scalers = try makeScalers()
        var encoders: [EnhancementEncoder] = []
        for (k, p) in layerParameters.enumerated() {
            do {
                let e = try EnhancementEncoder(parameters: p, chromaWeight: plan.chromaWeight)
                e.beginSegment()
                encoders.append(e)
            } catch {
                throw .enhancementLayer(layer: "L\(k + 1)", segment: index, message: "\(error)")
            }
        }
        var segment = EncodedSegment(index: index, firstFrame: firstFrame, base: [],
                                     enhancement: Array(repeating: Array(repeating: [], count: frames.count), count: encoders.count),
                                     temporalIds: [], layerErrors: Array(repeating: (0, 0), count: plan.layerCount),
                                     layerQPs: plan.enhancementLayers.map(\.qp))
        @inline(__always) func scaled(_ frame: Frame, _ k: Int) -> Frame { scalers[k].map { $0.scale(frame) } ?? frame }

        var lowers: [Frame] = []
        lowers.reserveCapacity(frames.count)
        for (i, frame) in frames.enumerated() {
            let baseSource = scaled(frame, 0)
            lowers.append(try base.code(baseSource, frame: firstFrame + i, into: &segment))
            accumulate(&segment.layerErrors[0], baseSource, lowers[i])
        }
        let order = EnhancementCodingOrder.indices(temporalIds: segment.temporalIds)

        guard plan.enhancementLayers.contains(where: { $0.target != nil }) else {
            // One source picture per layer size, rescaled in place for every frame.
            var sources = [Frame](repeating: Frame(width: 2, height: 2), count: plan.layerCount)
            for i in order {
                for k in 1..<plan.layerCount {
                    if let scaler = scalers[k] { scaler.scale(frames[i], into: &sources[k]) } else { sources[k] = frames[i] }
                }
                var lower = lowers[i]
                var lowerMotion: MotionField? = nil
                for (k, encoder) in encoders.enumerated() {
                    (lower, lowerMotion) = try code(encoder, layer: k + 1, sources[k + 1], over: lower, lowerMotion, frame: firstFrame + i,
                                                    into: &segment)
                }
            }
            return segment
        }

        var lowerMotion: [MotionField]? = nil
        for (k, encoder) in encoders.enumerated() {
            let sources = frames.map { scaled($0, k + 1) }
            if let target = plan.enhancementLayers[k].target {
                do {
                    var payloadTarget = target.enhancementTarget
                    if case .kbps(let kbps) = target, let overhead = fragmentOverhead?(k + 1, index, firstFrame, segment.temporalIds) {
                        let seconds = Double(frames.count) / source.frameRate.framesPerSecond
                        payloadTarget = .kbps(max(kbps - Double(overhead) * 8 / 1000 / seconds, kbps / 10))
                    }
                    let (qp, _) = try EnhancementRateControl.chooseQP(
                        target: payloadTarget, parameters: layerParameters[k], frameRate: source.frameRate.framesPerSecond,
                        sources: sources, lowers: lowers, lowerMotion: lowerMotion, temporalIds: segment.temporalIds, segment: index,
                        chromaWeight: plan.chromaWeight)
                    encoder.setQP(qp)
                    segment.layerQPs[k] = qp
                } catch {
                    throw .enhancementLayer(layer: "L\(k + 1)", segment: index, message: "rate control: \(error)")
                }
            }
            var motion = [MotionField?](repeating: nil, count: frames.count)
            for i in order {
                let coded = try code(encoder, layer: k + 1, sources[i], over: lowers[i], lowerMotion?[i], frame: firstFrame + i, into: &segment)
                lowers[i] = coded.reconstruction
                motion[i] = coded.motion
            }
            lowerMotion = motion.map { $0! }
        }
        return segment
    }

    /// Codes one frame of enhancement layer `layer` into `segment` over the picture and motion of the
    /// layer below; returns its reconstruction and motion.
    private func code(_ encoder: EnhancementEncoder, layer: Int, _ source: Frame, over lower: Frame, _ lowerMotion: MotionField?,
                      frame: Int, into segment: inout EncodedSegment) throws(StrataError) -> (reconstruction: Frame, motion: MotionField) {
        do {
            let position = frame - segment.firstFrame
            let out = try encoder.encode(source: source, lower: lower, lowerMotion: lowerMotion,
                                         temporalId: segment.temporalIds[position], position: position)
            segment.enhancement[layer - 1][position] = out.payload
            accumulate(&segment.layerErrors[layer], source, out.reconstruction)
            return (out.reconstruction, out.motion)
        } catch {
            throw .enhancementLayer(layer: "L\(layer)", segment: segment.index, message: "frame \(frame): \(error)")
        }
    }

    private func accumulate(_ acc: inout (sse: UInt64, samples: Int), _ a: Frame, _ b: Frame) {
        acc.sse &+= QualityMetrics.sumOfSquaredErrors(a.luma, b.luma)
        acc.samples += a.width * a.height
    }

    /// One scaler per layer whose size differs from the source's (nil where it equals it).
    private func makeScalers() throws(StrataError) -> [Scaler?] {
        var result: [Scaler?] = []
        for k in 0..<plan.layerCount {
            let size = plan.size(ofLayer: k, sourceWidth: source.width, sourceHeight: source.height)
            if size.width == source.width && size.height == source.height {
                result.append(nil)
            } else {
                do {
                    result.append(try Scaler(from: source.width, source.height, to: size.width, size.height, filter: .lanczos))
                } catch {
                    throw .invalidPlan("layer L\(k): \(error)")
                }
            }
        }
        return result
    }
}
