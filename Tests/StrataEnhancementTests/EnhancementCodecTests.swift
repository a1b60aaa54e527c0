import StrataTestSupport
import StrataCore
import Testing
@testable import StrataEnhancement

@Suite struct EnhancementCodecTests {
    static let width = 96, height = 64

    static func parameters(qp: Int, temporalLayers: Int = 3, reference: (Int, Int) = (48, 32)) -> EnhancementLayerParameters {
        EnhancementLayerParameters(width: width, height: height, referenceWidth: reference.0, referenceHeight: reference.1,
                                   qp: qp, temporalLayers: temporalLayers)
    }

    @Test func decoderOutputEqualsEncoderReconstruction() throws {
        let source = Fixtures.clip(width: Self.width, height: Self.height, frames: 6)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let (payloads, reconstructions) = try Fixtures.encode(source, lower: lower, qp: 26)
        let decoder = try EnhancementDecoder(parameters: Self.parameters(qp: 26))
        for i in 0..<source.count {
            let decoded = try decoder.decode(payload: payloads[i], lower: lower[i], temporalId: Fixtures.temporalId(i, layers: 3))
            #expect(MD5.hex(decoded.packedI420()) == MD5.hex(reconstructions[i].packedI420()), "frame \(i) differs")
        }
    }

    @Test func psnrRisesWithEachStackedLayer() throws {
        let source = Fixtures.clip(width: Self.width, height: Self.height, frames: 5)
        let base = source.map { Fixtures.lowerLayer($0, step: 16) }
        let scaler = try Scaler(from: 48, 32, to: Self.width, Self.height)
        let basePSNR = Fixtures.psnr(source, base.map { scaler.scale($0) })
        let layer1 = try Fixtures.encode(source, lower: base, qp: 30)
        let layer2 = try Fixtures.encode(source, lower: layer1.frames, qp: 26)
        let layer3 = try Fixtures.encode(source, lower: layer2.frames, qp: 18)
        let p1 = Fixtures.psnr(source, layer1.frames), p2 = Fixtures.psnr(source, layer2.frames), p3 = Fixtures.psnr(source, layer3.frames)
        #expect(p1 > basePSNR + 1.5, "layer 1 \(p1) dB over base \(basePSNR) dB")
        #expect(p2 > p1 + 1.5, "layer 2 \(p2) dB over layer 1 \(p1) dB")
        #expect(p3 > p2 + 1.5, "layer 3 \(p3) dB over layer 2 \(p2) dB")
        // The 1x layers decode too.
        let decoder = try EnhancementDecoder(parameters: Self.parameters(qp: 26, reference: (Self.width, Self.height)))
        for i in 0..<source.count {
            let frame = try decoder.decode(payload: layer2.payloads[i], lower: layer1.frames[i], temporalId: Fixtures.temporalId(i, layers: 3))
            #expect(frame.hasSameSamples(as: layer2.frames[i]))
        }
    }

    @Test func motionCompensationMakesTheLayerMuchSmaller() throws {
        // Sensor noise is new in every frame and no predictor can remove it; leave it out here.
        let source = Fixtures.clip(width: Self.width, height: Self.height, frames: 6, noise: 0)
        let lower = source.map { Fixtures.lowerLayer($0, step: 16) }
        let parameters = Self.parameters(qp: 26, temporalLayers: 1)
        let temporal = try EnhancementEncoder(parameters: parameters)
        let interLayerOnly = try EnhancementEncoder(parameters: parameters)
        // The encoder codes segment-opening frames 3 QP finer; compare at the same frame QP.
        interLayerOnly.setQP(parameters.qp + 3)
        var temporalBytes = 0, interLayerBytes = 0
        var temporalQuality = QualityAccumulator(), interLayerQuality = QualityAccumulator()
        for i in 1..<source.count {
            let a = try temporal.encode(source: source[i], lower: lower[i], temporalId: 0)
            interLayerOnly.beginSegment()
            let b = try interLayerOnly.encode(source: source[i], lower: lower[i], temporalId: 0)
            if i > 1 {
                temporalBytes += a.payload.count
                interLayerBytes += b.payload.count
                temporalQuality.add(reference: source[i], test: a.reconstruction, measureSSIM: false)
                interLayerQuality.add(reference: source[i], test: b.reconstruction, measureSSIM: false)
            }
        }
        print("motion test: temporal \(temporalBytes) B \(temporalQuality.psnrY) dB, inter-layer only \(interLayerBytes) B \(interLayerQuality.psnrY) dB")
        // Fewer than 60% of the bytes, at a higher quality (about 0.9 dB here, worth another 15% of rate).
        #expect(Double(temporalBytes) < 0.6 * Double(interLayerBytes), "temporal \(temporalBytes) B vs inter-layer only \(interLayerBytes) B")
        #expect(temporalQuality.psnrY > interLayerQuality.psnrY + 0.3)
    }

    @Test func droppingUpperTemporalLayersDecodesTheRestIdentically() throws {
        let source = Fixtures.clip(width: Self.width, height: Self.height, frames: 9)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let (payloads, reconstructions) = try Fixtures.encode(source, lower: lower, qp: 28)
        for operatingPoint in 0..<3 {
            let decoder = try EnhancementDecoder(parameters: Self.parameters(qp: 28))
            var decodedCount = 0
            for i in 0..<source.count where Fixtures.temporalId(i, layers: 3) <= operatingPoint {
                let frame = try decoder.decode(payload: payloads[i], lower: lower[i], temporalId: Fixtures.temporalId(i, layers: 3))
                #expect(frame.hasSameSamples(as: reconstructions[i]), "T\(operatingPoint) frame \(i)")
                decodedCount += 1
            }
            #expect(decodedCount == [3, 5, 9][operatingPoint])
        }
    }

    /// The chroma weight is the encoder's alone: a higher one codes more colour (higher chroma PSNR, more
    /// bytes), luma about the same, and the stream decodes with the usual decoder.
    @Test func chromaWeightBuysColourAndDecodesTheSameWay() throws {
        let source = Fixtures.clip(width: Self.width, height: Self.height, frames: 6)
        let lower = source.map { Fixtures.lowerLayer($0, step: 16) }
        func run(_ weight: Int) throws -> (bytes: Int, quality: QualityAccumulator, payloads: [[UInt8]], frames: [Frame]) {
            let encoder = try EnhancementEncoder(parameters: Self.parameters(qp: 30), chromaWeight: weight)
            var bytes = 0, quality = QualityAccumulator(), payloads: [[UInt8]] = [], frames: [Frame] = []
            for i in source.indices {
                let coded = try encoder.encode(source: source[i], lower: lower[i], temporalId: Fixtures.temporalId(i, layers: 3))
                bytes += coded.payload.count
                quality.add(reference: source[i], test: coded.reconstruction)
                payloads.append(coded.payload); frames.append(coded.reconstruction)
            }
            return (bytes, quality, payloads, frames)
        }
        let plain = try run(1), colourful = try run(4)
        let chromaGain = (colourful.quality.psnrCb + colourful.quality.psnrCr - plain.quality.psnrCb - plain.quality.psnrCr) / 2
        print("chroma weight 4 against 1: \(colourful.bytes) against \(plain.bytes) bytes, chroma +\(chromaGain) dB, "
              + "luma \(colourful.quality.psnrY) against \(plain.quality.psnrY) dB")
        #expect(chromaGain > 0.3)
        #expect(colourful.bytes > plain.bytes)
        #expect(abs(colourful.quality.psnrY - plain.quality.psnrY) < 0.5)
        let decoder = try EnhancementDecoder(parameters: Self.parameters(qp: 30))
        for i in source.indices {
            let decoded = try decoder.decode(payload: colourful.payloads[i], lower: lower[i], temporalId: Fixtures.temporalId(i, layers: 3))
            #expect(decoded.hasSameSamples(as: colourful.frames[i]), "frame \(i)")
        }
        #expect(throws: EnhancementError.self) { try EnhancementEncoder(parameters: Self.parameters(qp: 30), chromaWeight: 0) }
    }

    @Test func segmentsDecodeIndependently() throws {
        let source = Fixtures.clip(width: Self.width, height: Self.height, frames: 6)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let encoder = try EnhancementEncoder(parameters: Self.parameters(qp: 28, temporalLayers: 1))
        var payloads: [[UInt8]] = [], frames: [Frame] = []
        for i in 0..<6 {
            if i % 3 == 0 { encoder.beginSegment() }
            let coded = try encoder.encode(source: source[i], lower: lower[i], temporalId: 0)
            payloads.append(coded.payload); frames.append(coded.reconstruction)
        }
        // The second segment alone, with a fresh decoder.
        let decoder = try EnhancementDecoder(parameters: Self.parameters(qp: 28, temporalLayers: 1))
        for i in 3..<6 {
            #expect(try decoder.decode(payload: payloads[i], lower: lower[i], temporalId: 0).hasSameSamples(as: frames[i]))
        }
        // A frame with a reference cannot start a segment.
        decoder.beginSegment()
        #expect(throws: EnhancementError.invalidSyntax(element: "reference_flag", macroblock: -1, offset: 0)) {
            try decoder.decode(payload: payloads[4], lower: lower[4], temporalId: 0)
        }
    }

    /// Golden vector of the reference encoder and decoder together: the decoded pictures of a fixed clip
    /// never change silently. A deliberate encoder change updates the digest; the decoder alone is held
    /// by the stored conformance vectors (ConformanceVectorTests).
    @Test func goldenDecodedVector() throws {
        let source = Fixtures.clip(width: 64, height: 48, frames: 4)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let (payloads, _) = try Fixtures.encode(source, lower: lower, qp: 27, temporalLayers: 2)
        let decoder = try EnhancementDecoder(parameters: EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32,
                                                                                  referenceHeight: 24, qp: 27, temporalLayers: 2))
        var all: [UInt8] = []
        for i in 0..<4 { all += try decoder.decode(payload: payloads[i], lower: lower[i], temporalId: i % 2).packedI420() }
        let digest = MD5.hex(all)
        print("golden digest \(digest) payload digest \(MD5.hex(payloads.flatMap { $0 }))")
        #expect(digest == Self.goldenDigest)
    }
    static let goldenDigest = "36952a2caf2d8baf80ae49761f7abbc5"

    @Test func truncatedPayloadsGiveTypedErrors() throws {
        let source = Fixtures.clip(width: 64, height: 48, frames: 2)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let (payloads, _) = try Fixtures.encode(source, lower: lower, qp: 24, temporalLayers: 1)
        let parameters = EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32, referenceHeight: 24, qp: 24, temporalLayers: 1)
        for frame in 0..<2 {
            let payload = payloads[frame]
            for cut in 0..<payload.count {
                let decoder = try EnhancementDecoder(parameters: parameters)
                if frame == 1 { _ = try decoder.decode(payload: payloads[0], lower: lower[0], temporalId: 0) }
                do {
                    _ = try decoder.decode(payload: Array(payload[0..<cut]), lower: lower[frame], temporalId: 0)
                    Issue.record("frame \(frame) cut at \(cut) of \(payload.count) decoded without error")
                } catch {
                    switch error {
                    case .truncatedPayload, .invalidSyntax: break
                    default: Issue.record("unexpected error \(error)")
                    }
                }
            }
        }
    }

    @Test func payloadsWithBytesLeftOverAreRefused() throws {
        // Version 9: the macroblocks must end exactly three bytes past the payload's end.
        let source = Fixtures.clip(width: 64, height: 48, frames: 1)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let (payloads, _) = try Fixtures.encode(source, lower: lower, qp: 24, temporalLayers: 1)
        let parameters = EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32, referenceHeight: 24, qp: 24, temporalLayers: 1)
        // Zero bytes leave every bin as it was, so the decoder stops where it did: three bytes past the
        // payload's own end, short of the longer payload's (4 x 3 macroblocks).
        for extra in 1...5 {
            #expect(throws: EnhancementError.invalidSyntax(element: "payload_end", macroblock: 11, offset: payloads[0].count + 3)) {
                try EnhancementDecoder(parameters: parameters).decode(payload: payloads[0] + [UInt8](repeating: 0, count: extra),
                                                                      lower: lower[0], temporalId: 0)
            }
        }
        #expect(try EnhancementDecoder(parameters: parameters).decode(payload: payloads[0], lower: lower[0], temporalId: 0).width == 64)
    }

    @Test func corruptedPayloadsNeverTrap() throws {
        let source = Fixtures.clip(width: 64, height: 48, frames: 2)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let (payloads, _) = try Fixtures.encode(source, lower: lower, qp: 24, temporalLayers: 1)
        let parameters = EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32, referenceHeight: 24, qp: 24, temporalLayers: 1)
        var random = SplitMix64(seed: 99)
        var failures = 0
        for trial in 0..<300 {
            let decoder = try EnhancementDecoder(parameters: parameters)
            _ = try decoder.decode(payload: payloads[0], lower: lower[0], temporalId: 0)
            var payload = payloads[1]
            for _ in 0..<(1 + trial % 4) {
                let bit = Int(random.next() % UInt64(payload.count * 8))
                payload[bit / 8] ^= 1 << (bit % 8)
            }
            do {
                let frame = try decoder.decode(payload: payload, lower: lower[1], temporalId: 0)
                #expect(frame.width == 64 && frame.height == 48)
            } catch {
                failures += 1
            }
        }
        // Some flips desynchronise the arithmetic decoder far enough to be caught as syntax or truncation errors.
        #expect(failures > 0)
    }

    @Test func configurationRecordRoundTripsAndRejectsDamage() throws {
        let p = EnhancementLayerParameters(width: 1280, height: 720, referenceWidth: 640, referenceHeight: 360, qp: 30, temporalLayers: 3)
        let record = p.serialized()
        #expect(record.count == 15 && record[14] == 0)
        #expect(try EnhancementLayerParameters(serialized: record) == p)
        for cut in 0..<record.count {
            #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: Array(record[0..<cut])) }
        }
        var badVersion = record; badVersion[2] = 10
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: badVersion) }
        var badQP = record; badQP[12] = 60
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: badQP) }
        // Byte 13: the signed deblocking offset from version 3 on, reserved (0) before.
        #expect(p.version == 9 && p.deblockingOffset == EnhancementLayerParameters.defaultDeblockingOffset)
        #expect(record[13] == UInt8(bitPattern: Int8(EnhancementLayerParameters.defaultDeblockingOffset)))
        var offset = record; offset[13] = UInt8(bitPattern: -51)
        #expect(try EnhancementLayerParameters(serialized: offset).deblockingOffset == -51)
        offset[13] = 52
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: offset) }
        var flags = record; flags[14] = 2
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: flags) }
        // Inter-layer motion needs a lower layer of the layer's size, or from version 8 of half of it
        // (as here).
        flags[14] = 1
        #expect(try EnhancementLayerParameters(serialized: flags).interLayerMotion)
        flags[2] = 7
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: flags) }
        flags[2] = 8; flags[9] = 0x82 // reference width 642: neither 1x nor 2x
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: flags) }
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: Array(record.prefix(14))) }
        var version2 = Array(record.prefix(14)); version2[2] = 2
        #expect(throws: EnhancementError.self) { try EnhancementLayerParameters(serialized: version2) }
        version2[13] = 0
        #expect(try EnhancementLayerParameters(serialized: version2).deblockingOffset == 0)
        #expect(throws: EnhancementError.self) {
            try EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32, referenceHeight: 24, qp: 30, temporalLayers: 1,
                                           version: 2, deblockingOffset: -6).validate()
        }
        #expect(throws: EnhancementError.self) {
            try EnhancementEncoder(parameters: EnhancementLayerParameters(width: 100, height: 100, referenceWidth: 10, referenceHeight: 10,
                                                                          qp: 20, temporalLayers: 1))
        }
    }

    @Test func sizeMismatchIsReported() throws {
        let encoder = try EnhancementEncoder(parameters: Self.parameters(qp: 30))
        #expect(throws: EnhancementError.sizeMismatch(picture: "lower layer", expectedWidth: 48, expectedHeight: 32, width: 64, height: 48)) {
            try encoder.encode(source: Frame(width: 96, height: 64), lower: Frame(width: 64, height: 48), temporalId: 0)
        }
    }

    @Test func otherRatiosAndOddMacroblockCountsWork() throws {
        // 1.5x, and a picture size that is not a multiple of 16.
        let source = Fixtures.clip(width: 72, height: 54, frames: 3)
        let scaler = try Scaler(from: 72, 54, to: 48, 36)
        let lower = source.map { scaler.scale($0) }
        let (payloads, frames) = try Fixtures.encode(source, lower: lower, qp: 24, temporalLayers: 1)
        let decoder = try EnhancementDecoder(parameters: EnhancementLayerParameters(width: 72, height: 54, referenceWidth: 48,
                                                                                  referenceHeight: 36, qp: 24, temporalLayers: 1))
        for i in 0..<3 { #expect(try decoder.decode(payload: payloads[i], lower: lower[i], temporalId: 0).hasSameSamples(as: frames[i])) }
        #expect(Fixtures.psnr(source, frames) > 36)
    }
}


/// The encoder prices 4x4 luma transforms in every frame of pictures of up to 396 macroblocks
/// (``MacroblockEncoder/largestPictureForLuma4x4``); in larger ones, in the frames of temporal id 0,
/// and in the frames between them only while the latest frame of temporal id 0 chose them for at
/// least half of its macroblocks with coded luma. The decoder reads either size anywhere.
@Suite struct LumaTransformChoiceTests {
    /// Per macroblock of a coded frame: 0 without luma residual, 4 with 4x4 luma transforms, 8 with 8x8
    /// (from the level kinds and signs the frame hands the layer above; a macroblock whose residual is
    /// chroma alone has kind 1 and no luma sign).
    static func lumaTransforms(_ field: MotionField) -> [Int] {
        (0..<field.levelKind.count).map { m in
            let signs = field.levelSigns[(m * CoefficientLayout.count)..<(m * CoefficientLayout.count + 256)]
            guard field.levelKind[m] != 0, signs.contains(where: { $0 != 0 }) else { return 0 }
            return field.levelKind[m] == 1 ? 4 : 8
        }
    }

    /// A 1x layer with three temporal layers over a coarse copy of `source`, coded in presentation
    /// order (temporal ids 0, 2, 1, 2, 0, ...): each frame's luma transforms, and whether the decoder
    /// reproduced every frame.
    static func code(_ source: [Frame]) throws -> (transforms: [[Int]], decodedAlike: Bool) {
        let width = source[0].width, height = source[0].height
        let scaler = try Scaler(from: width / 2, height / 2, to: width, height)
        let lower = source.map { scaler.scale(Fixtures.lowerLayer($0, step: 24)) }
        let parameters = EnhancementLayerParameters(width: width, height: height, referenceWidth: width, referenceHeight: height,
                                                    qp: 18, temporalLayers: 3)
        let encoder = try EnhancementEncoder(parameters: parameters), decoder = try EnhancementDecoder(parameters: parameters)
        var transforms: [[Int]] = [], alike = true
        for i in source.indices {
            let t = Fixtures.temporalId(i, layers: 3)
            let coded = try encoder.encode(source: source[i], lower: lower[i], temporalId: t)
            transforms.append(Self.lumaTransforms(coded.motion))
            let decoded = try decoder.decode(payload: coded.payload, lower: lower[i], temporalId: t)
            alike = alike && decoded.hasSameSamples(as: coded.reconstruction)
        }
        return (transforms, alike)
    }

    /// The share of the luma-coded macroblocks with 4x4 transforms.
    static func share(_ transforms: [Int]) -> Double {
        let coded = transforms.filter { $0 != 0 }
        return coded.isEmpty ? 0 : Double(coded.filter { $0 == 4 }.count) / Double(coded.count)
    }

    /// Sharp-edged graphics: small squares and bars one to three samples wide, moving.
    static func graphics(width: Int, height: Int, frames: Int) -> [Frame] {
        (0..<frames).map { n in
            Fixtures.frame(width: width, height: height) { x, y in
                let u = x + 2 * n, v = y + n
                return (u / 3 + v / 5) % 4 == 0 || (u % 11 < 2 && v % 7 < 4) ? 235 : 16
            }
        }
    }

    @Test func rule() {
        #expect(MacroblockEncoder.pricesLuma4x4(macroblocks: 396, temporalId: 2, recentShare: 0))
        #expect(!MacroblockEncoder.pricesLuma4x4(macroblocks: 397, temporalId: 2, recentShare: 0.49))
        #expect(MacroblockEncoder.pricesLuma4x4(macroblocks: 397, temporalId: 0, recentShare: 0))
        #expect(MacroblockEncoder.pricesLuma4x4(macroblocks: 397, temporalId: 1, recentShare: 0.5))
    }

    @Test func largerPicturesPrice4x4InTheFramesBetweenOnlyWhereTheyPaid() throws {
        // Natural-looking content at 368x288 (414 macroblocks): the frame of temporal id 0 chooses 8x8
        // transforms for most macroblocks, so the frames after it code no 4x4 luma.
        let natural = try Self.code(Fixtures.clip(width: 368, height: 288, frames: 3, noise: 3))
        #expect(natural.decodedAlike)
        #expect(Self.share(natural.transforms[0]) < MacroblockEncoder.luma4x4ShareToKeep, "share \(Self.share(natural.transforms[0]))")
        for i in 1..<3 {
            #expect(!natural.transforms[i].contains(4), "frame \(i): \(natural.transforms[i].filter { $0 == 4 }.count) with 4x4 luma")
            #expect(natural.transforms[i].contains(8))
        }
        // Graphics: 4x4 transforms win most of the frame of temporal id 0, and the frames after it use them too.
        let graphics = try Self.code(Self.graphics(width: 368, height: 288, frames: 3))
        #expect(graphics.decodedAlike)
        #expect(Self.share(graphics.transforms[0]) >= MacroblockEncoder.luma4x4ShareToKeep, "share \(Self.share(graphics.transforms[0]))")
        #expect((1..<3).contains { graphics.transforms[$0].contains(4) })
        // 352x288 (396 macroblocks) prices both in every frame: some frame between uses 4x4 luma on natural content.
        let small = try Self.code(Fixtures.clip(width: 352, height: 288, frames: 3, noise: 3))
        #expect(small.decodedAlike)
        #expect((1..<3).contains { small.transforms[$0].contains(4) })
    }
}
