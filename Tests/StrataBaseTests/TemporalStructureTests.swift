import Testing
import StrataBase

@Suite("Temporal structure")
struct TemporalStructureTests {
    @Test("the dyadic pattern for one to four layers")
    func patterns() {
        #expect((0..<4).map(TemporalStructure(layers: 1).temporalId(ofFrame:)) == [0, 0, 0, 0])
        #expect((0..<4).map(TemporalStructure(layers: 2).temporalId(ofFrame:)) == [0, 1, 0, 1])
        #expect((0..<8).map(TemporalStructure(layers: 3).temporalId(ofFrame:)) == [0, 2, 1, 2, 0, 2, 1, 2])
        #expect((0..<8).map(TemporalStructure(layers: 4).temporalId(ofFrame:)) == [0, 3, 2, 3, 1, 3, 2, 3])
        #expect(TemporalStructure(layers: 4).period == 8)
    }

    @Test("keeping ids up to j keeps one frame in 2^(layers-1-j)")
    func frameCounts() {
        let s = TemporalStructure(layers: 3)
        #expect(s.frameCount(16, atMostTemporalId: 0) == 4)
        #expect(s.frameCount(16, atMostTemporalId: 1) == 8)
        #expect(s.frameCount(16, atMostTemporalId: 2) == 16)
        #expect(s.frameCount(13, atMostTemporalId: 0) == 4)
        #expect(s.frameRateDivisor(maxTemporalId: 0) == 4)
        #expect(s.frameRateDivisor(maxTemporalId: 2) == 1)
    }
}
