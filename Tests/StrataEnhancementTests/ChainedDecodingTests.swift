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

    /// With `codingOrder`, each segment's frames are coded in ``EnhancementCodingOrder`` with their positions (a frame after the
    /// later frame of a lower temporal id, which it may also predict from); `coded` stays in presentation order.
    /// With `upsampledTop`, two 1x layers at the base's size (the second reads the first in place), then a 2x
    /// layer to the full size, which upsamples the second's picture a band at a time.
    static func stack(interLayerMotion: Bool, frames: Int = 9, halfSizeFirst: Bool = false, upsampledTop: Bool = false,
                      codingOrder: Bool = false) throws -> Stack {
        let source = Fixtures.clip(width: width, height: height, frames: 2 * frames, noise: 1)
        var stack = Stack(frames: frames)
        stack.base = source.map { Fixtures.lowerLayer($0, step: 16) }
        if upsampledTop {
            stack.parameters = [
                EnhancementLayerParameters(width: width / 2, height: height / 2, referenceWidth: width / 2, referenceHeight: height / 2,
                                           qp: 32, temporalLayers: 3),
                EnhancementLayerParameters(width: width / 2, height: height / 2, referenceWidth: width / 2, referenceHeight: height / 2,
                                           qp: 28, temporalLayers: 3),
                EnhancementLayerParameters(width: width, height: height, referenceWidth: width / 2, referenceHeight: height / 2,
                                           qp: 26, temporalLayers: 3),
            ]
        } else if halfSizeFirst {
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
        var coded = stack.parameters.map { _ in [EncodedEnhancementFrame?](repeating: nil, count: 2 * frames) }
        for i in Self.order(stack, codingOrder: codingOrder) {
            if i % frames == 0 { for encoder in encoders { encoder.beginSegment() } }
            let t = Fixtures.temporalId(i % frames, layers: 3)
            var lower = stack.base[i]
            var motion: MotionField?
            for (k, encoder) in encoders.enumerated() {
                let picture = encoder.parameters.width == width ? source[i] : half.scale(source[i])
                let frame = try encoder.encode(source: picture, lower: lower, lowerMotion: motion, temporalId: t,
                                               position: codingOrder ? i % frames : nil)
                coded[k][i] = frame
                lower = frame.reconstruction
                motion = frame.motion
            }
        }
        stack.coded = coded.map { $0.map { $0! } }
        return stack
    }

    /// The frames of both segments in the order they are coded: presentation order, or each segment's coding order.
    static func order(_ stack: Stack, codingOrder: Bool) -> [Int] {
        guard codingOrder else { return Array(0..<(2 * stack.frames)) }
        let ids = (0..<stack.frames).map { Fixtures.temporalId($0, layers: 3) }
        return [0, stack.frames].flatMap { start in EnhancementCodingOrder.indices(temporalIds: ids).map { start + $0 } }
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

    /// Every decoder but the top defers the pictures no later frame of its layer references
    /// (``EnhancementDecoder/defersUnreferencedPictures``): the top layer decodes the same pictures,
    /// the lower decoders form only part of those pictures, and a lower picture copied out while its
    /// own lower decoder is still at that frame is whole.
    @Test(arguments: [(false, false), (true, false), (false, true)])
    func deferredLowerPicturesGiveTheSamePictures(interLayerMotion: Bool, upsampledTop: Bool) throws {
        let stack = try Self.stack(interLayerMotion: interLayerMotion, upsampledTop: upsampledTop, codingOrder: true)
        let decoders = try stack.parameters.map { try EnhancementDecoder(parameters: $0) }
        for decoder in decoders.dropLast() { decoder.defersUnreferencedPictures = true }
        let top = decoders.count - 1
        var deferredFrames = 0, partlyFormed = 0
        for i in Self.order(stack, codingOrder: true) {
            if i % stack.frames == 0 { for decoder in decoders { decoder.beginSegment() } }
            let t = Fixtures.temporalId(i % stack.frames, layers: 3)
            try decoders[0].decodeFrame(payload: stack.coded[0][i].payload, lower: stack.base[i], temporalId: t, position: i % stack.frames)
            for k in 1..<decoders.count {
                try decoders[k].decodeFrame(payload: stack.coded[k][i].payload, over: decoders[k - 1], temporalId: t)
            }
            #expect(try #require(decoders[top].decodedFrame()).hasSameSamples(as: stack.coded[top][i].reconstruction), "frame \(i)")
            #expect(!decoders[top].deferredFrame.isActive)
            for k in 0..<top where decoders[k].deferredFrame.isActive {
                #expect(t == 2, "only the top temporal layer's pictures are deferred")
                deferredFrames += 1
                if decoders[k].deferredFrame.formedCount < decoders[k].geometry.macroblockCount { partlyFormed += 1 }
            }
            // Copied out, top first: each lower picture is completed from the one below it, still at this frame.
            for k in (0..<top).reversed() {
                #expect(try #require(decoders[k].decodedFrame()).hasSameSamples(as: stack.coded[k][i].reconstruction),
                        "layer \(k) frame \(i)")
            }
        }
        // (A picture the layer above upsamples is formed by bands of rows: in these two-row pictures, whole.)
        #expect(deferredFrames > 0 && (upsampledTop || partlyFormed > 0))
    }

    /// An operating point below the top temporal layer: told which frames will not come
    /// (``EnhancementDecoder/beginSegment(omitting:)``), the lower decoders defer the pictures of the
    /// highest id kept as they defer the top temporal layer's at full frame rate, and the top layer
    /// decodes the same pictures.
    @Test func framesLeftOutLetTheHighestIdKeptBeDeferred() throws {
        let stack = try Self.stack(interLayerMotion: true, codingOrder: true)
        let ids = (0..<stack.frames).map { Fixtures.temporalId($0, layers: 3) }
        let kept = ids.indices.filter { ids[$0] <= 1 }, omitted = ids.indices.filter { ids[$0] > 1 }
        let keptOrder = EnhancementCodingOrder.indices(temporalIds: kept.map { ids[$0] }).map { kept[$0] }
        let decoders = try stack.parameters.map { try EnhancementDecoder(parameters: $0) }
        for decoder in decoders.dropLast() { decoder.defersUnreferencedPictures = true }
        let top = decoders.count - 1
        var deferredFrames = 0
        for start in [0, stack.frames] {
            for decoder in decoders { decoder.beginSegment(omitting: omitted) }
            for n in keptOrder {
                let i = start + n, t = ids[n]
                try decoders[0].decodeFrame(payload: stack.coded[0][i].payload, lower: stack.base[i], temporalId: t, position: n)
                for k in 1..<decoders.count {
                    try decoders[k].decodeFrame(payload: stack.coded[k][i].payload, over: decoders[k - 1], temporalId: t)
                }
                #expect(try #require(decoders[top].decodedFrame()).hasSameSamples(as: stack.coded[top][i].reconstruction), "frame \(i)")
                for k in 0..<top where decoders[k].deferredFrame.isActive {
                    #expect(t == 1)
                    deferredFrames += 1
                }
            }
        }
        #expect(deferredFrames > 0)
        // A frame at a position left out is refused.
        #expect(throws: EnhancementError.self) {
            try decoders[0].decodeFrame(payload: stack.coded[0][stack.frames + omitted[0]].payload, lower: stack.base[omitted[0]],
                                        temporalId: ids[omitted[0]], position: omitted[0])
        }
    }

    /// A deferred picture needs the lower decoder's picture of its instant: once that decoder has begun its
    /// next frame, the picture can no longer be copied out (nil), and the layer above it can no longer read it.
    @Test func aDeferredPictureWhoseLowerDecoderMovedOnIsNotCopiedOut() throws {
        let stack = try Self.stack(interLayerMotion: true, frames: 5, codingOrder: true)
        let decoders = try stack.parameters.map { try EnhancementDecoder(parameters: $0) }
        for decoder in decoders { decoder.defersUnreferencedPictures = true }
        func decode(_ i: Int) throws {
            let t = Fixtures.temporalId(i, layers: 3)
            try decoders[0].decodeFrame(payload: stack.coded[0][i].payload, lower: stack.base[i], temporalId: t, position: i)
            try decoders[1].decodeFrame(payload: stack.coded[1][i].payload, over: decoders[0], temporalId: t)
            try decoders[2].decodeFrame(payload: stack.coded[2][i].payload, over: decoders[1], temporalId: t)
        }
        // Coding order 0, 4, 2, 1, 3: frame 1 (temporal id 2) is deferred in layers 1 and 2, which read in place.
        for i in [0, 4, 2, 1] { try decode(i) }
        #expect(decoders[2].deferredFrame.isActive && decoders[1].deferredFrame.isActive)
        try decoders[0].decodeFrame(payload: stack.coded[0][3].payload, lower: stack.base[3], temporalId: 2, position: 3)
        try decoders[1].decodeFrame(payload: stack.coded[1][3].payload, over: decoders[0], temporalId: 2)
        #expect(decoders[2].decodedFrame() == nil)
        // The same for a picture that upsamples the lower decoder's picture (a 2x layer over a 1x one).
        let upsampled = try Self.stack(interLayerMotion: false, frames: 5, upsampledTop: true, codingOrder: true)
        let d = try upsampled.parameters.map { try EnhancementDecoder(parameters: $0) }
        for decoder in d { decoder.defersUnreferencedPictures = true }
        for i in [0, 4, 2, 1] {
            let t = Fixtures.temporalId(i, layers: 3)
            try d[0].decodeFrame(payload: upsampled.coded[0][i].payload, lower: upsampled.base[i], temporalId: t, position: i)
            try d[1].decodeFrame(payload: upsampled.coded[1][i].payload, over: d[0], temporalId: t)
            try d[2].decodeFrame(payload: upsampled.coded[2][i].payload, over: d[1], temporalId: t)
        }
        #expect(d[2].deferredFrame.isActive)
        try d[0].decodeFrame(payload: upsampled.coded[0][3].payload, lower: upsampled.base[3], temporalId: 2, position: 3)
        try d[1].decodeFrame(payload: upsampled.coded[1][3].payload, over: d[0], temporalId: 2)
        #expect(d[2].decodedFrame() == nil)
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
