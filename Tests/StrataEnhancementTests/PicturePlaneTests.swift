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
}
