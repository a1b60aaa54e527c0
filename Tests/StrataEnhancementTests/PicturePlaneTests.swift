import StrataCore
import StrataTestSupport
import Testing
@testable import StrataEnhancement

@Suite struct PicturePlaneTests {
    /// Every sample of the margin is the nearest sample of the coded area, for margins that are and
    /// are not multiples of the 16-byte stores that fill them.
    @Test func extendedBordersReplicateTheNearestEdgeSample() {
        var random = SplitMix64(seed: 21)
        for (width, height, margin) in [(48, 32, 80), (40, 24, 40), (32, 16, 20), (16, 16, 8)] {
            let plane = PicturePlane(width: width, height: height, margin: margin)
            for y in 0..<height {
                for x in 0..<width { plane.origin[y * plane.stride + x] = UInt8(truncatingIfNeeded: random.next()) }
            }
            plane.extendBorders()
            var wrong = 0
            for y in -margin..<(height + margin) {
                for x in -margin..<(width + margin) {
                    let expected = plane.origin[min(max(y, 0), height - 1) * plane.stride + min(max(x, 0), width - 1)]
                    if plane.origin[y * plane.stride + x] != expected { wrong += 1 }
                }
            }
            #expect(wrong == 0, "\(width)x\(height), margin \(margin)")
        }
    }

    /// The decoder's pictures have a narrower margin than the encoder's: a block reaching beyond it is
    /// gathered with clamped coordinates, and must predict exactly what the wide margin gives, for
    /// vectors as far out as the encoder's search goes, every phase, luma and chroma.
    @Test func narrowMarginPredictsAsTheWideOne() {
        var random = SplitMix64(seed: 77)
        let geometry = LayerGeometry(width: 64, height: 48)
        let wide = Picture(geometry: geometry, margin: EnhancementCodec.referenceMargin)
        let narrow = Picture(geometry: geometry, margin: EnhancementCodec.decoderMargin)
        for i in 0..<3 {
            let a = wide.plane(i), b = narrow.plane(i)
            for y in 0..<a.height {
                for x in 0..<a.width {
                    let v = UInt8(truncatingIfNeeded: random.next())
                    a.origin[y * a.stride + x] = v
                    b.origin[y * b.stride + x] = v
                }
            }
        }
        wide.extendBorders()
        narrow.extendBorders()
        let compensator = MotionCompensator()
        let memory = MacroblockPredictions(count: 2)
        let expected = memory[0], actual = memory[1]
        var gathered = 0, differing = 0
        for _ in 0..<400 {
            let mbx = Int(random.next() % 4), mby = Int(random.next() % 3)
            let reach = Int32(4 * (EnhancementCodec.referenceMargin - 12))
            let mvx = Int32(Int(random.next() % UInt64(2 * reach + 1))) - reach
            let mvy = Int32(Int(random.next() % UInt64(2 * reach + 1))) - reach
            expected.formMotion(compensator, wide, mbx, mby, mvx, mvy)
            actual.formMotion(compensator, narrow, mbx, mby, mvx, mvy)
            let ix = mbx * 16 + Int(mvx >> 2), iy = mby * 16 + Int(mvy >> 2), m = EnhancementCodec.decoderMargin
            if ix - 2 < -m || iy - 2 < -m || ix + 20 > 64 + m || iy + 19 > 48 + m { gathered += 1 }
            for i in 0..<3 {
                let size = i == 0 ? 16 : 8
                for y in 0..<size {
                    for x in 0..<size where expected.plane(i)[y * 16 + x] != actual.plane(i)[y * 16 + x] { differing += 1 }
                }
            }
        }
        #expect(differing == 0)
        #expect(gathered > 100, "most vectors reach beyond the narrow margin (\(gathered) of 400)")
    }

    /// The decoder forms inter-layer prediction a macroblock row at a time, in any order: each row,
    /// padding included, is what forming the whole picture gives, at 2x and at other ratios, for
    /// sizes that are not macroblock multiples, from frames and from pictures of the lower layer.
    @Test func bandsOfInterLayerPredictionEqualTheWholePicture() {
        for (w, h, lw, lh) in [(80, 48, 40, 24), (74, 42, 38, 22), (64, 36, 48, 30), (34, 18, 34, 18)] {
            let p = EnhancementLayerParameters(width: w, height: h, referenceWidth: lw, referenceHeight: lh, qp: 30, temporalLayers: 1)
            let predictor = InterLayerPredictor(p)
            let lower = SyntheticClip(width: lw, height: lh, frameCount: 1, seed: UInt64(w), noise: 3).frames()[0]
            let geometry = LayerGeometry(width: w, height: h)
            let whole = Picture(geometry: geometry, margin: 16)
            predictor.form(lower, into: whole)
            let lowerPicture = Picture(geometry: LayerGeometry(width: lw, height: lh), margin: 0)
            lowerPicture.luma.load(lower.luma); lowerPicture.cb.load(lower.cb); lowerPicture.cr.load(lower.cr)
            for source in [LowerLayerSource.frame(lower), .picture(lowerPicture)] {
                let banded = Picture(geometry: geometry, margin: 16)
                for band in (0..<geometry.macroblocksHigh).reversed() { predictor.formBand(band, from: source, into: banded) }
                var differing = 0
                for i in 0..<3 {
                    let a = whole.plane(i), b = banded.plane(i)
                    for y in 0..<a.height { for x in 0..<a.width where a.origin[y * a.stride + x] != b.origin[y * b.stride + x] { differing += 1 } }
                }
                #expect(differing == 0, "\(w)x\(h) over \(lw)x\(lh)")
            }
        }
    }
}
