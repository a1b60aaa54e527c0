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

    /// Version 8: mb_skip_flag, mb_inter_layer_flag, the direction flags, transform_8x8_flag and
    /// cbp_luma_bit read the lower layer's macroblock at the same place (with scale 2 the one covering
    /// the macroblock; cbp and transform only where the lower levels are read, so not with scale 2) and
    /// choose their own context sets (Specs 6.4); version 7 reads the neighbours alone.
    @Test func modeContextsFollowTheLowerMacroblock() {
        // A 2x2-macroblock lower layer: a SKIP carrying a vector, a coded vector predicted from both
        // references with 8x8 residual, a macroblock without vector, a backward one with 4x4 residual.
        let lower = FrameSyntaxState(geometry: LayerGeometry(width: 32, height: 32), version: 8)
        (lower.hasMotion[0], lower.hasMotion[1], lower.hasMotion[2], lower.hasMotion[3]) = (1, 2, 0, 2)
        lower.direction[1] = PredictionDirection.both.rawValue
        lower.direction[3] = PredictionDirection.backward.rawValue
        (lower.levelKind[1], lower.levelKind[3]) = (2, 1)
        let skipSet = ContextIndex.skipOverSkip - ContextIndex.skip
        let interLayerSet = ContextIndex.interLayerOverInterLayer - ContextIndex.interLayer
        let directionSet = ContextIndex.directionOverLower - ContextIndex.skipBi
        let transformSet = ContextIndex.transform8x8Over8x8 - ContextIndex.transform8x8
        let cbpSet = ContextIndex.cbpLumaOverResidual - ContextIndex.cbpLuma
        // Upper macroblocks have no neighbours with anything (a fresh state), so each increment is 0 or the set.
        let same = FrameSyntaxState(geometry: LayerGeometry(width: 32, height: 32), version: 8)
        same.setLowerMotion(from: lower)
        #expect((0..<4).map { same.skipContext($0 & 1, $0 >> 1) } == [skipSet, 0, 0, 0])
        #expect((0..<4).map { same.interLayerContext($0 & 1, $0 >> 1) } == [0, 0, interLayerSet, 0])
        #expect((0..<4).map { same.directionContext($0 & 1, $0 >> 1, anyBackward: false) } == [0, directionSet, 0, 0])
        #expect((0..<4).map { same.directionContext($0 & 1, $0 >> 1, anyBackward: true) } == [0, directionSet, 0, directionSet])
        #expect((0..<4).map { same.transformContext($0 & 1, $0 >> 1) } == [0, transformSet, 0, 0])
        #expect((0..<4).map { same.cbpLumaContext($0 & 1, $0 >> 1, 0) } == [0, cbpSet, 0, cbpSet])
        // Version 7: the neighbours' sets alone.
        let version7 = FrameSyntaxState(geometry: LayerGeometry(width: 32, height: 32), version: 7)
        version7.setLowerMotion(from: lower)
        #expect((0..<4).allSatisfy { m in
            let (x, y) = (m & 1, m >> 1)
            return version7.skipContext(x, y) == 0 && version7.interLayerContext(x, y) == 0 && version7.transformContext(x, y) == 0
                && version7.directionContext(x, y, anyBackward: true) == 0 && version7.cbpLumaContext(x, y, 0) == 0
        })
        // Scale 2 (a 4x4-macroblock layer), through the lower layer's motion field: macroblock (x, y)
        // reads lower macroblock (x >> 1, y >> 1).
        let doubled = FrameSyntaxState(geometry: LayerGeometry(width: 64, height: 64), version: 8)
        doubled.setLowerMotion(lower.motionField(), scale: 2)
        let lowerOf = (0..<16).map { ($0 >> 3) * 2 + (($0 & 3) >> 1) }
        #expect((0..<16).map { doubled.skipContext($0 & 3, $0 >> 2) } == lowerOf.map { $0 == 0 ? skipSet : 0 })
        #expect((0..<16).map { doubled.interLayerContext($0 & 3, $0 >> 2) } == lowerOf.map { $0 == 2 ? interLayerSet : 0 })
        #expect((0..<16).map { doubled.directionContext($0 & 3, $0 >> 2, anyBackward: true) }
                == lowerOf.map { $0 == 1 || $0 == 3 ? directionSet : 0 })
        #expect((0..<16).allSatisfy { doubled.transformContext($0 & 3, $0 >> 2) == 0 && doubled.cbpLumaContext($0 & 3, $0 >> 2, 0) == 0 })
    }
}
