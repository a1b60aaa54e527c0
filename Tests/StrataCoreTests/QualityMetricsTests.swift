import Foundation
import Testing
import StrataCore

@Suite("Quality metrics")
struct QualityMetricsTests {
    @Test("identical pictures give 100 dB and SSIM 1")
    func identical() {
        let f = SyntheticClip(width: 64, height: 64, frameCount: 1).frame(0)
        #expect(QualityMetrics.psnrY(f, f) == 100)
        #expect(abs(QualityMetrics.ssimY(f, f) - 1) < 1e-12)
    }

    @Test("a uniform error of 10 gives the PSNR of MSE 100")
    func knownPSNR() {
        let a = Frame(width: 32, height: 32, luma: 100), b = Frame(width: 32, height: 32, luma: 110)
        #expect(QualityMetrics.sumOfSquaredErrors(a.luma, b.luma) == 32 * 32 * 100)
        #expect(abs(QualityMetrics.psnrY(a, b) - 10 * log10(255.0 * 255.0 / 100)) < 1e-9)
    }

    @Test("more noise lowers PSNR and SSIM; SSIM is symmetric")
    func noiseOrdersMetrics() {
        let clean = SyntheticClip(width: 96, height: 64, frameCount: 1, seed: 4, noise: 0).frame(0)
        let light = SyntheticClip(width: 96, height: 64, frameCount: 1, seed: 4, noise: 2).frame(0)
        let heavy = SyntheticClip(width: 96, height: 64, frameCount: 1, seed: 4, noise: 12).frame(0)
        #expect(QualityMetrics.psnrY(clean, light) > QualityMetrics.psnrY(clean, heavy))
        #expect(QualityMetrics.ssimY(clean, light) > QualityMetrics.ssimY(clean, heavy))
        #expect(QualityMetrics.ssimY(clean, heavy) < 1)
        #expect(abs(QualityMetrics.ssimY(clean, heavy) - QualityMetrics.ssimY(heavy, clean)) < 1e-12)
    }

    @Test("the accumulator's PSNR comes from the summed error, not a mean of per-frame PSNR")
    func accumulatorUsesTotalError() {
        let ref = Frame(width: 16, height: 16, luma: 100)
        var acc = QualityAccumulator()
        acc.add(reference: ref, test: ref)
        acc.add(reference: ref, test: Frame(width: 16, height: 16, luma: 120))
        // Total SSE = 256*400 over 512 samples: MSE 200.
        #expect(abs(acc.psnrY - 10 * log10(255.0 * 255.0 / 200)) < 1e-9)
        #expect(acc.frames == 2)
        #expect(acc.ssim < 1 && acc.ssim > 0.4)
    }

    @Test("the accumulator measures each chroma plane apart from luma")
    func accumulatorMeasuresChroma() {
        let ref = Frame(width: 16, height: 16, luma: 100)
        var test = ref
        test.cb = Plane(width: 8, height: 8, fill: 130)
        test.cr = Plane(width: 8, height: 8, fill: 124)
        var acc = QualityAccumulator()
        acc.add(reference: ref, test: test)
        acc.add(reference: ref, test: ref)
        // Cb: error 2 on half the frames (MSE 2), Cr: error 4 (MSE 8); luma untouched.
        #expect(acc.psnrY == 100)
        #expect(abs(acc.psnrCb - 10 * log10(255.0 * 255.0 / 2)) < 1e-9)
        #expect(abs(acc.psnrCr - 10 * log10(255.0 * 255.0 / 8)) < 1e-9)
    }
}
