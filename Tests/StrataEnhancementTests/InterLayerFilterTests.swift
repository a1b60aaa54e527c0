import StrataCore
import StrataTestSupport
import Testing
@testable import StrataEnhancement

/// Version 8's inter-layer filter: its header bytes, its arithmetic, the encoder's fit, and the decoder
/// following the encoder where frames carry one.
@Suite struct InterLayerFilterTests {
    static let digest = "86e8bdc53ae94c90089b69eb196eef55"

    @Test func theHeaderCarriesTheFilterFromVersion8() throws {
        let filter = InterLayerFilter(coefficients: [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12])
        let header = FrameHeader(hasReference: true, qpDelta: -3, filter: filter, version: 8)
        let bytes = header.serialized()
        #expect(bytes.count == 14 && header.byteCount == 14 && bytes[0] == 5)
        let parsed = try bytes.withUnsafeBufferPointer { try FrameHeader(payload: $0, layerQP: 30, version: 8) }
        #expect(parsed == header)
        // Version 7 has no such flag; a filter cut short is a truncated payload.
        #expect(throws: EnhancementError.invalidSyntax(element: "reserved_flags", macroblock: -1, offset: 0)) {
            try bytes.withUnsafeBufferPointer { try FrameHeader(payload: $0, layerQP: 30, version: 7) }
        }
        #expect(throws: EnhancementError.truncatedPayload(offset: 9)) {
            try Array(bytes.prefix(9)).withUnsafeBufferPointer { try FrameHeader(payload: $0, layerQP: 30, version: 8) }
        }
    }

    @Test func version9CodesTheQPDifferenceInTheFlagsByte() throws {
        let filter = InterLayerFilter(coefficients: [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12])
        for delta in -30...21 {
            for f in [nil, filter] {
                let header = FrameHeader(hasReference: true, hasBackward: delta & 1 == 0, qpDelta: delta, filter: f, version: 9)
                let bytes = header.serialized()
                // One byte for -15...15 (qp_code = delta + 15 above the three flags), else qp_code 31 and a byte.
                let short = (-15...15).contains(delta)
                #expect(bytes.count == (short ? 1 : 2) + (f == nil ? 0 : 12) && header.byteCount == bytes.count)
                #expect(bytes[0] >> 3 == (short ? UInt8(delta + 15) : 31))
                #expect(try bytes.withUnsafeBufferPointer { try FrameHeader(payload: $0, layerQP: 30, version: 9) } == header)
                #expect(throws: EnhancementError.truncatedPayload(offset: bytes.count - 1)) {
                    try Array(bytes.dropLast()).withUnsafeBufferPointer { try FrameHeader(payload: $0, layerQP: 30, version: 9) }
                }
                // The same frame in version 8's layout: always two bytes before the filter.
                var old = header
                old.version = 8
                #expect(old.serialized().count == 2 + (f == nil ? 0 : 12))
            }
        }
        // A QP outside 0...51 is refused where its difference is read.
        #expect(throws: EnhancementError.invalidSyntax(element: "qp_delta", macroblock: -1, offset: 0)) {
            try [UInt8(1 | 0 << 3)].withUnsafeBufferPointer { try FrameHeader(payload: $0, layerQP: 10, version: 9) }
        }
    }

    /// Flat areas pass unchanged (the taps sum to 64); all-zero coefficients are the identity; the
    /// edges read clamped samples.
    @Test func theFilterKeepsFlatAreasAndItsIdentity() {
        var random = SplitMix64(seed: 8)
        let (w, h) = (24, 20)
        let noise = (0..<(w * h)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let flat = [UInt8](repeating: 93, count: w * h)
        var out = [UInt8](repeating: 0, count: 16 * 16)
        let sharpen = InterLayerFilter(coefficients: [0, 0, -1, 0, 0, 0, -2, -6, -2, 0, -1, -6])
        sharpen.filter(flat, w, x0: 8, y0: 4, width: w, height: h, size: 16, into: &out, 16)
        #expect(out.allSatisfy { $0 == 93 })
        InterLayerFilter(coefficients: [Int8](repeating: 0, count: 12)).filter(noise, w, x0: 8, y0: 4, width: w, height: h, size: 16,
                                                                               into: &out, 16)
        #expect((0..<16).allSatisfy { r in Array(out[r * 16..<r * 16 + 16]) == Array(noise[(r + 4) * w + 8..<(r + 4) * w + 24]) })
        // At the corner, a horizontal pair (-1, 0)/(1, 0) reads the edge sample for the one outside.
        let pair = InterLayerFilter(coefficients: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16])
        var corner: UInt8 = 0
        pair.filter(noise, w, x0: 0, y0: 0, width: w, height: h, size: 1, into: &corner, 1)
        let expected = (32 * Int32(noise[0]) + 16 * (Int32(noise[0]) + Int32(noise[1])) + 32) >> 6
        #expect(Int32(corner) == expected)
    }

    /// The SIMD kernel against the scalar reference on random samples and coefficients, inside the
    /// picture and at its edges: coefficients of a fitted filter's size, of the whole 8-bit range, and
    /// the extremes, over noise and over samples of 0 and 255 alone (the largest differences, which
    /// the kernel's 16-bit partial sums must hold).
    @Test func theSIMDFilterMatchesTheScalarReference() {
        var random = SplitMix64(seed: 9)
        let (w, h) = (64, 48)
        let noise = (0..<(w * h)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let extremes = (0..<(w * h)).map { _ in random.next() & 1 == 0 ? UInt8(0) : 255 }
        var sets = (0..<20).map { _ in (0..<12).map { _ in Int8(truncatingIfNeeded: random.next() % 41) - 20 } }
        sets += (0..<20).map { _ in (0..<12).map { _ in Int8(truncatingIfNeeded: random.next()) } }
        sets += [[Int8](repeating: -128, count: 12), [Int8](repeating: 127, count: 12), (0..<12).map { $0 & 1 == 0 ? -128 : 127 }]
        // Magnitudes summing to 64 or less (the kernel's 16-bit path), up to the bound: one coefficient
        // of 64, twelve of 5 or 6, and sets of a fitted filter's size.
        sets += [[64] + [Int8](repeating: 0, count: 11), [0, 0, 0, 0, 0, 0, 0, -64, 0, 0, 0, 0],
                 (0..<12).map { $0 < 4 ? ($0 & 1 == 0 ? 6 : -6) : ($0 & 1 == 0 ? -5 : 5) },
                 (0..<12).map { $0 < 4 ? -6 : -5 }, [6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5]]
        sets += (0..<20).map { _ in (0..<12).map { _ in Int8(truncatingIfNeeded: random.next() % 11) - 5 } }
        for coefficients in sets {
            let filter = InterLayerFilter(coefficients: coefficients)
            for samples in [noise, extremes] {
                for (x0, y0) in [(16, 16), (32, 16), (0, 0), (48, 32), (16, 32), (2, 2)] {
                    var a = [UInt8](repeating: 0, count: 256), b = [UInt8](repeating: 1, count: 256)
                    filter.filter(samples, w, x0: x0, y0: y0, width: w, height: h, size: 16, into: &a, 16)
                    filter.filter16SIMD(samples, w, x0: x0, y0: y0, width: w, height: h, into: &b, 16)
                    #expect(a == b, "block at \(x0),\(y0), coefficients \(coefficients)")
                }
            }
        }
    }

    /// A prediction blurred from the source: the fitted filter sharpens it, closer to the source.
    @Test func theFitUndoesABlur() throws {
        let source = Fixtures.clip(width: 96, height: 64, frames: 1, noise: 0)[0]
        let (w, h) = (source.width, source.height)
        let luma = source[plane: 0]
        var blurred = [UInt8](repeating: 0, count: w * h), original = [UInt8](repeating: 0, count: w * h)
        luma.withUnsafeBufferPointer { p in
            for y in 0..<h {
                for x in 0..<w {
                    original[y * w + x] = p[y * luma.stride + x]
                    var s = 0
                    for dy in -1...1 { for dx in -1...1 { s += Int(p[min(max(y + dy, 0), h - 1) * luma.stride + min(max(x + dx, 0), w - 1)]) } }
                    blurred[y * w + x] = UInt8((s + 4) / 9)
                }
            }
        }
        let filter = try #require(InterLayerFilter.fit(source: original, sourceStride: w, prediction: blurred, predictionStride: w,
                                                       width: w, height: h, lambda: 1))
        var sharpened = [UInt8](repeating: 0, count: w * h)
        for y in stride(from: 0, to: h, by: 16) {
            for x in stride(from: 0, to: w, by: 16) {
                filter.filter(blurred, w, x0: x, y0: y, width: w, height: h, size: 16, into: &sharpened[y * w + x], w)
            }
        }
        func sse(_ a: [UInt8]) -> Int { zip(a, original).reduce(0) { $0 + (Int($1.0) - Int($1.1)) * (Int($1.0) - Int($1.1)) } }
        #expect(sse(sharpened) * 10 < sse(blurred) * 9)
        // Nothing to undo: no filter.
        #expect(InterLayerFilter.fit(source: original, sourceStride: w, prediction: original, predictionStride: w,
                                     width: w, height: h, lambda: 1) == nil)
    }

    /// The fit's SIMD sums against the scalar reference's: the same normal equations and held-out
    /// errors, to the last bit, so the same filter, on pictures whose rows end inside an eight-sample
    /// step and whose sizes leave strips outside the 16x16 blocks; samples of 0 and 255 give the
    /// largest products the lanes must hold exactly.
    @Test func theSIMDFitMatchesTheScalarReference() throws {
        var random = SplitMix64(seed: 21)
        // (640x256: about 4,900 steps of eight samples, more than the SIMD sums' flushSteps.)
        for (w, h, extremes) in [(96, 64, false), (70, 38, false), (37, 29, false), (133, 51, true), (20, 20, true), (640, 256, true)] {
            let sample = { extremes ? (random.next() & 1 == 0 ? UInt8(0) : 255) : UInt8(truncatingIfNeeded: random.next() % 64 + 96) }
            let source = (0..<(w * h)).map { _ in sample() }
            // A blurred, offset copy of the source: a prediction a filter can improve.
            let prediction = (0..<(w * h)).map { i -> UInt8 in
                let x = i % w, y = i / w
                return UInt8((Int(source[y * w + max(x - 1, 0)]) + 2 * Int(source[i]) + Int(source[y * w + min(x + 1, w - 1)]) + 2) / 4)
            }
            let n = InterLayerFilter.offsets.count
            var a0 = [Double](repeating: 0, count: n * n), b0 = [Double](repeating: 0, count: n)
            var a1 = a0, b1 = b0
            InterLayerFilter.accumulateScalar(&a0, &b0, source: source, sourceStride: w, prediction: prediction, predictionStride: w,
                                              width: w, height: h)
            InterLayerFilter.accumulateSIMD(&a1, &b1, source: source, sourceStride: w, prediction: prediction, predictionStride: w,
                                            width: w, height: h)
            #expect(a0 == a1 && b0 == b1, "\(w)x\(h)")
            #expect(a0.contains { $0 != 0 })
            let filter = InterLayerFilter(coefficients: (0..<12).map { _ in Int8(truncatingIfNeeded: random.next() % 41) - 20 })
            let scalar = InterLayerFilter.heldOutErrorsScalar(filter, source: source, sourceStride: w, prediction: prediction,
                                                              predictionStride: w, width: w, height: h)
            let vectorized = InterLayerFilter.heldOutErrorsSIMD(filter, source: source, sourceStride: w, prediction: prediction,
                                                                predictionStride: w, width: w, height: h)
            #expect(scalar.before == vectorized.before && scalar.after == vectorized.after, "\(w)x\(h)")
            #expect(scalar.before > 0)
            let fitted = InterLayerFilter.fit(source: source, sourceStride: w, prediction: prediction, predictionStride: w,
                                              width: w, height: h, lambda: 1)
            #expect(fitted == InterLayerFilter.fit(source: source, sourceStride: w, prediction: prediction, predictionStride: w,
                                                   width: w, height: h, lambda: 1, vectorized: false))
            #expect(extremes || fitted != nil, "\(w)x\(h): the blur is worth undoing")
        }
    }

    /// A 2x layer over a coarse picture and a 1x layer over it: frames of temporal id 0 carry a filter,
    /// and the decoders (the 2x one forming its upsampled prediction a macroblock row at a time; the 1x
    /// one given the frames or reading the lower decoder in place) rebuild the encoder's pictures.
    @Test func filteredFramesDecodeToTheEncodersPictures() throws {
        let source = Fixtures.clip(width: 96, height: 64, frames: 5, noise: 0)
        let lowerParameters = EnhancementLayerParameters(width: 96, height: 64, referenceWidth: 48, referenceHeight: 32, qp: 36,
                                                         temporalLayers: 2)
        let parameters = EnhancementLayerParameters(width: 96, height: 64, referenceWidth: 96, referenceHeight: 64, qp: 24,
                                                    temporalLayers: 2, interLayerMotion: true)
        let lowerEncoder = try EnhancementEncoder(parameters: lowerParameters), encoder = try EnhancementEncoder(parameters: parameters)
        let base = source.map { Fixtures.lowerLayer($0, step: 24) }
        var lower: [EncodedEnhancementFrame] = [], top: [EncodedEnhancementFrame] = []
        for i in source.indices {
            lower.append(try lowerEncoder.encode(source: source[i], lower: base[i], temporalId: i % 2))
            top.append(try encoder.encode(source: source[i], lower: lower[i].reconstruction, lowerMotion: lower[i].motion, temporalId: i % 2))
        }
        #expect(top.contains { $0.payload[0] & 4 != 0 })

        #expect(top.enumerated().allSatisfy { $0.offset % 2 == 0 || $0.element.payload[0] & 4 == 0 })
        // The decoded pictures never change silently (the decoder's filter arithmetic pinned).
        #expect(MD5.hex(top.flatMap { $0.reconstruction.packedI420() }) == Self.digest)
        let decoder = try EnhancementDecoder(parameters: parameters)
        let lowerDecoder = try EnhancementDecoder(parameters: lowerParameters), inPlace = try EnhancementDecoder(parameters: parameters)
        for i in source.indices {
            let frame = try decoder.decode(payload: top[i].payload, lower: lower[i].reconstruction, lowerMotion: lower[i].motion,
                                           temporalId: i % 2)
            #expect(frame.hasSameSamples(as: top[i].reconstruction), "frame \(i)")
            try lowerDecoder.decodeFrame(payload: lower[i].payload, lower: base[i], temporalId: i % 2)
            #expect(try #require(lowerDecoder.decodedFrame()).hasSameSamples(as: lower[i].reconstruction), "2x frame \(i)")
            try inPlace.decodeFrame(payload: top[i].payload, over: lowerDecoder, temporalId: i % 2)
            #expect(try #require(inPlace.decodedFrame()).hasSameSamples(as: top[i].reconstruction), "frame \(i) in place")
        }        // A finer 2x layer over the same coarse pictures filters too, and its decoder, forming the upsampled
        // prediction a macroblock row at a time, follows.
        var finer = lowerParameters
        finer.qp = 26
        let finerEncoder = try EnhancementEncoder(parameters: finer), finerDecoder = try EnhancementDecoder(parameters: finer)
        var filtered = 0
        for i in source.indices {
            let coded = try finerEncoder.encode(source: source[i], lower: base[i], temporalId: i % 2)
            if coded.payload[0] & 4 != 0 { filtered += 1 }
            #expect(try finerDecoder.decode(payload: coded.payload, lower: base[i], temporalId: i % 2).hasSameSamples(as: coded.reconstruction),
                    "2x frame \(i)")
        }
        #expect(filtered > 0)
    }
}
