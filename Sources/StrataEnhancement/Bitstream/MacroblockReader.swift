/// Parses what ``MacroblockWriter`` writes, checking every value against the limits of the spec.
enum MacroblockReader {
    /// Largest coefficient level magnitude the syntax allows.
    static let levelLimit = 1 << 20

    /// Reads one macroblock into `mb` and `levels` and records it in `state`. Only the level blocks of
    /// coded quadrants and chroma components are written (cleared first); the others keep stale values
    /// that reconstruction never reads.
    static func read(_ r: inout ArithmeticBinReader, _ mb: inout MacroblockData, _ levels: UnsafeMutablePointer<Int32>,
                     _ state: FrameSyntaxState, _ x: Int, _ y: Int, hasReference: Bool) throws(EnhancementError) {
        let index = y * state.mbWide + x
        mb = MacroblockData()
        if r.bin(ContextIndex.skip + state.skipContext(x, y)) == 1 {
            if hasReference {
                let predicted = state.predictedMotion(x, y, skip: true)
                if let lower = state.lowerSkipVector(x, y, predicted: predicted),
                   r.bin(ContextIndex.skipLower + state.skipLowerContext(x, y)) == 1 {
                    (mb.mvx, mb.mvy) = lower
                    mb.skipLower = true
                } else {
                    (mb.mvx, mb.mvy) = predicted
                }
                if state.hasBackward && r.bin(ContextIndex.skipBi + state.directionContext(x, y, anyBackward: false)) == 1 {
                    mb.direction = .both
                    mb.bmvx = 0 &- mb.mvx; mb.bmvy = 0 &- mb.mvy
                }
            }
            state.recordSkip(x, y, mb.mvx, mb.mvy, hasReference: hasReference, fromLower: mb.skipLower, both: mb.direction == .both)
            return
        }
        mb.mode = .interLayer
        if hasReference && r.bin(ContextIndex.interLayer + state.interLayerContext(x, y)) == 0 {
            mb.mode = r.bin(ContextIndex.bi + state.modeCount(x, y, .bi)) == 1 ? .bi : .inter
            if mb.mode == .inter && r.bin(ContextIndex.differential + state.modeCount(x, y, .differential)) == 1 {
                mb.mode = .differential
            }
            mb.split = mb.mode == .inter && state.splitAllowed && r.bin(ContextIndex.split + state.splitContext(x, y)) == 1
            if state.hasBackward && mb.mode == .inter && !mb.split
                && r.bin(ContextIndex.backward + state.directionContext(x, y, anyBackward: true)) == 1 {
                mb.direction = r.bin(ContextIndex.both + state.directionContext(x, y, anyBackward: false)) == 1 ? .both : .backward
            }
            let cx = state.mvdContext(x, y, 0), cy = state.mvdContext(x, y, 1)
            let limit = MacroblockWriter.motionLimit
            for q in 0..<(mb.split ? 4 : 1) {
                guard let dx = readMotionDifference(&r, 0, cx), let dy = readMotionDifference(&r, 1, cy) else {
                    throw .invalidSyntax(element: "mvd", macroblock: index, offset: r.decoder.position)
                }
                let (px, py) = mb.split ? state.predictedMotion(x, y, quadrant: q, inner: mb.quadrantMotion) : state.predictedMotion(x, y)
                let vx = px &+ dx, vy = py &+ dy
                guard abs(vx) <= limit, abs(vy) <= limit else {
                    throw .invalidSyntax(element: "motion_vector", macroblock: index, offset: r.decoder.position)
                }
                mb.quadrantDifference[2 * q] = dx; mb.quadrantDifference[2 * q + 1] = dy
                mb.quadrantMotion[2 * q] = vx; mb.quadrantMotion[2 * q + 1] = vy
            }
            mb.mvdx = mb.quadrantDifference[0]; mb.mvdy = mb.quadrantDifference[1]
            mb.mvx = mb.quadrantMotion[0]; mb.mvy = mb.quadrantMotion[1]
            if mb.direction != .forward {
                // The backward vector: the forward one mirrored, plus a difference when both are used.
                mb.bmvx = 0 &- mb.mvx; mb.bmvy = 0 &- mb.mvy
                if mb.direction == .both {
                    guard let dx = readMotionDifference(&r, 0, cx), let dy = readMotionDifference(&r, 1, cy) else {
                        throw .invalidSyntax(element: "mvd", macroblock: index, offset: r.decoder.position)
                    }
                    mb.bmvdx = dx; mb.bmvdy = dy
                    mb.bmvx = mb.bmvx &+ dx; mb.bmvy = mb.bmvy &+ dy
                    guard abs(mb.bmvx) <= limit, abs(mb.bmvy) <= limit else {
                        throw .invalidSyntax(element: "motion_vector", macroblock: index, offset: r.decoder.position)
                    }
                }
            }
        }
        let gridWidth = state.mbWide * 2
        for q in 0..<4 {
            let bit = r.bin(ContextIndex.cbpLuma + state.cbpLumaContext(x, y, q))
            mb.cbpLuma |= bit << q
            state.cbp8[(y * 2 + (q >> 1)) * gridWidth + x * 2 + (q & 1)] = UInt8(bit)
        }
        for c in 0..<2 { mb.cbpChroma |= r.bin(ContextIndex.cbpChroma + state.cbpChromaContext(x, y, c)) << c }
        if mb.cbpLuma != 0 { mb.transform8x8 = r.bin(ContextIndex.transform8x8 + state.transformContext(x, y)) == 1 }
        let categoryBase = mb.mode == .interLayer ? 3 : 0
        let lumaWidth = state.mbWide * 4
        guard mb.cbpLuma != 0 || mb.cbpChroma != 0 else {
            // No residual (most coded macroblocks of the upper layers): every block's flag is 0.
            state.clearBlockFlags(x, y)
            state.record(x, y, mb, hasReference: hasReference)
            _ = state.beginLevels(x, y, mb)
            return
        }
        // The signs of the levels, recorded as they are read for a layer above (version 6 on).
        let signs = state.beginLevels(x, y, mb)
        var ok = true
        let scan4 = Quantization.zigzag4Scan, scan8 = Quantization.zigzag8Scan
        for q in 0..<4 {
            let coded = (mb.cbpLuma >> q) & 1 != 0
            // Only blocks the reconstruction reads are cleared: those of coded quadrants.
            if coded { clear64(levels + q * 64) }
            for s in 0..<4 {
                let b = q * 4 + s
                let (ox, oy) = CoefficientLayout.luma4x4Origin(b)
                let gx = x * 4 + ox / 4, gy = y * 4 + oy / 4
                var flag: UInt8 = 0
                if coded && !mb.transform8x8 {
                    let base = MacroblockWriter.residualContext(categoryBase)
                    if r.bin(base + ContextIndex.cbfOffset + state.lumaBlockContext(gx, gy)) == 1 {
                        ok = ok && readBlock(&r, levels + CoefficientLayout.luma4x4(b), scan4, 16, base,
                                             MacroblockWriter.refinementContext(categoryBase),
                                             state.lowerLumaSigns(x, y, quadrant: q, transform8x8: false) + s * 16, hidesSigns: state.hidesSigns,
                                             signs: signs.map { $0 + CoefficientLayout.luma4x4(b) })
                        flag = 1
                    }
                } else if coded {
                    flag = 1
                }
                state.nonzeroLuma[gy * lumaWidth + gx] = flag
            }
            if coded && mb.transform8x8 {
                ok = ok && readBlock(&r, levels + CoefficientLayout.luma8x8(q), scan8, 64,
                                     MacroblockWriter.residualContext(categoryBase + 1), MacroblockWriter.refinementContext(categoryBase + 1),
                                     state.lowerLumaSigns(x, y, quadrant: q, transform8x8: true), hidesSigns: state.hidesSigns,
                                     signs: signs.map { $0 + CoefficientLayout.luma8x8(q) })
            }
        }
        for c in 0..<2 {
            let grid = c == 0 ? state.nonzeroChroma.0 : state.nonzeroChroma.1
            let coded = (mb.cbpChroma >> c) & 1 != 0
            if coded { clear64(levels + CoefficientLayout.chroma(c, 0)) }
            let base = MacroblockWriter.residualContext(categoryBase + 2)
            for k in 0..<4 {
                let gx = x * 2 + (k & 1), gy = y * 2 + (k >> 1)
                var flag: UInt8 = 0
                if coded && r.bin(base + ContextIndex.cbfOffset + state.chromaBlockContext(grid, gx, gy)) == 1 {
                    ok = ok && readBlock(&r, levels + CoefficientLayout.chroma(c, k), scan4, 16, base,
                                         MacroblockWriter.refinementContext(categoryBase + 2), state.lowerChromaSigns(x, y, component: c) + k * 16,
                                         hidesSigns: state.hidesSigns, signs: signs.map { $0 + CoefficientLayout.chroma(c, k) })
                    flag = 1
                }
                grid[gy * gridWidth + gx] = flag
            }
        }
        guard ok else { throw .invalidSyntax(element: "coeff_abs_level", macroblock: index, offset: r.decoder.position) }
        state.record(x, y, mb, hasReference: hasReference)
    }

    /// Sets 64 levels to zero in eight vector stores (the generic fill was a loop of its own, called
    /// for every coded quadrant).
    @inline(__always) static func clear64(_ levels: UnsafeMutablePointer<Int32>) {
        let raw = UnsafeMutableRawPointer(levels)
        for k in 0..<8 { raw.storeBytes(of: SIMD8<Int32>(), toByteOffset: k &* 32, as: SIMD8<Int32>.self) }
    }

    /// Reads one residual block (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:hidesSigns:)``); false when
    /// a level exceeds ``levelLimit``. With `signs` (cleared), records each level's sign there in scan order
    /// (``FrameSyntaxState/levelSigns``).
    static func readBlock(_ reader: inout ArithmeticBinReader, _ block: UnsafeMutablePointer<Int32>, _ scan: UnsafePointer<UInt8>,
                          _ n: Int, _ base: Int, _ refinement: Int, _ lower: UnsafePointer<Int8>, hidesSigns: Bool,
                          signs: UnsafeMutablePointer<Int8>? = nil) -> Bool {
        // A local copy of the reader, written back at the end: the coder's range and code then stay
        // in registers instead of being stored after every bin (the context states it writes could,
        // for all the compiler knows, alias the caller's reader).
        var r = reader
        defer { reader = r }
        var last = n - 1
        let significance = base &+ ContextIndex.sigOffset, lastFlags = base &+ ContextIndex.lastOffset
        let lowerSignificance = refinement &+ ContextIndex.sigLowerOffset, lowerLastFlags = refinement &+ ContextIndex.lastLowerOffset
        let lowerLast = MacroblockWriter.lastLowerPosition(lower, n)
        var hiding = SignHiding.Tracker()
        // The significant scan positions, one bit each: the levels are then read at those alone, without
        // testing every position below the last (a test whose outcome no predictor could learn).
        var significant: UInt64 = 0
        for i in 0..<(n - 1) {
            let p = MacroblockWriter.positionContext(i, n)
            if r.bin((lower[i] != 0 ? lowerSignificance : significance) &+ p) == 1 {
                significant |= 1 &<< UInt64(i)
                if hidesSigns { hiding.significant(i, bypassSign: lower[i] == 0) }
                if r.bin((i < lowerLast ? lowerLastFlags : lastFlags) &+ p) == 1 {
                    last = i
                    break
                }
            }
        }
        if last == n - 1 {
            significant |= 1 &<< UInt64(last)
            if hidesSigns { hiding.significant(last, bypassSign: lower[last] == 0) }
        }
        let hidden = hidesSigns ? hiding.finish() : 0
        var greater = 0, equal = 0
        // From the last level back to the first.
        while significant != 0 {
            let i = UInt64.bitWidth &- 1 &- significant.leadingZeroBitCount
            significant &= ~(1 &<< UInt64(i))
            let position = Int(scan[i])
            var magnitude = 1
            let g1 = greater != 0 ? 0 : min(4, 1 + equal)
            if r.bin(base + ContextIndex.gt1Offset + g1) == 1 {
                let context = base + ContextIndex.absOffset + min(4, greater)
                var v = 0
                while v < 13 && r.bin(context) == 1 { v += 1 }
                if v == 13 {
                    guard let suffix = r.expGolomb(0, maxPrefix: 20) else { return false }
                    v += suffix
                }
                magnitude = v + 2
                guard magnitude <= levelLimit else { return false }
                greater += 1
            } else {
                equal += 1
            }
            let lowerSign = lower[i]
            let negative = (hidden >> UInt64(i)) & 1 != 0 ? false
                : lowerSign == 0 ? r.bypass() == 1 : (r.bin(refinement &+ ContextIndex.signLowerOffset) == 1) != (lowerSign < 0)
            block[position] = negative ? -Int32(magnitude) : Int32(magnitude)
            signs?[i] = negative ? -1 : 1
        }
        // A hidden sign is negative when its segment's magnitudes sum to an odd number.
        var remaining = hidden
        while remaining != 0 {
            let h = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            var parity: Int32 = 0
            for j in (h & ~15)..<((h & ~15) + 16) { parity ^= block[Int(scan[j])] }
            if parity & 1 == 1 {
                block[Int(scan[h])] = -block[Int(scan[h])]
                signs?[h] = -1
            }
        }
        return true
    }

    static func readMotionDifference(_ r: inout ArithmeticBinReader, _ component: Int, _ contextIncrement: Int) -> Int32? {
        guard r.bin(ContextIndex.mvdZero + component * 3 + contextIncrement) == 1 else { return 0 }
        let prefix = ContextIndex.mvdPrefix + component * 5
        var a = 0
        while a < 8 && r.bin(prefix + min(a, 4)) == 1 { a += 1 }
        if a == 8 {
            guard let suffix = r.expGolomb(3, maxPrefix: 16) else { return nil }
            a += suffix
        }
        guard a < Int(MacroblockWriter.motionLimit) * 2 else { return nil }
        let magnitude = Int32(a + 1)
        return r.bypass() == 1 ? -magnitude : magnitude
    }
}
