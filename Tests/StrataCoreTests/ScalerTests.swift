import Testing
import StrataCore

@Suite("Scaler")
struct ScalerTests {
    @Test("scaling down and up gives the requested sizes and a close round trip", arguments: ScalingFilter.allCases)
    func downUpRoundTrip(filter: ScalingFilter) throws {
        let source = SyntheticClip(width: 176, height: 144, frameCount: 1, seed: 5, noise: 0).frame(0)
        let down = try Scaler(from: 176, 144, to: 88, 72, filter: filter).scale(source)
        #expect(down.width == 88 && down.height == 72)
        #expect(down.cb.width == 44 && down.cb.height == 36)
        let up = try Scaler(from: 88, 72, to: 176, 144, filter: filter).scale(down)
        #expect(up.width == 176 && up.height == 144)
        let psnr = QualityMetrics.psnrY(source, up)
        // Halving loses the finest texture; what is left must still be a close picture.
        #expect(psnr > 24 && psnr < 60, "\(filter): round-trip PSNR-Y \(psnr) dB")
        #expect(QualityMetrics.psnr(source.cb, up.cb) > 24)
    }

    @Test("a flat picture stays flat at any size")
    func flatStaysFlat() throws {
        let flat = Frame(width: 64, height: 48, luma: 123, chroma: 77)
        for (w, h) in [(32, 24), (128, 96), (66, 50)] {
            let scaled = try Scaler(from: 64, 48, to: w, h).scale(flat)
            #expect(scaled.width == w && scaled.height == h)
            #expect(scaled.hasSameSamples(as: Frame(width: w, height: h, luma: 123, chroma: 77)), "\(w)x\(h)")
        }
    }

    @Test("lanczos keeps more detail than bilinear on a 2x round trip")
    func lanczosSharperThanBilinear() throws {
        let source = SyntheticClip(width: 176, height: 144, frameCount: 1, seed: 9, noise: 0).frame(0)
        func roundTrip(_ f: ScalingFilter) throws -> Double {
            let down = try Scaler(from: 176, 144, to: 88, 72, filter: f).scale(source)
            return QualityMetrics.psnrY(source, try Scaler(from: 88, 72, to: 176, 144, filter: f).scale(down))
        }
        #expect(try roundTrip(.lanczos) > roundTrip(.bilinear))
    }

    @Test("scaling into a reused destination gives the same picture as a fresh one")
    func scaleIntoMatchesFresh() throws {
        let clip = SyntheticClip(width: 96, height: 64, frameCount: 2)
        let scaler = try Scaler(from: 96, 64, to: 48, 32)
        var reused = Frame(width: 48, height: 32)
        for i in 0..<2 {
            scaler.scale(clip.frame(i), into: &reused)
            #expect(reused.hasSameSamples(as: scaler.scale(clip.frame(i))))
        }
    }
}
