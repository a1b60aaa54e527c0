import StrataTestSupport
import Foundation
import Testing
@testable import StrataEnhancement

/// Every SIMD kernel against its scalar reference on seeded random input: identical output required.
@Suite struct DSPKernelTests {
    static func bytes(_ count: Int, _ random: inout SplitMix64) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }

    @Test func inverseTransformsMatch() {
        var random = SplitMix64(seed: 1)
        for trial in 0..<500 {
            let range = trial % 2 == 0 ? 64 : 1 << 14
            let c = (0..<64).map { _ in Int32(truncatingIfNeeded: Int(random.next() % UInt64(2 * range)) - range) }
            var a = [Int16](repeating: 0, count: 64), b = [Int16](repeating: 0, count: 64)
            var s1 = [Int32](repeating: 0, count: 64), s2 = [Int32](repeating: 0, count: 64)
            Transform.inverse4x4Scalar(c, &a, 8)
            Transform.inverse4x4SIMD(c, &b, 8)
            #expect(a == b)
            Transform.inverse8x8Scalar(c, &a, 8, &s1)
            Transform.inverse8x8SIMD(c, &b, 8, &s2)
            #expect(a == b)
        }
    }

    @Test func forwardTransformAndQuantizationMatchAndRoundTrip() {
        var random = SplitMix64(seed: 2)
        var c1 = [Int32](repeating: 0, count: 64), c2 = [Int32](repeating: 0, count: 64), s = [Int32](repeating: 0, count: 64)
        var l1 = [Int32](repeating: 0, count: 64), l2 = [Int32](repeating: 0, count: 64)
        var d1 = [Int32](repeating: 0, count: 64), d2 = [Int32](repeating: 0, count: 64)
        var worst = 0
        for trial in 0..<300 {
            let residual = (0..<64).map { _ in Int16(Int(random.next() % 511) - 255) }
            // The 4x4 transform of the block's top-left corner (rows 8 apart), SIMD against the reference.
            Transform.forward4x4Scalar(residual, 8, &c1)
            Transform.forward4x4SIMD(residual, 8, &c2)
            #expect(c1[0..<16] == c2[0..<16])
            Transform.forward8x8Scalar(residual, 8, &c1, &s)
            Transform.forward8x8SIMD(residual, 8, &c2, &s)
            #expect(c1 == c2)
            let qp = trial % 52
            for n in [16, 64] {
                if n == 16 { Transform.forward4x4Scalar(residual, 8, &c1) } else { Transform.forward8x8Scalar(residual, 8, &c1, &s) }
                let n1 = Quantization.quantizeScalar(c1, &l1, n, qp, 43)
                let n2 = Quantization.quantizeSIMD(c1, &l2, n, qp, 43)
                #expect(l1[0..<n] == l2[0..<n] && n1 == n2)
                Quantization.dequantizeScalar(l1, &d1, n, qp)
                Quantization.dequantizeSIMD(l1, &d2, n, qp)
                #expect(d1[0..<n] == d2[0..<n])
            }
            // At QP 0 the quantizer is fine enough that the round trip is nearly lossless.
            if qp == 0 {
                var out = [Int16](repeating: 0, count: 64)
                Transform.forward8x8Scalar(residual, 8, &c1, &s)
                Quantization.quantizeScalar(c1, &l1, 64, 0, 128)
                Quantization.dequantizeScalar(l1, &d1, 64, 0)
                Transform.inverse8x8Scalar(d1, &out, 8, &s)
                for k in 0..<64 { worst = max(worst, abs(Int(out[k]) - Int(residual[k]))) }
                Transform.forward4x4Scalar(residual, 8, &c1)
                Quantization.quantizeScalar(c1, &l1, 16, 0, 128)
                Quantization.dequantizeScalar(l1, &d1, 16, 0)
                Transform.inverse4x4Scalar(d1, &out, 8)
                for y in 0..<4 { for x in 0..<4 { worst = max(worst, abs(Int(out[y * 8 + x]) - Int(residual[y * 8 + x]))) } }
            }
        }
        #expect(worst <= 2, "largest round-trip error at QP 0: \(worst)")
    }

    @Test func interpolationMatches() {
        var random = SplitMix64(seed: 3)
        let stride = 64
        let src = Self.bytes(stride * 40, &random)
        var temp = [Int16](repeating: 0, count: 32 * 32)
        for fy in 0..<4 {
            for fx in 0..<4 {
                for (w, h) in [(16, 16), (16, 8), (32, 4), (8, 8), (8, 16)] {
                    var a = [UInt8](repeating: 0, count: 32 * 16), b = [UInt8](repeating: 0, count: 32 * 16)
                    src.withUnsafeBufferPointer { s in
                        let origin = s.baseAddress! + 3 * stride + 5
                        Interpolation.lumaScalar(origin, stride, &a, 32, w, h, fx, fy, &temp)
                        Interpolation.lumaSIMD(origin, stride, &b, 32, w, h, fx, fy, &temp)
                    }
                    #expect(a == b, "luma phase \(fx),\(fy) \(w)x\(h)")
                }
            }
        }
        for fy in 0..<8 {
            for fx in 0..<8 {
                for w in [4, 8] {
                    var a = [UInt8](repeating: 0, count: 8 * 16), b = [UInt8](repeating: 0, count: 8 * 16)
                    src.withUnsafeBufferPointer { s in
                        Interpolation.chromaScalar(s.baseAddress! + stride + 1, stride, &a, 16, w, w, fx, fy)
                        Interpolation.chromaSIMD(s.baseAddress! + stride + 1, stride, &b, 16, w, w, fx, fy)
                    }
                    #expect(a == b, "chroma phase \(fx),\(fy) width \(w)")
                }
            }
        }
    }

    /// The kernels' averaging stores (bi-prediction formed in place) against the scalar references:
    /// the block interpolated, then averaged into what the destination held, for every phase and size.
    @Test func averagingInterpolationMatches() {
        var random = SplitMix64(seed: 4)
        let stride = 64
        let src = Self.bytes(stride * 40, &random), held = Self.bytes(32 * 16, &random)
        var temp = [Int16](repeating: 0, count: 32 * 32)
        for fy in 0..<4 {
            for fx in 0..<4 {
                for (w, h) in [(16, 16), (16, 8), (32, 4), (8, 8), (8, 16)] {
                    var predicted = [UInt8](repeating: 0, count: 32 * 16), a = held, b = held
                    src.withUnsafeBufferPointer { s in
                        let origin = s.baseAddress! + 3 * stride + 5
                        Interpolation.lumaScalar(origin, stride, &predicted, 32, w, h, fx, fy, &temp)
                        Reconstruction.averageScalar(&a, 32, predicted, 32, w, h)
                        Interpolation.lumaSIMD(origin, stride, &b, 32, w, h, fx, fy, &temp, averaging: true)
                    }
                    #expect(a == b && a != held, "luma phase \(fx),\(fy) \(w)x\(h)")
                }
            }
        }
        for fy in 0..<8 {
            for fx in 0..<8 {
                for w in [4, 8] {
                    var predicted = [UInt8](repeating: 0, count: 8 * 16), a = Array(held[0..<128]), b = a
                    src.withUnsafeBufferPointer { s in
                        Interpolation.chromaScalar(s.baseAddress! + stride + 1, stride, &predicted, 16, w, w, fx, fy)
                        Reconstruction.averageScalar(&a, 16, predicted, 16, w, w)
                        Interpolation.chromaSIMD(s.baseAddress! + stride + 1, stride, &b, 16, w, w, fx, fy, averaging: true)
                    }
                    #expect(a == b && a != Array(held[0..<128]), "chroma phase \(fx),\(fy) width \(w)")
                }
            }
        }
    }

    @Test(arguments: [UpsamplingFilter.cubicHalf, .cubicThreeQuarters])
    func upsamplerPassesMatch(filter: UpsamplingFilter) {
        var random = SplitMix64(seed: 4)
        for (inW, inH, outW, outH) in [(40, 24, 80, 48), (48, 36, 72, 54), (34, 18, 68, 36), (32, 16, 32, 16)] {
            let stride = 64
            let src = Self.bytes(stride * inH, &random)
            let upsampler = Upsampler(inWidth: inW, inHeight: inH, outWidth: outW, outHeight: outH, filter: filter)
            var a = [UInt8](repeating: 0, count: 96 * outH), b = [UInt8](repeating: 0, count: 96 * outH)
            upsampler.upsample(src, stride, &a, 96, vectorized: false)
            upsampler.upsample(src, stride, &b, 96, vectorized: true)
            #expect(a == b, "\(inW)x\(inH) -> \(outW)x\(outH)")
        }
        // The 2x horizontal kernel against its scalar reference, odd widths and edges included.
        for width in [8, 13, 20, 37, 64, 161] {
            let src = Self.bytes(width + 16, &random)
            var a = [Int16](repeating: 0, count: 2 * width + 16), b = [Int16](repeating: 0, count: 2 * width + 16)
            Upsampler.horizontal2xScalar(src, &a, width, filter.phase4)
            Upsampler.horizontal2xSIMD(src, &b, width, filter.phase4)
            #expect(a == b, "2x row of \(width)")
        }
    }

    /// Every phase of both filters sums to 64; phase 0 is the identity and phase 16 - k mirrors phase k;
    /// the 2x taps are phase 4's.
    @Test func upsamplingFiltersAreNormalisedAndSymmetric() {
        for filter in [UpsamplingFilter.cubicHalf, .cubicThreeQuarters] {
            let t = filter.taps
            #expect(t.count == 64)
            for phase in 0..<16 { #expect(t[4 * phase..<4 * phase + 4].reduce(0, +) == 64, "phase \(phase)") }
            #expect(Array(t[0..<4]) == [0, 64, 0, 0])
            for phase in 1..<16 { #expect(Array(t[4 * phase..<4 * phase + 4]) == Array(t[4 * (16 - phase)..<4 * (16 - phase) + 4].reversed())) }
        }
        #expect(UpsamplingFilter.cubicHalf.phase4.a == -4 && UpsamplingFilter.cubicHalf.phase4.c == 14)
        #expect(UpsamplingFilter.cubicThreeQuarters.phase4.a == -7 && UpsamplingFilter.cubicThreeQuarters.phase4.c == 17)
        #expect(UpsamplingFilter(version: 7) == .cubicHalf && UpsamplingFilter(version: 8) == .cubicThreeQuarters)
    }

    @Test func upsamplerIsIdentityAtOneToOneAndKeepsFlatAreas() {
        let src = [UInt8](repeating: 77, count: 64 * 16)
        var out = [UInt8](repeating: 0, count: 64 * 32)
        Upsampler(inWidth: 16, inHeight: 16, outWidth: 32, outHeight: 32).upsample(src, 64, &out, 64)
        for y in 0..<32 { #expect(out[(y * 64)..<(y * 64 + 32)].allSatisfy { $0 == 77 }) }
        var random = SplitMix64(seed: 5)
        let noise = Self.bytes(64 * 16, &random)
        var same = [UInt8](repeating: 0, count: 64 * 16)
        Upsampler(inWidth: 64, inHeight: 16, outWidth: 64, outHeight: 16).upsample(noise, 64, &same, 64)
        #expect(same == noise)
    }

    @Test func blockMetricsMatch() {
        var random = SplitMix64(seed: 6), other = SplitMix64(seed: 60)
        for _ in 0..<100 {
            let a = Self.bytes(48 * 16, &random), b = Self.bytes(32 * 16, &random), c = Self.bytes(32 * 16, &other)
            for (w, h) in [(16, 16), (8, 8), (16, 8), (32, 8), (8, 16), (4, 4), (24, 16), (8, 12), (24, 4)] {
                if w % 16 == 0 || w == 8 {
                    #expect(BlockMetrics.sadScalar(a, 48, b, 32, w, h) == BlockMetrics.sadSIMD(a, 48, b, 32, w, h))
                    // The SAD to the rounded average of b and c (rows 32 apart): the scalar reference,
                    // the SIMD kernel, and the SAD of the average formed first agree.
                    let toAverage = BlockMetrics.sadToAverageScalar(a, 48, b, c, 32, w, h)
                    #expect(BlockMetrics.sadToAverageSIMD(a, 48, b, c, 32, w, h) == toAverage)
                    var averaged = b
                    Reconstruction.averageScalar(&averaged, 32, c, 32, w, h)
                    #expect(BlockMetrics.sadScalar(a, 48, averaged, 32, w, h) == toAverage)
                }
                #expect(BlockMetrics.satdScalar(a, 48, b, 32, w, h) == BlockMetrics.satdSIMD(a, 48, b, 32, w, h))
                if w % 8 == 0 {
                    #expect(BlockMetrics.sseScalar(a, 48, b, 32, w, h) == BlockMetrics.sseSIMD(a, 48, b, 32, w, h))
                }
                if w == 8 || w == 16 {
                    #expect(BlockMetrics.largestSAD4x4Scalar(a, 48, b, 32, w, h) == BlockMetrics.largestSAD4x4SIMD(a, 48, b, 32, w, h))
                }
            }
        }
    }

    /// The residual magnitude sum the encoder's zero test uses, on random residuals and at the extremes
    /// (-255 and 255 everywhere: 4080, the largest its 16-bit sum holds); and the any-level test.
    @Test func residualMagnitudesAndNonzeroTestMatch() {
        var random = SplitMix64(seed: 12)
        for _ in 0..<200 {
            let block = (0..<(4 * 24)).map { _ in Int16(truncatingIfNeeded: Int(random.next() % 511) - 255) }
            #expect(BlockMetrics.sumOfMagnitudes4x4SIMD(block, 24) == BlockMetrics.sumOfMagnitudes4x4Scalar(block, 24))
        }
        for value: Int16 in [-255, 255, 0] {
            let block = [Int16](repeating: value, count: 16)
            #expect(BlockMetrics.sumOfMagnitudes4x4SIMD(block, 4) == 16 * Int(value.magnitude))
        }
        for n in [16, 64] {
            var levels = [Int32](repeating: 0, count: n)
            #expect(!MacroblockWriter.hasNonzero(levels, n))
            for k in 0..<n {
                for value: Int32 in [1, -1, Int32.min] {
                    levels[k] = value
                    #expect(MacroblockWriter.hasNonzero(levels, n), "level \(value) at \(k) of \(n)")
                    levels[k] = 0
                }
            }
        }
    }

    /// The largest differences (0 against 255 in a checkerboard, the largest transform output)
    /// must not overflow the SIMD SATD's 16-bit lanes.
    @Test func metricsOfExtremeBlocksMatch() {
        let a = (0..<(32 * 32)).map { UInt8(($0 / 32 + $0 % 32) % 2 == 0 ? 255 : 0) }
        let b = a.map { 255 - $0 }, flat = [UInt8](repeating: 0, count: 32 * 32)
        for (w, h) in [(16, 16), (8, 8), (32, 32), (16, 8)] {
            #expect(BlockMetrics.satdScalar(a, 32, b, 32, w, h) == BlockMetrics.satdSIMD(a, 32, b, 32, w, h))
            #expect(BlockMetrics.satdScalar(a, 32, flat, 32, w, h) == BlockMetrics.satdSIMD(a, 32, flat, 32, w, h))
            #expect(BlockMetrics.satdScalar(b, 32, a, 32, w, h) == BlockMetrics.satdSIMD(b, 32, a, 32, w, h))
        }
        // SAD at its largest: every difference 255, in blocks up to 64x32.
        let white = [UInt8](repeating: 255, count: 64 * 32)
        for (w, h) in [(16, 16), (8, 8), (32, 32), (8, 128 / 4), (64, 32)] {
            let stride = max(w, 8)
            #expect(BlockMetrics.sadSIMD(white, stride, flat + flat, stride, w, h) == 255 * w * h, "\(w)x\(h)")
            #expect(BlockMetrics.sadSIMD(flat + flat, stride, white, stride, w, h) == 255 * w * h, "\(w)x\(h)")
            #expect(BlockMetrics.sseSIMD(white, stride, flat + flat, stride, w, h) == 255 * 255 * w * h, "\(w)x\(h)")
        }
    }

    /// The AC energy of an 8x8 area: the 4x4 Hadamard SATD against a zero block less the four DC
    /// coefficients (the samples' sum); zero for flat areas.
    @Test func hadamardACEnergyMatches() {
        var random = SplitMix64(seed: 11)
        let flat = [UInt8](repeating: 0, count: 64)
        for trial in 0..<200 {
            // Half of the areas random samples, half only 0 and 255 (the largest coefficients).
            let a = trial < 100 ? Self.bytes(24 * 8, &random) : Self.bytes(24 * 8, &random).map { $0 & 1 == 0 ? 0 : 255 }
            let expected = BlockMetrics.satdScalar(a, 24, flat, 8, 8, 8) - (0..<8).reduce(0) { s, y in s + a[(y * 24)..<(y * 24 + 8)].reduce(0) { $0 + Int($1) } }
            #expect(BlockMetrics.hadamardACEnergy8x8Scalar(a, 24) == expected)
            #expect(BlockMetrics.hadamardACEnergy8x8(a, 24) == expected)
        }
        for value in [0, 17, 255] as [UInt8] {
            #expect(BlockMetrics.hadamardACEnergy8x8([UInt8](repeating: value, count: 64), 8) == 0)
            #expect(BlockMetrics.hadamardACEnergy8x8Scalar([UInt8](repeating: value, count: 64), 8) == 0)
        }
        let checker = (0..<64).map { UInt8(($0 / 8 + $0 % 8) % 2 == 0 ? 255 : 0) }
        #expect(BlockMetrics.hadamardACEnergy8x8(checker, 8) == BlockMetrics.satdScalar(checker, 8, flat, 8, 8, 8) - 255 * 32)
    }

    @Test func reconstructionKernelsMatch() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<100 {
            let src = Self.bytes(32 * 16, &random), pred = Self.bytes(32 * 16, &random)
            let residual = (0..<(16 * 16)).map { _ in Int16(Int(random.next() % 1001) - 500) }
            var r1 = [Int16](repeating: 0, count: 256), r2 = [Int16](repeating: 0, count: 256)
            Reconstruction.residualScalar(src, 32, pred, 32, &r1, 16, 16, 16)
            Reconstruction.residualSIMD(src, 32, pred, 32, &r2, 16, 16, 16)
            #expect(r1 == r2)
            for w in [4, 8, 16] {
                var o1 = [UInt8](repeating: 0, count: 256), o2 = [UInt8](repeating: 0, count: 256)
                Reconstruction.addClipScalar(pred, 32, residual, 16, &o1, 16, w, w)
                Reconstruction.addClipSIMD(pred, 32, residual, 16, &o2, 16, w, w)
                #expect(o1 == o2, "add and clip width \(w)")
            }
            for (w, h) in [(16, 16), (8, 8), (24, 8), (32, 4)] {
                var a1 = src, a2 = src
                Reconstruction.averageScalar(&a1, 32, pred, 32, w, h)
                Reconstruction.averageSIMD(&a2, 32, pred, 32, w, h)
                #expect(a1 == a2, "average \(w)x\(h)")
            }
        }
        // The rounded average at the extremes of its bytes.
        for (p, q) in [(255, 255), (255, 0), (0, 255), (254, 255), (0, 1), (0, 0)] as [(UInt8, UInt8)] {
            var a = [UInt8](repeating: p, count: 32 * 2)
            Reconstruction.averageSIMD(&a, 32, [UInt8](repeating: q, count: 32 * 2), 32, 24, 2)
            #expect(a[0] == UInt8((Int(p) + Int(q) + 1) / 2) && a[16] == a[0] && a[24] == p, "average of \(p) and \(q)")
        }
    }

    @Test func rangeCoderRoundTripsAdaptiveAndBypassBins() {
        var random = SplitMix64(seed: 8)
        let count = 20000
        let bins = (0..<count).map { i -> Int in
            let r = random.next()
            // Skewed contexts, so the coder must adapt, mixed with bypass bins.
            return i % 5 == 4 ? Int(r & 1) : (r % 100 < UInt64(10 + 20 * (i % 4)) ? 1 : 0)
        }
        var lengths: [Bool: Int] = [:]
        for short in [false, true] {
            let bytes = Self.rangeCoded(bins, short: short)
            lengths[short] = bytes.count
            // Within 3% of the empirical entropy of the four contexts plus one bit per bypass bin.
            var entropyBits = Double(count / 5)
            for context in 0..<4 {
                let coded = bins.enumerated().filter { $0.offset % 5 != 4 && $0.offset % 4 == context }.map(\.element)
                let p = Double(coded.filter { $0 == 1 }.count) / Double(coded.count)
                entropyBits += Double(coded.count) * -(p * log2(p) + (1 - p) * log2(1 - p))
            }
            #expect(Double(bytes.count) < entropyBits / 8 * 1.03, "\(bytes.count) bytes for \(entropyBits / 8) bytes of entropy")
            #expect(Self.rangeDecodes(bins, bytes, padding: short ? 3 : 0), "the decoder reads exactly the payload and its padding")
        }
        #expect(lengths[false]! - lengths[true]! == 3)
    }

    @Test func shortFlushEndsEveryPayloadThreeBytesBeforeTheDecodersLastRead() {
        // Payloads of 0 to 60 bins of every skew, where the flush's carries and runs of 0xFF bytes meet the end.
        var random = SplitMix64(seed: 12)
        var undetected = 0, undetectedLong = 0
        for trial in 0..<3000 {
            let n = trial % 61, skew = random.next() % 100
            let bins = (0..<n).map { i -> Int in i % 7 == 6 ? Int(random.next() & 1) : (random.next() % 100 < skew ? 1 : 0) }
            let bytes = Self.rangeCoded(bins, short: true)
            #expect(Self.rangeDecodes(bins, bytes, padding: 3), "trial \(trial): \(n) bins, skew \(skew)")
            #expect(bytes.count == Self.rangeCoded(bins, short: false).count - 3)
            // A zero byte more decodes the same bins, and is caught as a payload that does not end whole.
            #expect(!Self.rangeDecodes(bins, bytes + [0], padding: 3, checkingBins: false))
            // One byte fewer is caught as an overrun or an end elsewhere, unless its zero happens to decode
            // to final bins that renormalise one byte less and end below 2^24 (counted: 42 of these 3000;
            // the long flush's payloads, read to their last byte, never).
            if !bytes.isEmpty && Self.rangeDecodes(bins, Array(bytes.dropLast()), padding: 3, checkingBins: false) { undetected += 1 }
            let long = Self.rangeCoded(bins, short: false)
            if Self.rangeDecodes(bins, Array(long.dropLast()), padding: 0, checkingBins: false) { undetectedLong += 1 }
        }
        #expect(undetected <= 60 && undetectedLong == 0, "\(undetected) and \(undetectedLong) cuts decoded as whole payloads")
    }

    @Test func contextCostsFollowTheStatesAsBinsAreCoded() {
        // The writer keeps the costs the encoder's estimates read in step with the states it adapts:
        // after skewed bins in a few contexts, every context's costs are those of its state now, and a
        // bin costs -log2 of its probability (to the table's 1/256 bit).
        var random = SplitMix64(seed: 31)
        var states = ContextStates().states
        let costs = states.withUnsafeBufferPointer { ContextCosts(states: $0.baseAddress!) }
        // P = 1/2: a bit either way (255/256, the table's value at the centre of its bin 128).
        #expect(costs.values[2 * ContextIndex.skip] == 255 && costs.values[2 * ContextIndex.skip + 1] == 255)
        states.withUnsafeMutableBufferPointer { s in
            var writer = ArithmeticBinWriter(encoder: RangeEncoder(capacity: 1024), states: s.baseAddress!, costs: costs.values)
            for i in 0..<2000 { writer.bin(random.next() % 10 < 9 ? 0 : 1, ContextIndex.residual + i % 7) }
        }
        let fresh = states.withUnsafeBufferPointer { ContextCosts(states: $0.baseAddress!) }
        var same = true
        for k in 0..<(2 * ContextIndex.count) where costs.values[k] != fresh.values[k] { same = false }
        #expect(same)
        for context in ContextIndex.residual..<(ContextIndex.residual + 7) {
            let p0 = Double(ContextStates.probabilityOfZero(states[context])) / 32768
            #expect(abs(Double(costs.values[2 * context]) / 256 + log2(p0)) < 0.02, "context \(context)")
            #expect(abs(Double(costs.values[2 * context + 1]) / 256 + log2(1 - p0)) < 0.1, "context \(context)")
            var estimator = RateEstimator(costs: costs.values)
            estimator.bin(0, context)
            estimator.bin(1, context)
            estimator.bypass(1)
            #expect(estimator.cost == Int(costs.values[2 * context] + costs.values[2 * context + 1]) + 256)
        }
        // A skewed context's likely value costs well under a bit, its unlikely one well over.
        #expect(costs.values[2 * ContextIndex.residual] < 64 && costs.values[2 * ContextIndex.residual + 1] > 512)
    }

    /// `bins` coded with four adaptive contexts (every fifth bin... or every seventh, bypass), flushed short or long.
    static func rangeCoded(_ bins: [Int], short: Bool) -> [UInt8] {
        var encoder = RangeEncoder(capacity: 1024)
        var states = ContextStates().states
        states.withUnsafeMutableBufferPointer { s in
            for (i, bin) in bins.enumerated() {
                if i % 5 == 4 { encoder.encodeBypass(bin) } else { encoder.encode(bin, &s[i % 4]) }
            }
        }
        encoder.finish(short: short)
        return encoder.bytes
    }

    /// Whether `bytes` decode to `bins` (unless not `checkingBins`) with the decoder ending whole, without overrun.
    static func rangeDecodes(_ bins: [Int], _ bytes: [UInt8], padding: Int, checkingBins: Bool = true) -> Bool {
        var states = ContextStates().states
        return (bytes + [0]).withUnsafeBufferPointer { b in
            var decoder = RangeDecoder(data: b.baseAddress!, count: bytes.count, start: 0, padding: padding)
            var same = true
            states.withUnsafeMutableBufferPointer { s in
                for (i, bin) in bins.enumerated() {
                    let value = i % 5 == 4 ? decoder.decodeBypass() : decoder.decode(&s[i % 4])
                    if value != bin { same = false }
                }
            }
            return (same || !checkingBins) && !decoder.overrun && decoder.endsWhole
        }
    }

    /// Runs a zero bound over `rounds` residual blocks of `size` x `size` (QP and spread drawn per
    /// round, spread up to `spreads`, samples from `fill`), transforming and quantizing each with the
    /// scalar references. Counts the blocks the bound clears, those among them with a nonzero level,
    /// and the blocks that quantize to zero.
    private func zeroBoundTally(size: Int, seed: UInt64, spreads: Int, bound: (Int, Int) -> Bool,
                                fill: (inout [Int16], Int, Int, inout SplitMix64) -> Void) -> (cleared: Int, clearedButNonzero: Int, zeroTotal: Int) {
        let count = size * size
        var random = SplitMix64(seed: seed)
        var residual = [Int16](repeating: 0, count: count), coefficients = [Int32](repeating: 0, count: count)
        var levels = [Int32](repeating: 0, count: count), scratch = [Int32](repeating: 0, count: 64)
        var cleared = 0, clearedButNonzero = 0, zeroTotal = 0
        for round in 0..<20000 {
            let qp = Int(random.next() % 52), spread = 1 + Int(random.next() % UInt64(1 + round % spreads))
            fill(&residual, round, spread, &random)
            let magnitude = residual.reduce(0) { $0 + Int($1.magnitude) }
            residual.withUnsafeBufferPointer { r in
                coefficients.withUnsafeMutableBufferPointer { c in
                    scratch.withUnsafeMutableBufferPointer {
                        if size == 4 { Transform.forward4x4Scalar(r.baseAddress!, 4, c.baseAddress!) } else {
                            Transform.forward8x8Scalar(r.baseAddress!, 8, c.baseAddress!, $0.baseAddress!)
                        }
                    }
                }
            }
            let nonzero = coefficients.withUnsafeBufferPointer { c in
                levels.withUnsafeMutableBufferPointer { Quantization.quantizeScalar(c.baseAddress!, $0.baseAddress!, count, qp, MacroblockEncoder.deadZone) }
            }
            if nonzero == 0 { zeroTotal += 1 }
            if bound(magnitude, qp) {
                cleared += 1
                if nonzero != 0 { clearedButNonzero += 1 }
            }
        }
        return (cleared, clearedButNonzero, zeroTotal)
    }

    @Test("a 4x4 block the zero bound clears really quantizes to zero, and the bound clears small blocks")
    func zeroBlockBoundIsSound() {
        let (cleared, clearedButNonzero, zeroTotal) = zeroBoundTally(
            size: 4, seed: 404, spreads: 40,
            bound: { Quantization.quantizesToZero4x4(sumOfMagnitudes: $0, qp: $1, deadZone: MacroblockEncoder.deadZone) },
            fill: { residual, _, spread, random in
                for k in 0..<16 { residual[k] = Int16(Int(random.next() % UInt64(2 * spread + 1)) - spread) }
            })
        #expect(clearedButNonzero == 0, "the bound must never clear a block with a nonzero level")
        #expect(cleared > zeroTotal / 5, "the bound clears a useful share of the empty blocks (\(cleared) of \(zeroTotal))")
    }

    @Test("an 8x8 block the zero bound clears really quantizes to zero, also for single samples and basis-shaped residuals")
    func zeroBlockBound8x8IsSound() {
        let (cleared, clearedButNonzero, zeroTotal) = zeroBoundTally(
            size: 8, seed: 808, spreads: 24,
            bound: { Quantization.quantizesToZero8x8(sumOfMagnitudes: $0, qp: $1, deadZone: MacroblockEncoder.deadZone) },
            fill: { residual, round, spread, random in
                if round % 4 == 0 {
                    // The signs of one basis function, scaled: the residuals that load one coefficient most.
                    let k = Int(random.next() % 8), j = Int(random.next() % 8)
                    let rk = Transform.basisRow(k), rj = Transform.basisRow(j)
                    for n in 0..<64 { residual[n] = Int16((rk[n / 8] < 0) == (rj[n % 8] < 0) ? spread : -spread) }
                } else if round % 4 == 1 {
                    // One sample: the bound is reached where two basis rows both have their largest weight.
                    residual = [Int16](repeating: 0, count: 64)
                    residual[Int(random.next() % 64)] = Int16(Int(random.next() % 401) - 200)
                } else {
                    for n in 0..<64 { residual[n] = Int16(Int(random.next() % UInt64(2 * spread + 1)) - spread) }
                }
            })
        #expect(clearedButNonzero == 0, "the bound must never clear a block with a nonzero level")
        #expect(cleared > zeroTotal / 10, "the bound clears a useful share of the empty blocks (\(cleared) of \(zeroTotal))")
    }
}
