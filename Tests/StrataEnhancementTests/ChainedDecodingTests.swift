import StrataTestSupport
import StrataCore
import Testing
@testable import StrataEnhancement

/// Decoding a stack of layers with each decoder reading the one below in place
/// (``EnhancementDecoder/decodeFrame(payload:over:temporalId:)``) gives the pictures that handing
/// frames up gives, and a decoder given the wrong lower decoder says so.
@Suite struct ChainedDecodingTests {
    static let width = 96, height = 64

    /// A stack over a half-size base: a 2x layer, then two 1x layers (the top one with inter-layer
    /// motion when asked), coded as two segments of `frames` frames with three temporal layers.
    struct Stack {
        var base: [Frame] = []
        var parameters: [EnhancementLayerParameters] = []
        /// Per layer, per frame.
        var coded: [[EncodedEnhancementFrame]] = []
        let frames: Int
    }

    static func stack(interLayerMotion: Bool, frames: Int = 9, halfSizeFirst: Bool = false) throws -> Stack {
        let source = Fixtures.clip(width: width, height: height, frames: 2 * frames, noise: 1)
        var stack = Stack(frames: frames)
        stack.base = source.map { Fixtures.lowerLayer($0, step: 16) }
        if halfSizeFirst {
            // A 1x layer at the base's size, then 2x to the full size: the upper layer upsamples the lower decoder's picture.
            stack.parameters = [
                EnhancementLayerParameters(width: width / 2, height: height / 2, referenceWidth: width / 2, referenceHeight: height / 2,
                                           qp: 30, temporalLayers: 3),
                EnhancementLayerParameters(width: width, height: height, referenceWidth: width / 2, referenceHeight: height / 2,
                                           qp: 28, temporalLayers: 3),
            ]
        } else {
            stack.parameters = [
                EnhancementLayerParameters(width: width, height: height, referenceWidth: width / 2, referenceHeight: height / 2,
                                           qp: 32, temporalLayers: 3),
                EnhancementLayerParameters(width: width, height: height, referenceWidth: width, referenceHeight: height,
                                           qp: 28, temporalLayers: 3),
                EnhancementLayerParameters(width: width, height: height, referenceWidth: width, referenceHeight: height,
                                           qp: 23, temporalLayers: 3, interLayerMotion: interLayerMotion),
            ]
        }
        let encoders = try stack.parameters.map { try EnhancementEncoder(parameters: $0) }
        let half = try Scaler(from: width, height, to: width / 2, height / 2)
        stack.coded = stack.parameters.map { _ in [] }
        for i in 0..<(2 * frames) {
            if i % frames == 0 { for encoder in encoders { encoder.beginSegment() } }
            let t = Fixtures.temporalId(i % frames, layers: 3)
            var lower = stack.base[i]
            var motion: MotionField?
            for (k, encoder) in encoders.enumerated() {
                let picture = encoder.parameters.width == width ? source[i] : half.scale(source[i])
                let frame = try encoder.encode(source: picture, lower: lower, lowerMotion: motion, temporalId: t)
                stack.coded[k].append(frame)
                lower = frame.reconstruction
                motion = frame.motion
            }
        }
        return stack
    }

    /// Decodes `stack` with the layers chained; returns each layer's decoded pictures.
    static func decodeChained(_ stack: Stack) throws -> [[Frame]] {
        let decoders = try stack.parameters.map { try EnhancementDecoder(parameters: $0) }
        var out: [[Frame]] = decoders.map { _ in [] }
        for i in 0..<(2 * stack.frames) {
            if i % stack.frames == 0 { for decoder in decoders { decoder.beginSegment() } }
            let t = Fixtures.temporalId(i % stack.frames, layers: 3)
            try decoders[0].decodeFrame(payload: stack.coded[0][i].payload, lower: stack.base[i], temporalId: t)
            for k in 1..<decoders.count {
                try decoders[k].decodeFrame(payload: stack.coded[k][i].payload, over: decoders[k - 1], temporalId: t)
            }
            for k in decoders.indices { out[k].append(try #require(decoders[k].decodedFrame())) }
        }
        return out
    }

    @Test(arguments: [false, true])
    func chainedLayersDecodeWhatTheEncoderReconstructed(interLayerMotion: Bool) throws {
        let stack = try Self.stack(interLayerMotion: interLayerMotion)
        let decoded = try Self.decodeChained(stack)
        for k in stack.coded.indices {
            for i in stack.coded[k].indices {
                #expect(decoded[k][i].hasSameSamples(as: stack.coded[k][i].reconstruction), "layer \(k) frame \(i)")
            }
        }
        // The 1x layers code vectors, so their references and the lower layer's are exercised.
        #expect(stack.coded[2].contains { $0.motion.carriesVector.contains(2) })
    }

    @Test func anUpperLayerUpsamplesTheLowerDecodersPicture() throws {
        let stack = try Self.stack(interLayerMotion: false, halfSizeFirst: true)
        let decoded = try Self.decodeChained(stack)
        for i in stack.coded[1].indices {
            #expect(decoded[1][i].hasSameSamples(as: stack.coded[1][i].reconstruction), "frame \(i)")
        }
    }

    @Test func aLowerDecoderOutOfStepIsATypedError() throws {
        let stack = try Self.stack(interLayerMotion: true, frames: 3)
        func decoders() throws -> [EnhancementDecoder] { try stack.parameters.map { try EnhancementDecoder(parameters: $0) } }
        func isMismatch(_ error: any Error) -> Bool {
            guard case .lowerLayerMismatch = error as? EnhancementError else { return false }
            return true
        }
        // The lower decoder has not decoded the frame yet.
        var d = try decoders()
        try d[0].decodeFrame(payload: stack.coded[0][0].payload, lower: stack.base[0], temporalId: 0)
        #expect { try d[2].decodeFrame(payload: stack.coded[2][0].payload, over: d[1], temporalId: 0) } throws: { isMismatch($0) }
        // A decoder of another size is not the layer below.
        let small = try EnhancementDecoder(parameters: EnhancementLayerParameters(
            width: Self.width / 2, height: Self.height / 2, referenceWidth: Self.width / 2, referenceHeight: Self.height / 2,
            qp: 30, temporalLayers: 3))
        #expect { try d[1].decodeFrame(payload: stack.coded[1][0].payload, over: small, temporalId: 0) } throws: { isMismatch($0) }
        // Another temporal id than the lower decoder's frame.
        d = try decoders()
        try d[0].decodeFrame(payload: stack.coded[0][0].payload, lower: stack.base[0], temporalId: 0)
        try d[1].decodeFrame(payload: stack.coded[1][0].payload, over: d[0], temporalId: 0)
        try d[0].decodeFrame(payload: stack.coded[0][1].payload, lower: stack.base[1], temporalId: 2)
        #expect { try d[1].decodeFrame(payload: stack.coded[1][1].payload, over: d[0], temporalId: 1) } throws: { isMismatch($0) }
        // One segment takes its lower layer one way only; the next segment may take it the other way.
        d = try decoders()
        _ = try d[1].decode(payload: stack.coded[1][0].payload, lower: stack.coded[0][0].reconstruction, temporalId: 0)
        try d[0].decodeFrame(payload: stack.coded[0][0].payload, lower: stack.base[0], temporalId: 0)
        try d[0].decodeFrame(payload: stack.coded[0][1].payload, lower: stack.base[1], temporalId: 2)
        #expect { try d[1].decodeFrame(payload: stack.coded[1][1].payload, over: d[0], temporalId: 2) } throws: { isMismatch($0) }
        d[1].beginSegment()
        d[0].beginSegment()
        try d[0].decodeFrame(payload: stack.coded[0][0].payload, lower: stack.base[0], temporalId: 0)
        try d[1].decodeFrame(payload: stack.coded[1][0].payload, over: d[0], temporalId: 0)
        #expect(try #require(d[1].decodedFrame()).hasSameSamples(as: stack.coded[1][0].reconstruction))
        // A failed call leaves nothing to copy out.
        #expect(throws: EnhancementError.self) {
            try d[1].decodeFrame(payload: [1, 2], over: d[0], temporalId: 0)
        }
        #expect(d[1].decodedFrame() == nil)
    }
}
