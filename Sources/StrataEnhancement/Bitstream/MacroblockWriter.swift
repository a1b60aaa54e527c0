/// Binarization of macroblock syntax (Specs "Macroblock layer" and "Residual block"), generic over
/// the destination so the encoder prices candidates with exactly the bins it will write.
enum MacroblockWriter {
    /// Largest motion vector component in quarter samples that the syntax allows.
    static let motionLimit: Int32 = 4096

    /// Writes one macroblock and records its outcome in `state`.
    static func write<W: BinWriter>(_ w: inout W, _ mb: MacroblockData, _ levels: UnsafePointer<Int32>,
                                    _ state: FrameSyntaxState, _ x: Int, _ y: Int, hasReference: Bool) {
        w.bin(mb.mode == .skip ? 1 : 0, ContextIndex.skip + state.skipContext(x, y))
        if mb.mode == .skip {
            if hasReference && state.lowerSkipVector(x, y) != nil {
                w.bin(mb.skipLower ? 1 : 0, ContextIndex.skipLower + state.skipLowerContext(x, y))
            }
            if state.hasBackward {
                w.bin(mb.direction == .both ? 1 : 0, ContextIndex.skipBi + state.directionContext(x, y, anyBackward: false))
            }
            state.recordSkip(x, y, mb.mvx, mb.mvy, hasReference: hasReference, fromLower: mb.skipLower, both: mb.direction == .both)
            return
        }
        writePrediction(&w, mb, state, x, y, hasReference: hasReference)
        writeResidual(&w, mb, levels, state, x, y)
        state.record(x, y, mb, hasReference: hasReference)
    }

    /// The bins of a non-skipped macroblock between mb_skip_flag and its residual: how it is
    /// predicted and its vector differences. They do not depend on the residual, and record nothing.
    static func writePrediction<W: BinWriter>(_ w: inout W, _ mb: MacroblockData, _ state: FrameSyntaxState,
                                              _ x: Int, _ y: Int, hasReference: Bool) {
        if hasReference {
            let interLayer = mb.mode == .interLayer
            w.bin(interLayer ? 1 : 0, ContextIndex.interLayer + state.interLayerContext(x, y))
            if !interLayer {
                w.bin(mb.mode == .bi ? 1 : 0, ContextIndex.bi + state.modeCount(x, y, .bi))
                if mb.mode != .bi {
                    w.bin(mb.mode == .differential ? 1 : 0, ContextIndex.differential + state.modeCount(x, y, .differential))
                }
                if mb.mode == .inter && state.splitAllowed { w.bin(mb.split ? 1 : 0, ContextIndex.split + state.splitContext(x, y)) }
                let directed = state.hasBackward && mb.mode == .inter && !mb.split
                if directed {
                    w.bin(mb.direction != .forward ? 1 : 0, ContextIndex.backward + state.directionContext(x, y, anyBackward: true))
                    if mb.direction != .forward {
                        w.bin(mb.direction == .both ? 1 : 0, ContextIndex.both + state.directionContext(x, y, anyBackward: false))
                    }
                }
                let cx = state.mvdContext(x, y, 0), cy = state.mvdContext(x, y, 1)
                if mb.split {
                    for q in 0..<4 {
                        writeMotionDifference(&w, mb.quadrantDifference[2 * q], 0, cx)
                        writeMotionDifference(&w, mb.quadrantDifference[2 * q + 1], 1, cy)
                    }
                } else {
                    writeMotionDifference(&w, mb.mvdx, 0, cx)
                    writeMotionDifference(&w, mb.mvdy, 1, cy)
                    if directed && mb.direction == .both {
                        writeMotionDifference(&w, mb.bmvdx, 0, cx)
                        writeMotionDifference(&w, mb.bmvdy, 1, cy)
                    }
                }
            }
        }
    }

    /// Coded block pattern, transform size and residual blocks of a non-skipped macroblock.
    static func writeResidual<W: BinWriter>(_ w: inout W, _ mb: MacroblockData, _ levels: UnsafePointer<Int32>,
                                            _ state: FrameSyntaxState, _ x: Int, _ y: Int) {
        let gridWidth = state.mbWide * 2
        for q in 0..<4 {
            let bit = (mb.cbpLuma >> q) & 1
            w.bin(bit, ContextIndex.cbpLuma + state.cbpLumaContext(x, y, q))
            state.cbp8[(y * 2 + (q >> 1)) * gridWidth + x * 2 + (q & 1)] = UInt8(bit)
        }
        for c in 0..<2 { w.bin((mb.cbpChroma >> c) & 1, ContextIndex.cbpChroma + state.cbpChromaContext(x, y, c)) }
        if mb.cbpLuma != 0 { w.bin(mb.transform8x8 ? 1 : 0, ContextIndex.transform8x8 + state.transformContext(x, y)) }
        let categoryBase = mb.mode == .interLayer ? 3 : 0
        let lumaWidth = state.mbWide * 4
        let scan4 = Quantization.zigzag4Scan, scan8 = Quantization.zigzag8Scan
        for q in 0..<4 {
            let coded = (mb.cbpLuma >> q) & 1 != 0
            for s in 0..<4 {
                let b = q * 4 + s
                let (ox, oy) = CoefficientLayout.luma4x4Origin(b)
                let gx = x * 4 + ox / 4, gy = y * 4 + oy / 4
                var flag: UInt8 = 0
                if coded && !mb.transform8x8 {
                    let block = levels + CoefficientLayout.luma4x4(b)
                    let any = hasNonzero(block, 16)
                    w.bin(any ? 1 : 0, residualContext(categoryBase + 0) + ContextIndex.cbfOffset + state.lumaBlockContext(gx, gy))
                    if any {
                        w.residualBlock(block, scan4, 16, residualContext(categoryBase + 0), refinementContext(categoryBase + 0),
                                   state.lowerLumaSigns(x, y, quadrant: q, transform8x8: false) + s * 16, hidesSigns: state.hidesSigns)
                    }
                    flag = any ? 1 : 0
                } else if coded {
                    flag = 1
                }
                state.nonzeroLuma[gy * lumaWidth + gx] = flag
            }
            if coded && mb.transform8x8 {
                w.residualBlock(levels + CoefficientLayout.luma8x8(q), scan8, 64, residualContext(categoryBase + 1),
                           refinementContext(categoryBase + 1), state.lowerLumaSigns(x, y, quadrant: q, transform8x8: true),
                           hidesSigns: state.hidesSigns)
            }
        }
        for c in 0..<2 {
            let grid = c == 0 ? state.nonzeroChroma.0 : state.nonzeroChroma.1
            let coded = (mb.cbpChroma >> c) & 1 != 0
            for k in 0..<4 {
                let gx = x * 2 + (k & 1), gy = y * 2 + (k >> 1)
                var flag: UInt8 = 0
                if coded {
                    let block = levels + CoefficientLayout.chroma(c, k)
                    let any = hasNonzero(block, 16)
                    w.bin(any ? 1 : 0, residualContext(categoryBase + 2) + ContextIndex.cbfOffset + state.chromaBlockContext(grid, gx, gy))
                    if any {
                        w.residualBlock(block, scan4, 16, residualContext(categoryBase + 2), refinementContext(categoryBase + 2),
                                   state.lowerChromaSigns(x, y, component: c) + k * 16, hidesSigns: state.hidesSigns)
                    }
                    flag = any ? 1 : 0
                }
                grid[gy * gridWidth + gx] = flag
            }
        }
    }

    /// First context of residual block category `category` (0...5).
    @inline(__always) static func residualContext(_ category: Int) -> Int {
        ContextIndex.residual + category * ContextIndex.residualCategorySize
    }

    /// Whether any of the `n` levels (a multiple of 4) is not zero: their OR, four at a time, tested
    /// once (a test per level was a branch no predictor could learn).
    @inline(__always) static func hasNonzero(_ block: UnsafePointer<Int32>, _ n: Int) -> Bool {
        let raw = UnsafeRawPointer(block)
        var any = SIMD4<Int32>()
        var k = 0
        while k < n {
            any |= raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD4<Int32>.self)
            k += 4
        }
        return !isAllZero(any)
    }

    /// Marks every 4x4 block of macroblock (x, y) as having no coefficients.
    static func clearBlockFlags(_ state: FrameSyntaxState, _ x: Int, _ y: Int) {
        let lw = state.mbWide * 4, cw = state.mbWide * 2
        for r in 0..<4 { (state.nonzeroLuma + (y * 4 + r) * lw + x * 4).update(repeating: 0, count: 4) }
        for r in 0..<2 {
            (state.nonzeroChroma.0 + (y * 2 + r) * cw + x * 2).update(repeating: 0, count: 2)
            (state.nonzeroChroma.1 + (y * 2 + r) * cw + x * 2).update(repeating: 0, count: 2)
        }
        for r in 0..<2 { (state.cbp8 + (y * 2 + r) * cw + x * 2).update(repeating: 0, count: 2) }
    }

    /// Context of the significance or last flag at scan position `i` of a block of `n` coefficients.
    @inline(__always) static func positionContext(_ i: Int, _ n: Int) -> Int { n == 16 ? i : i >> 2 }

    /// First refinement context of residual block category `category` (0...5, version 6).
    @inline(__always) static func refinementContext(_ category: Int) -> Int {
        ContextIndex.refinement + category * ContextIndex.refinementCategorySize
    }

    /// The last scan position at which `lower` (signs of the lower block's levels, scan order) is
    /// not zero; -1 when none is (at once for a block of ``FrameSyntaxState/noLowerLevels``).
    @inline(__always) static func lastLowerPosition(_ lower: UnsafePointer<Int8>, _ n: Int) -> Int {
        if UInt(bitPattern: lower - FrameSyntaxState.noLowerLevels) < 64 { return -1 }
        // Eight signs at a time: the highest nonzero byte of a little-endian word is the last one.
        var chunk = n - 8
        while chunk >= 0 {
            let word = UInt64(littleEndian: UnsafeRawPointer(lower + chunk).loadUnaligned(as: UInt64.self))
            if word != 0 { return chunk + (63 - word.leadingZeroBitCount) >> 3 }
            chunk -= 8
        }
        return -1
    }

    /// One residual block with at least one nonzero level: significance map with last flags in scan
    /// order, then magnitudes and signs in reverse scan order. `lower` holds the signs of the lower
    /// layer's levels of the block (scan order; ``FrameSyntaxState/noLowerLevels`` when none), which
    /// choose the significance, last and sign contexts from `refinement` on; with `hidesSigns` the
    /// signs ``SignHiding`` hides are not written (both version 6).
    static func writeBlock<W: BinWriter>(_ w: inout W, _ block: UnsafePointer<Int32>, _ scan: UnsafePointer<UInt8>, _ n: Int, _ base: Int,
                                         _ refinement: Int, _ lower: UnsafePointer<Int8>, hidesSigns: Bool) {
        var last = n - 1
        while last > 0 && block[Int(scan[last])] == 0 { last -= 1 }
        let lowerLast = lastLowerPosition(lower, n)
        var hiding = SignHiding.Tracker()
        for i in 0..<(n - 1) {
            let position = Int(scan[i]), p = positionContext(i, n)
            let significant = block[position] != 0
            w.bin(significant ? 1 : 0, lower[i] != 0 ? refinement + ContextIndex.sigLowerOffset + p : base + ContextIndex.sigOffset + p)
            if significant {
                if hidesSigns { hiding.significant(i, bypassSign: lower[i] == 0) }
                w.bin(i == last ? 1 : 0, i < lowerLast ? refinement + ContextIndex.lastLowerOffset + p : base + ContextIndex.lastOffset + p)
                if i == last { break }
            }
        }
        if hidesSigns && last == n - 1 { hiding.significant(last, bypassSign: lower[last] == 0) }
        let hidden = hidesSigns ? hiding.finish() : 0
        var greater = 0, equal = 0
        var i = last
        while i >= 0 {
            let position = Int(scan[i]), level = block[position]
            if level != 0 {
                let magnitude = Int(level.magnitude)
                let g1 = greater != 0 ? 0 : min(4, 1 + equal)
                w.bin(magnitude > 1 ? 1 : 0, base + ContextIndex.gt1Offset + g1)
                if magnitude > 1 {
                    let context = base + ContextIndex.absOffset + min(4, greater)
                    let v = magnitude - 2
                    for k in 0..<min(v, 13) { _ = k; w.bin(1, context) }
                    if v < 13 { w.bin(0, context) } else { w.expGolomb(v - 13, 0) }
                    greater += 1
                } else {
                    equal += 1
                }
                let lowerSign = lower[i]
                if (hidden >> UInt64(i)) & 1 != 0 {
                    // Hidden: the parity of the segment's magnitudes gives it.
                } else if lowerSign == 0 {
                    w.bypass(level < 0 ? 1 : 0)
                } else {
                    w.bin((level < 0) != (lowerSign < 0) ? 1 : 0, refinement + ContextIndex.signLowerOffset)
                }
            }
            i -= 1
        }
    }

    /// A motion vector difference component: zero flag, truncated-unary prefix (8 bins), third-order
    /// Exp-Golomb suffix, sign.
    @inline(__always) static func writeMotionDifference<W: BinWriter>(_ w: inout W, _ d: Int32, _ component: Int, _ contextIncrement: Int) {
        w.bin(d != 0 ? 1 : 0, ContextIndex.mvdZero + component * 3 + contextIncrement)
        guard d != 0 else { return }
        let a = Int(d.magnitude) - 1
        let prefix = ContextIndex.mvdPrefix + component * 5
        for k in 0..<min(a, 8) { w.bin(1, prefix + min(k, 4)) }
        if a < 8 { w.bin(0, prefix + min(a, 4)) } else { w.expGolomb(a - 8, 3) }
        w.bypass(d < 0 ? 1 : 0)
    }
}
