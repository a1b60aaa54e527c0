/// Timing of one DSP kernel, scalar reference against its SIMD twin, on the same input.
public struct KernelTiming: Sendable {
    /// Kernel and block size.
    public var name: String
    /// Nanoseconds per call of the scalar reference.
    public var scalarNanoseconds: Double
    /// Nanoseconds per call of the SIMD version.
    public var simdNanoseconds: Double
}

/// Measures the codec's hot kernels so benchmarks can report what SIMD buys, kernel by kernel.
public enum EnhancementKernels {
    /// Times every kernel pair on fixed pseudo-random input: the fastest of `repeats` runs of
    /// `iterations` calls, so that other work on the machine disturbs the figures less.
    public static func measure(iterations: Int = 2000, repeats: Int = 15) -> [KernelTiming] {
        var seed: UInt64 = 12345
        func next() -> UInt8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        let stride = 64
        let pixels = (0..<(stride * 48)).map { _ in next() }
        let other = (0..<(stride * 48)).map { _ in next() }
        let coefficients = (0..<64).map { _ in Int32(Int(next()) - 128) * 4 }
        let residual = (0..<256).map { _ in Int16(Int(next()) - 128) }
        var outBytes = [UInt8](repeating: 0, count: 16 * 16)
        var outShorts = [Int16](repeating: 0, count: 256)
        var outInts = [Int32](repeating: 0, count: 64)
        var scratch = [Int32](repeating: 0, count: 64)
        var temp = [Int16](repeating: 0, count: 32 * 32)
        let upsampler = Upsampler(inWidth: 160, inHeight: 24, outWidth: 320, outHeight: 48)
        let small = (0..<(160 * 24)).map { _ in next() }
        var picture = [UInt8](repeating: 0, count: 320 * 48)
        var sink = 0

        var round = 0
        func time(_ body: () -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<repeats {
                let start = ContinuousClock.now
                for i in 0..<iterations { round = i & 7; body() }
                let elapsed = ContinuousClock.now - start
                best = min(best, Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
            }
            return best / Double(iterations)
        }
        var results: [KernelTiming] = []
        func pair(_ name: String, _ scalar: () -> Void, _ simd: () -> Void) {
            results.append(KernelTiming(name: name, scalarNanoseconds: time(scalar), simdNanoseconds: time(simd)))
        }
        pixels.withUnsafeBufferPointer { p in
            other.withUnsafeBufferPointer { o in
                let src = p.baseAddress! + 3 * stride + 3, base = o.baseAddress! + 3 * stride + 3
                pair("luma MC 16x16, phase (2,1)",
                     { Interpolation.lumaScalar(src, stride, &outBytes, 16, 16, 16, 2, 1, &temp) },
                     { Interpolation.lumaSIMD(src, stride, &outBytes, 16, 16, 16, 2, 1, &temp) })
                pair("chroma MC 8x8, phase (3,5)",
                     { Interpolation.chromaScalar(src, stride, &outBytes, 16, 8, 8, 3, 5) },
                     { Interpolation.chromaSIMD(src, stride, &outBytes, 16, 8, 8, 3, 5) })
                pair("SAD 16x16", { sink &+= BlockMetrics.sadScalar(src, stride, base + round, stride, 16, 16) },
                     { sink &+= BlockMetrics.sadSIMD(src, stride, base + round, stride, 16, 16) })
                pair("SATD 16x16", { sink &+= BlockMetrics.satdScalar(src, stride, base + round, stride, 16, 16) },
                     { sink &+= BlockMetrics.satdSIMD(src, stride, base + round, stride, 16, 16) })
                pair("AC energy 8x8", { sink &+= BlockMetrics.hadamardACEnergy8x8Scalar(base + round, stride) },
                     { sink &+= BlockMetrics.hadamardACEnergy8x8(base + round, stride) })
                pair("SSE 16x16", { sink &+= BlockMetrics.sseScalar(src, stride, base + round, stride, 16, 16) },
                     { sink &+= BlockMetrics.sseSIMD(src, stride, base + round, stride, 16, 16) })
                pair("residual 16x16", { Reconstruction.residualScalar(src, stride, base + round, stride, &outShorts, 16, 16, 16) },
                     { Reconstruction.residualSIMD(src, stride, base + round, stride, &outShorts, 16, 16, 16) })
                pair("add and clip 8x8", { Reconstruction.addClipScalar(src, stride, residual, 16, &outBytes, 16, 8, 8) },
                     { Reconstruction.addClipSIMD(src, stride, residual, 16, &outBytes, 16, 8, 8) })
                pair("average 16x16", { Reconstruction.averageScalar(&outBytes, 16, base + round, stride, 16, 16) },
                     { Reconstruction.averageSIMD(&outBytes, 16, base + round, stride, 16, 16) })
                pair("SAD to average 16x16", { sink &+= BlockMetrics.sadToAverageScalar(src, stride, base + round, base + 1, stride, 16, 16) },
                     { sink &+= BlockMetrics.sadToAverageSIMD(src, stride, base + round, base + 1, stride, 16, 16) })
            }
        }
        small.withUnsafeBufferPointer { p in
            pair("2x upsampling 160x24 -> 320x48", {
                picture.withUnsafeMutableBufferPointer { upsampler.upsample(p.baseAddress!, 160, $0.baseAddress!, 320, vectorized: false) }
            }, {
                picture.withUnsafeMutableBufferPointer { upsampler.upsample(p.baseAddress!, 160, $0.baseAddress!, 320, vectorized: true) }
            })
        }
        pair("inverse 4x4", { Transform.inverse4x4Scalar(coefficients, &outShorts, 16) },
             { Transform.inverse4x4SIMD(coefficients, &outShorts, 16) })
        pair("inverse 8x8", { Transform.inverse8x8Scalar(coefficients, &outShorts, 16, &scratch) },
             { Transform.inverse8x8SIMD(coefficients, &outShorts, 16, &scratch) })
        pair("forward 4x4", { Transform.forward4x4Scalar(residual, 16, &outInts) },
             { Transform.forward4x4SIMD(residual, 16, &outInts) })
        pair("forward 8x8", { Transform.forward8x8Scalar(residual, 16, &outInts, &scratch) },
             { Transform.forward8x8SIMD(residual, 16, &outInts, &scratch) })
        pair("residual magnitudes 4x4", { sink &+= BlockMetrics.sumOfMagnitudes4x4Scalar(residual, 16) },
             { sink &+= BlockMetrics.sumOfMagnitudes4x4SIMD(residual, 16) })
        pair("quantize 8x8", { sink &+= Quantization.quantizeScalar(coefficients, &outInts, 64, 30, 43) },
             { sink &+= Quantization.quantizeSIMD(coefficients, &outInts, 64, 30, 43) })
        pair("dequantize 8x8", { Quantization.dequantizeScalar(coefficients, &outInts, 64, 30) },
             { Quantization.dequantizeSIMD(coefficients, &outInts, 64, 30) })
        // Deblocking on a smooth 80x24 patch, where every line of an edge is filtered (QP 30
        // thresholds); each call filters a row of eight edges, as a picture's filter does.
        let patchStride = 80
        var patch = (0..<(patchStride * 24)).map { UInt8(100 + ($0 * 5 + $0 / patchStride) % 7) }
        let alpha = DeblockingFilter.alpha[30], beta = DeblockingFilter.beta[30], tc0 = (beta * 2 + 4) >> 3
        patch.withUnsafeMutableBufferPointer { p in
            let rowEdges = p.baseAddress! + 8 * patchStride, columnEdges = p.baseAddress! + 8 * patchStride + 8
            pair("luma deblock, 8 horizontal edges", {
                for e in 0..<8 { DeblockingFilter.filterLuma(rowEdges + e * 8, patchStride, 1, alpha, beta, tc0) }
            }, {
                for e in 0..<8 { DeblockingFilter.filterLumaRowsSIMD(rowEdges + e * 8, patchStride, alpha, beta, tc0) }
            })
            pair("luma deblock, 8 vertical edges", {
                for e in 0..<8 { DeblockingFilter.filterLuma(columnEdges + e * 8, 1, patchStride, alpha, beta, tc0) }
            }, {
                for e in 0..<8 { DeblockingFilter.filterLumaColumnsSIMD(columnEdges + e * 8, patchStride, alpha, beta, tc0) }
            })
        }
        if sink == 42 { results[0].name += " " }
        return results
    }
}
