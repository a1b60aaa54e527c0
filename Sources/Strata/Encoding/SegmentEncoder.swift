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
    /// `enhancement[k][i]` is enhancement layer k+1's payload for frame i.
    var enhancement: [[[UInt8]]]
    /// Temporal id of each frame.
    var temporalIds: [Int]
    /// Reconstruction quality of each layer against the source at its own size (luma SSE, samples).
    var layerErrors: [(sse: UInt64, samples: Int)]
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

    init(plan: LayerPlan, source: VideoFormat) {
        self.plan = plan
        self.source = source
        var params: [EnhancementLayerParameters] = []
        for k in 1..<plan.layerCount {
            let size = plan.size(ofLayer: k, sourceWidth: source.width, sourceHeight: source.height)
            let below = plan.size(ofLayer: k - 1, sourceWidth: source.width, sourceHeight: source.height)
            params.append(EnhancementLayerParameters(width: size.width, height: size.height,
                                                     referenceWidth: below.width, referenceHeight: below.height,
                                                     qp: plan.enhancementLayers[k - 1].qp, temporalLayers: plan.temporalLayers))
        }
        layerParameters = params
    }

    func encode(index: Int, firstFrame: Int, frames: [Frame]) throws(StrataError) -> EncodedSegment {
        let baseSize = plan.size(ofLayer: 0, sourceWidth: source.width, sourceHeight: source.height)
        let baseEncoder: OpenH264Encoder
        let baseDecoder: OpenH264Decoder
        do {
            baseEncoder = try OpenH264Encoder(BaseEncoderConfiguration(
                width: baseSize.width, height: baseSize.height, frameRate: source.frameRate,
                temporalLayers: plan.temporalLayers, rateControl: .constantQP(plan.baseQP)))
            baseDecoder = try OpenH264Decoder()
        } catch {
            throw .baseLayer(segment: index, message: "\(error)")
        }
        let scalers = try makeScalers()
        var encoders: [EnhancementEncoder] = []
        for (k, p) in layerParameters.enumerated() {
            do {
                let e = try EnhancementEncoder(parameters: p)
                e.beginSegment()
                encoders.append(e)
            } catch {
                throw .enhancementLayer(layer: "L\(k + 1)", segment: index, message: "\(error)")
            }
        }

        var base: [AccessUnit] = []
        var enhancement = [[[UInt8]]](repeating: [], count: encoders.count)
        var temporalIds: [Int] = []
        var errors = [(sse: UInt64, samples: Int)](repeating: (0, 0), count: plan.layerCount)
        var scaled = [Frame](repeating: Frame(width: 2, height: 2), count: plan.layerCount)

        for (i, frame) in frames.enumerated() {
            // Source pictures at every layer size.
            for k in 0..<plan.layerCount {
                if let scaler = scalers[k] { scaler.scale(frame, into: &scaled[k]) } else { scaled[k] = frame }
            }
            let unit: AccessUnit
            let decoded: Frame
            do {
                unit = try baseEncoder.encode(scaled[0], forceIDR: i == 0)
                guard let picture = try baseDecoder.decode(unit.nalUnits.filter(\.isAVCBaseNAL)) else {
                    throw StrataError.baseLayer(segment: index, message: "frame \(firstFrame + i): the base decoder returned no picture for NAL units of types \(unit.nalUnits.map(\.type))")
                }
                decoded = picture
            } catch let e as StrataError {
                throw e
            } catch {
                throw .baseLayer(segment: index, message: "frame \(firstFrame + i): \(error)")
            }
            base.append(unit)
            temporalIds.append(unit.temporalId)
            accumulate(&errors[0], scaled[0], decoded)
            var lower = decoded
            for (k, encoder) in encoders.enumerated() {
                do {
                    let out = try encoder.encode(source: scaled[k + 1], lower: lower, temporalId: unit.temporalId)
                    enhancement[k].append(out.payload)
                    accumulate(&errors[k + 1], scaled[k + 1], out.reconstruction)
                    lower = out.reconstruction
                } catch {
                    throw .enhancementLayer(layer: "L\(k + 1)", segment: index, message: "frame \(firstFrame + i): \(error)")
                }
            }
        }
        return EncodedSegment(index: index, firstFrame: firstFrame, base: base, enhancement: enhancement,
                              temporalIds: temporalIds, layerErrors: errors)
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
