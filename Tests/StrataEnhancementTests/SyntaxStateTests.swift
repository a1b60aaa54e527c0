import StrataTestSupport
import Testing
@testable import StrataEnhancement

@Suite struct SyntaxStateTests {
    /// Every array of the syntax state, for comparing two states.
    static func snapshot(_ s: FrameSyntaxState) -> [[Int32]] {
        let n = s.mbWide * s.mbHigh
        func bytes(_ p: UnsafeMutablePointer<UInt8>, _ count: Int) -> [Int32] { (0..<count).map { Int32(p[$0]) } }
        return [bytes(s.skip, n), bytes(s.mode, n), bytes(s.transform8x8, n), bytes(s.cbpChroma, n), bytes(s.hasMotion, n),
                bytes(s.split, n), bytes(s.cbp8, 4 * n), bytes(s.nonzeroLuma, 16 * n), bytes(s.nonzeroChroma.0, 4 * n),
                bytes(s.nonzeroChroma.1, 4 * n), bytes(s.deblockingClass, 4 * n), bytes(s.skipLower, n),
                (0..<(8 * n)).map { s.motion8[$0] }, (0..<(2 * n)).map { s.mvdMagnitude[$0] }]
    }

    /// A SKIP recorded by the fast path leaves the same state as clearing its block flags and recording
    /// a SKIP ``MacroblockData``, over whatever an earlier macroblock left there.
    @Test func recordSkipEqualsTheGeneralRecord() {
        var random = SplitMix64(seed: 3)
        for round in 0..<200 {
            let hasReference = round % 4 != 0
            let fast = FrameSyntaxState(mbWide: 3, mbHigh: 2), general = FrameSyntaxState(mbWide: 3, mbHigh: 2)
            // Something else first, so that stale values would show.
            var other = MacroblockData()
            other.mode = .inter
            other.split = random.next() % 2 == 0
            for k in 0..<8 { other.quadrantMotion[k] = Int32(random.next() % 41) - 20 }
            other.mvx = other.quadrantMotion[0]; other.mvy = other.quadrantMotion[1]
            other.cbpLuma = 15; other.cbpChroma = 3; other.transform8x8 = true; other.mvdx = 7; other.mvdy = -3
            let x = Int(random.next() % 3), y = Int(random.next() % 2)
            for state in [fast, general] {
                state.record(x, y, other, hasReference: true)
                state.nonzeroLuma.update(repeating: 1, count: 16 * 6)
                state.nonzeroChroma.0.update(repeating: 1, count: 4 * 6)
                state.nonzeroChroma.1.update(repeating: 1, count: 4 * 6)
            }
            var skip = MacroblockData()
            skip.mvx = Int32(random.next() % 41) - 20; skip.mvy = Int32(random.next() % 41) - 20
            if !hasReference { (skip.mvx, skip.mvy) = (0, 0) }
            skip.skipLower = hasReference && random.next() % 2 == 0
            fast.recordSkip(x, y, skip.mvx, skip.mvy, hasReference: hasReference, fromLower: skip.skipLower)
            MacroblockWriter.clearBlockFlags(general, x, y)
            general.record(x, y, skip, hasReference: hasReference)
            #expect(Self.snapshot(fast) == Self.snapshot(general), "round \(round)")
        }
    }

    /// Version 5: a SKIP is offered the lower layer's vector of its top-left unit only where the lower
    /// macroblock coded that vector (a lower SKIP's vector is its own neighbours' prediction) and it
    /// differs from the neighbours' prediction of a SKIP here; never before version 5 or without a lower field.
    @Test func lowerSkipVectorOnlyOffersACodedLowerVectorThatDiffers() {
        var lower = MotionField(macroblocksWide: 2, macroblocksHigh: 1)
        // Macroblock 0: coded (12, -8); macroblock 1: a SKIP carrying (4, 4).
        for u in [0, 1, 4, 5] { lower.vectors[2 * u] = 12; lower.vectors[2 * u + 1] = -8 }
        for u in [2, 3, 6, 7] { lower.vectors[2 * u] = 4; lower.vectors[2 * u + 1] = 4 }
        lower.carriesVector = [2, 1]
        let state = FrameSyntaxState(mbWide: 2, mbHigh: 1)
        state.setLowerMotion(lower)
        #expect(state.lowerSkipVector(0, 0).map { [$0.0, $0.1] } == [12, -8])
        #expect(state.lowerSkipVector(1, 0) == nil, "the lower macroblock is a SKIP")
        // With macroblock 0 recorded as a SKIP of (12, -8), macroblock 1's neighbours predict (12, -8).
        lower.carriesVector = [2, 2]
        state.setLowerMotion(lower)
        state.recordSkip(0, 0, 12, -8, hasReference: true, fromLower: true)
        #expect(state.skipLowerContext(1, 0) == 1)
        #expect(state.lowerSkipVector(1, 0).map { [$0.0, $0.1] } == [4, 4])
        for u in [2, 3, 6, 7] { lower.vectors[2 * u] = 12; lower.vectors[2 * u + 1] = -8 }
        state.setLowerMotion(lower)
        #expect(state.lowerSkipVector(1, 0) == nil, "equal to the neighbours' prediction: nothing to choose")
        let version4 = FrameSyntaxState(mbWide: 2, mbHigh: 1, skipLowerAllowed: false)
        version4.setLowerMotion(lower)
        #expect(version4.lowerSkipVector(0, 0) == nil)
        let noField = FrameSyntaxState(mbWide: 2, mbHigh: 1)
        noField.setLowerMotion(nil)
        #expect(noField.lowerSkipVector(0, 0) == nil)
    }

    /// Version 6: a macroblock's level signs go up with its motion field, and a block of the layer
    /// above reads them only where the lower macroblock has residual with the same luma transform
    /// (chroma: any residual); elsewhere, in version 5 and without a field, it reads zeros.
    @Test func lowerLevelSignsAreReadOnlyWhereTheLowerBlockWasCodedAlike() {
        let lower = FrameSyntaxState(mbWide: 2, mbHigh: 1)
        var levels = [Int32](repeating: 0, count: CoefficientLayout.count)
        levels[CoefficientLayout.luma8x8(1) + 5] = -3       // quadrant 1 (coded), 4x4 block 4, position 5
        levels[CoefficientLayout.luma8x8(2) + 7] = 9        // quadrant 2, not coded: not recorded
        levels[CoefficientLayout.chroma(1, 2) + 1] = 2      // Cr block 2
        var mb = MacroblockData()
        mb.mode = .interLayer
        mb.cbpLuma = 0b0010
        mb.cbpChroma = 0b10
        lower.record(0, 0, mb, hasReference: true)
        lower.recordLevels(0, 0, mb, levels)
        lower.recordSkip(1, 0, 0, 0, hasReference: true)
        let field = lower.motionField()
        #expect(field.levelKind == [1, 0])
        #expect(field.levelSigns.filter { $0 != 0 }.count == 2)
        // Read in place from the lower state, or copied from its field.
        let inPlace = FrameSyntaxState(mbWide: 2, mbHigh: 1), copied = FrameSyntaxState(mbWide: 2, mbHigh: 1)
        inPlace.setLowerMotion(from: lower)
        copied.setLowerMotion(field)
        for state in [inPlace, copied] {
            // Scan order: raster position 5 of a 4x4 block is its fifth in zigzag order.
            #expect(state.lowerLumaSigns(0, 0, quadrant: 1, transform8x8: false)[4] == -1)
            #expect(state.lowerLumaSigns(0, 0, quadrant: 2, transform8x8: false)[7] == 0)
            #expect(state.lowerLumaSigns(0, 0, quadrant: 1, transform8x8: true) == FrameSyntaxState.noLowerLevels, "other transform")
            #expect(state.lowerChromaSigns(0, 0, component: 1)[2 * 16 + 1] == 1)
            #expect(state.lowerChromaSigns(1, 0, component: 1) == FrameSyntaxState.noLowerLevels, "a SKIP has no levels")
        }
        let version5 = FrameSyntaxState(mbWide: 2, mbHigh: 1, lowerLevelsAllowed: false)
        version5.setLowerMotion(field)
        #expect(version5.lowerLumaSigns(0, 0, quadrant: 1, transform8x8: false) == FrameSyntaxState.noLowerLevels)
        let noField = FrameSyntaxState(mbWide: 2, mbHigh: 1)
        noField.setLowerMotion(nil)
        #expect(noField.lowerChromaSigns(0, 0, component: 1) == FrameSyntaxState.noLowerLevels)
    }
}
