import Foundation

/// Full-reference picture quality measures computed in Swift (no external tools).
public enum QualityMetrics {
    /// Sum of squared differences over the visible samples of two planes of equal size.
    public static func sumOfSquaredErrors(_ a: Plane, _ b: Plane) -> UInt64 {
        precondition(a.width == b.width && a.height == b.height, "planes differ in size")
        var total: UInt64 = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for y in 0..<a.height {
                    var row: UInt32 = 0
                    let ra = pa.baseAddress! + y * a.stride, rb = pb.baseAddress! + y * b.stride
                    for x in 0..<a.width {
                        let d = Int32(ra[x]) - Int32(rb[x])
                        row &+= UInt32(d * d)
                    }
                    total &+= UInt64(row)
                }
            }
        }
        return total
    }

    /// PSNR in dB of one plane (capped at 100 dB for identical planes).
    public static func psnr(_ a: Plane, _ b: Plane) -> Double {
        psnr(sse: sumOfSquaredErrors(a, b), samples: a.width * a.height)
    }

    /// PSNR in dB from a sum of squared errors over `samples` 8-bit samples (100 dB when zero).
    public static func psnr(sse: UInt64, samples: Int) -> Double {
        guard sse > 0 else { return 100 }
        let mse = Double(sse) / Double(samples)
        return 10 * log10(255.0 * 255.0 / mse)
    }

    /// PSNR of the luma planes of two frames of equal size.
    public static func psnrY(_ a: Frame, _ b: Frame) -> Double { psnr(a.luma, b.luma) }

    /// SSIM of two planes of equal size (8x8 windows on a stride-4 grid, the usual constants).
    public static func ssim(_ a: Plane, _ b: Plane) -> Double {
        precondition(a.width == b.width && a.height == b.height, "planes differ in size")
        let c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255)
        var sum = 0.0
        var count = 0
        guard a.width >= 8, a.height >= 8 else { return a.hasSameSamples(as: b) ? 1 : 0 }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var y = 0
                while y + 8 <= a.height {
                    var x = 0
                    while x + 8 <= a.width {
                        var sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0
                        for j in 0..<8 {
                            let ra = pa.baseAddress! + (y + j) * a.stride + x
                            let rb = pb.baseAddress! + (y + j) * b.stride + x
                            for i in 0..<8 {
                                let va = Int(ra[i]), vb = Int(rb[i])
                                sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb
                            }
                        }
                        let n = 64.0
                        let ma = Double(sa) / n, mb = Double(sb) / n
                        let va = Double(saa) / n - ma * ma, vb = Double(sbb) / n - mb * mb
                        let cov = Double(sab) / n - ma * mb
                        sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                        count += 1
                        x += 4
                    }
                    y += 4
                }
            }
        }
        return sum / Double(count)
    }

    /// SSIM of the luma planes of two frames.
    public static func ssimY(_ a: Frame, _ b: Frame) -> Double { ssim(a.luma, b.luma) }
}

/// Accumulates per-frame quality over a clip (PSNR from the summed error, SSIM as a mean).
public struct QualityAccumulator: Sendable {
    /// Summed squared luma error.
    public private(set) var lumaSSE: UInt64 = 0
    /// Luma samples compared.
    public private(set) var lumaSamples = 0
    /// Summed squared error of the two chroma planes (Cb, Cr).
    public private(set) var chromaSSE = SIMD2<UInt64>()
    /// Samples compared in each chroma plane.
    public private(set) var chromaSamples = 0
    /// Summed per-frame luma SSIM.
    public private(set) var ssimSum = 0.0
    /// Frames compared.
    public private(set) var frames = 0

    /// An empty accumulator.
    public init() {}

    /// Adds one frame pair; `measureSSIM` can be turned off when only PSNR is wanted.
    public mutating func add(reference: Frame, test: Frame, measureSSIM: Bool = true) {
        lumaSSE &+= QualityMetrics.sumOfSquaredErrors(reference.luma, test.luma)
        lumaSamples += reference.width * reference.height
        chromaSSE &+= SIMD2(QualityMetrics.sumOfSquaredErrors(reference.cb, test.cb), QualityMetrics.sumOfSquaredErrors(reference.cr, test.cr))
        chromaSamples += reference.cb.width * reference.cb.height
        if measureSSIM { ssimSum += QualityMetrics.ssimY(reference, test) }
        frames += 1
    }

    /// Luma PSNR over all frames (from the total error, not a mean of per-frame values).
    public var psnrY: Double { QualityMetrics.psnr(sse: lumaSSE, samples: max(lumaSamples, 1)) }
    /// Cb PSNR over all frames (from the total error). Luma-only measures (PSNR-Y, SSIM, VMAF) do
    /// not see colour, so a comparison of encoders reports it beside them.
    public var psnrCb: Double { QualityMetrics.psnr(sse: chromaSSE[0], samples: max(chromaSamples, 1)) }
    /// Cr PSNR over all frames (from the total error).
    public var psnrCr: Double { QualityMetrics.psnr(sse: chromaSSE[1], samples: max(chromaSamples, 1)) }
    /// Mean luma SSIM per frame.
    public var ssim: Double { frames == 0 ? 0 : ssimSum / Double(frames) }
}
