import StrataTestSupport
import Testing
@testable import StrataEnhancement

/// The motion search's planes: whole and half samples are the normative prediction exactly, quarter
/// samples the rounded average of their two nearest half-grid neighbours, and a picture whose samples
/// changed gets fresh planes.
@Suite struct SearchPlanesTests {
    /// A 64x48 picture of seeded random samples with extended borders.
    static func picture(seed: UInt64) -> Picture {
        let picture = Picture(geometry: LayerGeometry(width: 64, height: 48), margin: EnhancementCodec.referenceMargin)
        var random = SplitMix64(seed: seed)
        for plane in [picture.luma, picture.cb, picture.cr] {
            for y in 0..<plane.height {
                for x in 0..<plane.width { plane.origin[y * plane.stride + x] = UInt8(truncatingIfNeeded: random.next()) }
            }
        }
        picture.samplesChanged()
        picture.prepareAsReference()
        return picture
    }

    /// The normative luma prediction of a `size x size` block (scalar reference filter).
    static func normative(_ plane: PicturePlane, _ x: Int, _ y: Int, _ mvx: Int32, _ mvy: Int32, _ size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size * size), temp = [Int16](repeating: 0, count: (size + 5) * size)
        let ix = x + Int(mvx >> 2), iy = y + Int(mvy >> 2)
        Interpolation.lumaScalar(UnsafePointer(plane.origin + iy * plane.stride + ix), plane.stride, &out, size, size, size,
                                 Int(mvx & 3), Int(mvy & 3), &temp)
        return out
    }

    static func block(_ p: (UnsafePointer<UInt8>, Int), _ size: Int) -> [UInt8] {
        (0..<(size * size)).map { p.0[($0 / size) * p.1 + $0 % size] }
    }

    @Test func halfSamplesAreExactAndQuarterSamplesAverageTheirNeighbours() {
        let reference = Self.picture(seed: 21)
        let planes = SearchPlanes(like: reference.luma)
        planes.fill(from: reference.luma)
        var random = SplitMix64(seed: 22)
        var averagedDiffers = 0
        for _ in 0..<400 {
            let size = random.next() % 2 == 0 ? 16 : 8
            let x = Int(random.next() % UInt64(64 - size + 1)), y = Int(random.next() % UInt64(48 - size + 1))
            let mvx = Int32(Int(random.next() % 161) - 80), mvy = Int32(Int(random.next() % 161) - 80)
            let got = Self.block(planes.prediction(x, y, mvx, mvy, size, size), size)
            // The search's cost of the vector is the SAD to that prediction, whether it forms it or not.
            let sourceOrigin = UnsafePointer(reference.luma.origin + 3 * reference.luma.stride + 5)
            let source = Self.block((sourceOrigin, reference.luma.stride), size)
            #expect(planes.sad(source, size, x, y, mvx, mvy, size) == BlockMetrics.sadScalar(source, size, got, size, size, size))
            #expect(planes.sad(source, size, x, y, mvx, mvy, size, exact: true)
                    == BlockMetrics.sadScalar(source, size, Self.normative(reference.luma, x, y, mvx, mvy, size), size, size, size))
            #expect(Self.block(planes.prediction(x, y, mvx, mvy, size, size, exact: true), size)
                    == Self.normative(reference.luma, x, y, mvx, mvy, size))
            if mvx & 1 == 0 && mvy & 1 == 0 {
                #expect(got == Self.normative(reference.luma, x, y, mvx, mvy, size))
                continue
            }
            // Quarter position: the average of the two nearest whole- or half-sample neighbours.
            let (a, b): ((Int32, Int32), (Int32, Int32))
            if mvy & 1 == 0 {
                a = (mvx - 1, mvy); b = (mvx + 1, mvy)
            } else if mvx & 1 == 0 {
                a = (mvx, mvy - 1); b = (mvx, mvy + 1)
            } else {
                a = ((mvx & ~3) + 2, mvy & 3 == 1 ? mvy & ~3 : (mvy & ~3) + 4)
                b = (mvx & 3 == 1 ? mvx & ~3 : (mvx & ~3) + 4, (mvy & ~3) + 2)
            }
            let pa = Self.normative(reference.luma, x, y, a.0, a.1, size), pb = Self.normative(reference.luma, x, y, b.0, b.1, size)
            let expected = zip(pa, pb).map { UInt8((UInt16($0) + UInt16($1) + 1) >> 1) }
            #expect(got == expected)
            if expected != Self.normative(reference.luma, x, y, mvx, mvy, size) { averagedDiffers += 1 }
        }
        // The approximation is a different filter: it must not silently be the normative one.
        #expect(averagedDiffers > 100)
    }

    @Test func changedPicturesGetFreshPlanes() {
        let reference = Self.picture(seed: 23)
        let cache = SearchPlaneCache(capacity: 1)
        let before = Self.block(cache.planes(for: reference).prediction(8, 8, 2, 2, 16, 16), 16)
        #expect(before == Self.normative(reference.luma, 8, 8, 2, 2, 16))
        for y in 0..<reference.luma.height { (reference.luma.origin + y * reference.luma.stride).update(repeating: 40, count: 64) }
        reference.samplesChanged()
        reference.prepareAsReference()
        let after = Self.block(cache.planes(for: reference).prediction(8, 8, 2, 2, 16, 16), 16)
        #expect(after == [UInt8](repeating: 40, count: 256))
        // Another picture through a cache of one evicts the first; coming back recomputes it.
        let other = Self.picture(seed: 24)
        #expect(Self.block(cache.planes(for: other).prediction(8, 8, 2, 0, 16, 16), 16) == Self.normative(other.luma, 8, 8, 2, 0, 16))
        #expect(Self.block(cache.planes(for: reference).prediction(8, 8, 2, 0, 16, 16), 16) == [UInt8](repeating: 40, count: 256))
    }
}
