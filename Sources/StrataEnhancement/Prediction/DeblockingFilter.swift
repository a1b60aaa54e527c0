/// The normative in-loop deblocking filter (Specs "Deblocking"): after all macroblocks of a picture
/// are reconstructed, every vertical then every horizontal 8x8 block edge is smoothed where the two
/// sides were predicted or coded differently and the step across the edge is small enough to be a
/// coding artefact rather than picture content. The filtered picture is both the output and the
/// reference of later frames.
enum DeblockingFilter {
    /// Edge threshold alpha by QP.
    static let alpha: [Int32] = [Int32](repeating: 0, count: 16) + [4, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 20, 22, 25, 28, 32, 36,
                                                                     40, 45, 50, 56, 63, 71, 80, 90, 101, 113, 127, 144, 162, 182,
                                                                     203, 226, 255, 255]
    /// Side threshold beta by QP.
    static let beta: [Int32] = [Int32](repeating: 0, count: 16) + [2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                                                                    11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18]

    /// Filters `picture` in place using the macroblock decisions recorded in `syntax`, with the
    /// thresholds of `qp + offset` (limited to 0...51; the layer's deblocking offset). `vectorized`
    /// selects the SIMD strengths and edge filters; without it the scalar references run the same
    /// procedure, and both give identical bytes.
    static func apply(_ picture: Picture, _ syntax: FrameSyntaxState, qp: Int, offset: Int = 0, vectorized: Bool = true) {
        guard let edges = Edges(picture, syntax, qp: qp, offset: offset, vectorized: vectorized) else { return }
        // (Edges holds where the strengths go; they are computed only when something is filtered.)
        if vectorized { edgeStrengthsSIMD(syntax) } else { edgeStrengthsScalar(syntax) }
        // Vertical edges, left to right, then horizontal edges, top to bottom.
        for by in 0..<edges.gridH {
            // (The picture's left edges have strength 0: whole words from the row's start.)
            forEachStrength(edges.vertical + by * edges.gridW, from: 0, to: edges.gridW) { bx, s in edges.filterLuma(bx, by, vertical: true, s) }
        }
        for by in 1..<max(edges.gridH, 1) {
            forEachStrength(edges.horizontal + by * edges.gridW, from: 0, to: edges.gridW) { bx, s in edges.filterLuma(bx, by, vertical: false, s) }
        }
        // Chroma: each component's edges in the same order as luma's; the two components share their
        // strengths, so both are filtered at each edge (one pass over the strengths, not two).
        for my in 0..<edges.mbH {
            for mx in 1..<max(edges.mbW, 1) { edges.filterChroma(mx, my, vertical: true) }
        }
        for my in 1..<max(edges.mbH, 1) {
            for mx in 0..<edges.mbW { edges.filterChroma(mx, my, vertical: false) }
        }
    }

    /// Alpha and beta at `qp + offset` (limited to 0...51).
    @inline(__always) static func thresholds(qp: Int, offset: Int) -> (alpha: Int32, beta: Int32) {
        let index = min(max(qp + offset, 0), 51)
        return (alpha[index], beta[index])
    }

    /// A picture's thresholds and edge strengths (those ``edgeStrengthsSIMD(_:)`` left in the syntax
    /// state), and the filtering of one edge segment: what the full pass and ``OnDemand`` share.
    struct Edges {
        let picture: Picture
        let a: Int32, b: Int32
        /// Strengths of the left and of the top edge of every 8x8 block.
        let vertical: UnsafePointer<UInt8>, horizontal: UnsafePointer<UInt8>
        let gridW: Int, gridH: Int, mbW: Int, mbH: Int
        let vectorized: Bool

        /// Nil when the thresholds filter nothing (alpha 0).
        init?(_ picture: Picture, _ syntax: FrameSyntaxState, qp: Int, offset: Int, vectorized: Bool = true) {
            (a, b) = thresholds(qp: qp, offset: offset)
            guard a > 0 else { return nil }
            self.picture = picture
            self.vectorized = vectorized
            mbW = syntax.mbWide; mbH = syntax.mbHigh
            gridW = mbW * 2; gridH = mbH * 2
            vertical = UnsafePointer(syntax.edgeStrengths); horizontal = UnsafePointer(syntax.edgeStrengths + gridW * gridH)
        }

        /// Filters the luma segment on the left (`vertical`) or top edge of 8x8 block (bx, by), of strength `s` > 0.
        @inline(__always) func filterLuma(_ bx: Int, _ by: Int, vertical: Bool, _ s: Int32) {
            let luma = picture.luma, ls = luma.stride
            let q0 = luma.origin + by * 8 * ls + bx * 8, tc0 = (b * s + 4) >> 3
            switch (vertical, vectorized) {
            case (true, true): filterLumaColumnsSIMD(q0, ls, a, b, tc0)
            case (true, false): DeblockingFilter.filterLuma(q0, 1, ls, a, b, tc0)
            case (false, true): filterLumaRowsSIMD(q0, ls, a, b, tc0)
            case (false, false): DeblockingFilter.filterLuma(q0, ls, 1, a, b, tc0)
            }
        }

        /// The strength of the luma segment on the left (`vertical`) or top edge of 8x8 block (bx, by).
        @inline(__always) func lumaStrength(_ bx: Int, _ by: Int, vertical: Bool) -> Int32 {
            Int32((vertical ? self.vertical : horizontal)[by * gridW + bx])
        }

        /// Filters both chroma components' segments on the left (`vertical`) or top edge of macroblock
        /// (mx, my), with the larger strength of the two luma segments on that edge, if not 0.
        @inline(__always) func filterChroma(_ mx: Int, _ my: Int, vertical: Bool) {
            let s = vertical
                ? max(lumaStrength(mx * 2, my * 2, vertical: true), lumaStrength(mx * 2, my * 2 + 1, vertical: true))
                : max(lumaStrength(mx * 2, my * 2, vertical: false), lumaStrength(mx * 2 + 1, my * 2, vertical: false))
            guard s > 0 else { return }
            let cs = picture.cb.stride, offset = my * 8 * cs + mx * 8, tc = ((b * s + 4) >> 3) + 1
            let cb = picture.cb.origin + offset, cr = picture.cr.origin + offset
            switch (vertical, vectorized) {
            case (true, true): filterChromaColumnsSIMD(cb, cs, a, b, tc); filterChromaColumnsSIMD(cr, cs, a, b, tc)
            case (true, false): DeblockingFilter.filterChroma(cb, 1, cs, a, b, tc); DeblockingFilter.filterChroma(cr, 1, cs, a, b, tc)
            case (false, true): filterChromaRowsSIMD(cb, cs, a, b, tc); filterChromaRowsSIMD(cr, cs, a, b, tc)
            case (false, false): DeblockingFilter.filterChroma(cb, cs, 1, a, b, tc); DeblockingFilter.filterChroma(cr, cs, 1, a, b, tc)
            }
        }
    }

    /// The picture's filtering done one edge segment at a time, in any order a reader of the picture
    /// needs, with the same result as ``apply(_:_:qp:offset:vectorized:)``: a luma segment reads three
    /// samples and writes two on each side of its edge, and the edges lie eight samples apart, so two
    /// segments of the same direction never touch each other's samples, and a horizontal segment
    /// touches only the vertical segments of the two 8x8 block rows around it and the two block
    /// columns it borders (chroma: reads two, writes one, edges on the macroblock grid, the same
    /// shape). Each horizontal segment is filtered after those vertical ones, which is all the order
    /// the full pass imposes. The strengths are those ``edgeStrengthsSIMD(_:)`` left in `syntax`.
    final class OnDemand {
        /// Nil when nothing is filtered.
        private let edges: Edges?
        private let mbW: Int, mbH: Int, gridW: Int, gridH: Int
        /// Per segment, whether it was filtered: luma vertical, luma horizontal (per 8x8 block),
        /// chroma vertical, chroma horizontal (per macroblock).
        private var lumaVerticalDone: [Bool], lumaHorizontalDone: [Bool], chromaVerticalDone: [Bool], chromaHorizontalDone: [Bool]
        /// Brings macroblock (x, y) to its samples before filtering (reconstructs it if need be).
        private let reconstruct: (Int, Int) -> Void

        init(_ picture: Picture, _ syntax: FrameSyntaxState, qp: Int, offset: Int, reconstruct: @escaping (Int, Int) -> Void) {
            edges = Edges(picture, syntax, qp: qp, offset: offset)
            mbW = syntax.mbWide; mbH = syntax.mbHigh
            gridW = mbW * 2; gridH = mbH * 2
            lumaVerticalDone = [Bool](repeating: false, count: gridW * gridH)
            lumaHorizontalDone = lumaVerticalDone
            chromaVerticalDone = [Bool](repeating: false, count: mbW * mbH)
            chromaHorizontalDone = chromaVerticalDone
            self.reconstruct = reconstruct
        }

        /// Filters every segment that writes a sample of macroblock (mbx, mby), and first what they depend on.
        func finish(_ mbx: Int, _ mby: Int) {
            if edges != nil {
                for by in 2 * mby...2 * mby + 1 { for bx in 2 * mbx...2 * mbx + 2 { lumaVertical(bx, by) } }
                for by in 2 * mby...2 * mby + 2 { for bx in 2 * mbx...2 * mbx + 1 { lumaHorizontal(bx, by) } }
                chromaVertical(mbx, mby); chromaVertical(mbx + 1, mby)
                chromaHorizontal(mbx, mby); chromaHorizontal(mbx, mby + 1)
            }
            reconstruct(mbx, mby)
        }

        /// Filters every segment not filtered yet (vertical ones first): the picture is then the full pass's.
        func finishAll() {
            for my in 0..<mbH { for mx in 0..<mbW { reconstruct(mx, my) } }
            guard edges != nil else { return }
            for by in 0..<gridH { for bx in 0..<gridW { lumaVertical(bx, by) } }
            for by in 0..<gridH { for bx in 0..<gridW { lumaHorizontal(bx, by) } }
            for my in 0..<mbH { for mx in 0..<mbW { chromaVertical(mx, my) } }
            for my in 0..<mbH { for mx in 0..<mbW { chromaHorizontal(mx, my) } }
        }

        /// The vertical segment left of 8x8 block (bx, by), once both blocks are formed.
        private func lumaVertical(_ bx: Int, _ by: Int) {
            guard let edges, bx >= 1, bx < gridW, by < gridH, !lumaVerticalDone[by * gridW + bx] else { return }
            lumaVerticalDone[by * gridW + bx] = true
            reconstruct((bx - 1) >> 1, by >> 1); reconstruct(bx >> 1, by >> 1)
            let s = edges.lumaStrength(bx, by, vertical: true)
            if s > 0 { edges.filterLuma(bx, by, vertical: true, s) }
        }

        /// The horizontal segment above 8x8 block (bx, by), after the four vertical segments it touches.
        private func lumaHorizontal(_ bx: Int, _ by: Int) {
            guard let edges, by >= 1, by < gridH, bx < gridW, !lumaHorizontalDone[by * gridW + bx] else { return }
            lumaHorizontalDone[by * gridW + bx] = true
            lumaVertical(bx, by - 1); lumaVertical(bx, by); lumaVertical(bx + 1, by - 1); lumaVertical(bx + 1, by)
            reconstruct(bx >> 1, (by - 1) >> 1); reconstruct(bx >> 1, by >> 1)
            let s = edges.lumaStrength(bx, by, vertical: false)
            if s > 0 { edges.filterLuma(bx, by, vertical: false, s) }
        }

        /// The chroma segments left of macroblock (mx, my), once both macroblocks are formed.
        private func chromaVertical(_ mx: Int, _ my: Int) {
            guard let edges, mx >= 1, mx < mbW, my < mbH, !chromaVerticalDone[my * mbW + mx] else { return }
            chromaVerticalDone[my * mbW + mx] = true
            reconstruct(mx - 1, my); reconstruct(mx, my)
            edges.filterChroma(mx, my, vertical: true)
        }

        /// The chroma segments above macroblock (mx, my), after the four vertical segments they touch.
        private func chromaHorizontal(_ mx: Int, _ my: Int) {
            guard let edges, my >= 1, my < mbH, mx < mbW, !chromaHorizontalDone[my * mbW + mx] else { return }
            chromaHorizontalDone[my * mbW + mx] = true
            chromaVertical(mx, my - 1); chromaVertical(mx, my); chromaVertical(mx + 1, my - 1); chromaVertical(mx + 1, my)
            reconstruct(mx, my - 1); reconstruct(mx, my)
            edges.filterChroma(mx, my, vertical: false)
        }
    }

    /// Calls `body(bx, strength)` for every nonzero strength of `row[from..<to]`, in order. Eight
    /// strengths are read as one word and only its nonzero bytes are visited, lowest first (in the upper
    /// layers most edges need no filtering, and a test per edge was a branch no predictor could learn).
    @inline(__always)
    static func forEachStrength(_ row: UnsafePointer<UInt8>, from: Int, to: Int, _ body: (Int, Int32) -> Void) {
        var bx = from
        while bx &+ 8 <= to {
            var nonzero = nonzeroBytes(UnsafeRawPointer(row + bx).loadUnaligned(as: UInt64.self))
            while nonzero != 0 {
                let k = nonzero.trailingZeroBitCount >> 3
                nonzero &= nonzero &- 1
                body(bx &+ k, Int32(row[bx &+ k]))
            }
            bx &+= 8
        }
        while bx < to {
            if row[bx] != 0 { body(bx, Int32(row[bx])) }
            bx &+= 1
        }
    }

    /// The high bit of every nonzero byte of `word` (the other bits clear): `(byte & 0x7F) + 0x7F`
    /// carries into the high bit exactly when the low seven bits are not all zero, without carrying
    /// into the next byte.
    @inline(__always)
    static func nonzeroBytes(_ word: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return (((word & low) &+ low) | word) & ~low
    }

    /// Boundary strength between the 8x8 blocks `u0` and `u1` (indices into the 8x8 grid) as the spec
    /// states it (Specs "Deblocking").
    @inline(__always)
    static func strength(_ syntax: FrameSyntaxState, _ u0: Int, _ u1: Int) -> UInt8 {
        if syntax.cbp8[u0] != 0 || syntax.cbp8[u1] != 0 { return 2 }
        let gridW = syntax.mbWide * 2
        @inline(__always) func macroblock(_ u: Int) -> Int { ((u / gridW) >> 1) * syntax.mbWide + ((u % gridW) >> 1) }
        let m0 = macroblock(u0), m1 = macroblock(u1)
        if m0 == m1 && syntax.split[m0] == 0 { return 0 }
        let moving0 = syntax.hasMotion[m0] != 0, moving1 = syntax.hasMotion[m1] != 0
        if moving0 != moving1 { return 1 }
        if !moving0 { return 0 }
        let mode0 = syntax.skip[m0] != 0 ? 0 : syntax.mode[m0], mode1 = syntax.skip[m1] != 0 ? 0 : syntax.mode[m1]
        @inline(__always) func predictionClass(_ m: Int, _ mode: UInt8) -> UInt8 {
            let direction = PredictionDirection(rawValue: syntax.direction[m]) ?? .forward
            return direction != .forward ? FrameSyntaxState.deblockingClass(direction) : (mode == MacroblockMode.inter.rawValue ? 0 : mode)
        }
        let class0 = predictionClass(m0, mode0), class1 = predictionClass(m1, mode1)
        if class0 != class1 { return 1 }
        let dx = abs(syntax.motion8[2 * u0] - syntax.motion8[2 * u1]), dy = abs(syntax.motion8[2 * u0 + 1] - syntax.motion8[2 * u1 + 1])
        return dx >= 4 || dy >= 4 ? 1 : 0
    }

    /// Fills `syntax.edgeStrengths` (the left edge of every 8x8 block, then the top edge; 0 on the
    /// picture border) with ``strength(_:_:_:)``, one edge at a time: the reference of ``edgeStrengthsSIMD(_:)``.
    static func edgeStrengthsScalar(_ syntax: FrameSyntaxState) {
        let gridW = syntax.mbWide * 2, gridH = syntax.mbHigh * 2
        let vertical = syntax.edgeStrengths, horizontal = syntax.edgeStrengths + gridW * gridH
        for by in 0..<gridH {
            for bx in 0..<gridW {
                let u = by * gridW + bx
                vertical[u] = bx == 0 ? 0 : strength(syntax, u - 1, u)
                horizontal[u] = by == 0 ? 0 : strength(syntax, u - gridW, u)
            }
        }
    }

    /// SIMD twin of ``edgeStrengthsScalar(_:)``, eight edges at a time from the per-block coded flags,
    /// deblocking classes and vectors. Within an unsplit macroblock both blocks share class and vector,
    /// and two blocks without vectors share class 255 and the zero vector, so the spec's rule reduces to:
    /// 2 if either block is coded, else 1 if the classes differ or a vector component differs by 4 or more.
    static func edgeStrengthsSIMD(_ syntax: FrameSyntaxState) {
        let gridW = syntax.mbWide * 2, gridH = syntax.mbHigh * 2
        let vertical = syntax.edgeStrengths, horizontal = syntax.edgeStrengths + gridW * gridH
        let cbp = UnsafeRawPointer(syntax.cbp8), classes = UnsafeRawPointer(syntax.deblockingClass)
        let vectors = UnsafeRawPointer(syntax.motion8)
        /// Strengths of the eight edges between blocks u...u+7 and those `distance` blocks before them.
        @inline(__always) func eight(_ u: Int, _ distance: Int) -> SIMD8<UInt8> {
            let v = u - distance
            let coded = cbp.loadUnaligned(fromByteOffset: u, as: SIMD8<UInt8>.self) | cbp.loadUnaligned(fromByteOffset: v, as: SIMD8<UInt8>.self)
            let differ = classes.loadUnaligned(fromByteOffset: u, as: SIMD8<UInt8>.self) ^ classes.loadUnaligned(fromByteOffset: v, as: SIMD8<UInt8>.self)
            // Nonzero bytes have the top bit of x | -x set.
            let classChange = (differ | (0 &- differ)) &>> 7
            let d = vectors.loadUnaligned(fromByteOffset: 8 * u, as: SIMD16<Int32>.self) &- vectors.loadUnaligned(fromByteOffset: 8 * v, as: SIMD16<Int32>.self)
            let sign = d &>> 31, magnitude = (d ^ sign) &- sign
            // -1 in components differing by 4 or more, then either component of each vector.
            let far = unsafeBitCast((3 &- magnitude) &>> 31, to: SIMD8<UInt64>.self)
            let farBytes = SIMD8<UInt8>(truncatingIfNeeded: far | (far &>> 32)) & 1
            return (coded &<< 1) | ((classChange | farBytes) & (coded ^ 1))
        }
        /// Strengths of the edges between blocks `row + from ..< row + gridW` and those `distance` before
        /// them into `out`: eight at a time, the rest one at a time.
        @inline(__always) func fill(_ out: UnsafeMutablePointer<UInt8>, _ row: Int, from: Int, _ distance: Int) {
            var bx = from
            while bx + 8 <= gridW {
                UnsafeMutableRawPointer(out + row + bx).storeBytes(of: eight(row + bx, distance), as: SIMD8<UInt8>.self)
                bx += 8
            }
            while bx < gridW { out[row + bx] = strength(syntax, row + bx - distance, row + bx); bx += 1 }
        }
        horizontal.update(repeating: 0, count: gridW)
        for by in 0..<gridH {
            let row = by * gridW
            vertical[row] = 0
            fill(vertical, row, from: 1, 1)
            if by > 0 { fill(horizontal, row, from: 0, gridW) }
        }
    }

    /// Filters 8 lines across one luma edge. `q0` addresses the first sample after the edge of the
    /// first line; `across` steps over the edge, `along` to the next line.
    @inline(__always)
    static func filterLuma(_ q0: UnsafeMutablePointer<UInt8>, _ across: Int, _ along: Int, _ alpha: Int32, _ beta: Int32, _ tc0: Int32) {
        for line in 0..<8 {
            let p = q0 + line * along
            let p0 = Int32(p[-across]), p1 = Int32(p[-2 * across]), p2 = Int32(p[-3 * across])
            let q0v = Int32(p[0]), q1 = Int32(p[across]), q2 = Int32(p[2 * across])
            guard abs(p0 - q0v) < alpha, abs(p1 - p0) < beta, abs(q1 - q0v) < beta else { continue }
            let ap = abs(p2 - p0) < beta, aq = abs(q2 - q0v) < beta
            let tc = tc0 + (ap ? 1 : 0) + (aq ? 1 : 0)
            let delta = min(max(((q0v - p0) * 4 + (p1 - q1) + 4) >> 3, -tc), tc)
            p[-across] = UInt8(clamping: p0 + delta)
            p[0] = UInt8(clamping: q0v - delta)
            if ap { p[-2 * across] = UInt8(clamping: p1 + min(max((p2 + ((p0 + q0v + 1) >> 1) - 2 * p1) >> 1, -tc0), tc0)) }
            if aq { p[across] = UInt8(clamping: q1 + min(max((q2 + ((p0 + q0v + 1) >> 1) - 2 * q1) >> 1, -tc0), tc0)) }
        }
    }

    /// SIMD twin of ``filterLuma(_:_:_:_:_:_:)`` for a horizontal edge (`across` = the row
    /// stride, `along` = 1): the eight columns are eight lanes.
    @inline(__always)
    static func filterLumaRowsSIMD(_ q0: UnsafeMutablePointer<UInt8>, _ stride: Int, _ alpha: Int32, _ beta: Int32, _ tc0: Int32) {
        @inline(__always) func load(_ row: Int) -> SIMD8<Int16> { loadRow(q0, stride, row) }
        @inline(__always) func store(_ v: SIMD8<UInt8>, _ row: Int) {
            UnsafeMutableRawPointer(q0 + row &* stride).storeBytes(of: v, as: SIMD8<UInt8>.self)
        }
        guard let (p1, p0, q0v, q1) = lumaEdgeSIMD(load(-3), load(-2), load(-1), load(0), load(1), load(2), alpha, beta, tc0) else { return }
        store(p1, -2); store(p0, -1); store(q0v, 0); store(q1, 1)
    }

    /// SIMD twin of ``filterLuma(_:_:_:_:_:_:)`` for a vertical edge (`across` = 1, `along` = the
    /// row stride): the 8x8 samples p3...q3 of the eight lines are transposed with byte, word and
    /// doubleword interleaves (line n in lane n of each column), and p1...q1 interleaved back into
    /// one 32-bit word per line.
    @inline(__always)
    static func filterLumaColumnsSIMD(_ q0: UnsafeMutablePointer<UInt8>, _ stride: Int, _ alpha: Int32, _ beta: Int32, _ tc0: Int32) {
        @inline(__always) func line(_ n: Int) -> SIMD16<UInt8> {
            SIMD16(lowHalf: UnsafeRawPointer(q0 - 4 + n &* stride).loadUnaligned(as: SIMD8<UInt8>.self), highHalf: SIMD8())
        }
        @inline(__always) func pairs(_ a: Int) -> SIMD8<UInt16> {
            unsafeBitCast(Interleave.low(line(a), line(a + 1)), to: SIMD8<UInt16>.self)
        }
        let l01 = pairs(0), l23 = pairs(2), l45 = pairs(4), l67 = pairs(6)
        @inline(__always) func words(_ v: SIMD8<UInt16>) -> SIMD4<UInt32> { unsafeBitCast(v, to: SIMD4<UInt32>.self) }
        // Columns 0-3 and 4-7 of lines 0-3 and of lines 4-7.
        let lowTop = words(Interleave.low(l01, l23)), highTop = words(Interleave.high(l01, l23))
        let lowBottom = words(Interleave.low(l45, l67)), highBottom = words(Interleave.high(l45, l67))
        @inline(__always) func columns(_ v: SIMD4<UInt32>) -> SIMD16<UInt8> { unsafeBitCast(v, to: SIMD16<UInt8>.self) }
        let c01 = columns(Interleave.low(lowTop, lowBottom)), c23 = columns(Interleave.high(lowTop, lowBottom))
        let c45 = columns(Interleave.low(highTop, highBottom)), c67 = columns(Interleave.high(highTop, highBottom))
        guard let (p1, p0, q0v, q1) = lumaEdgeSIMD(SIMD8<Int16>(lanes: c01.highHalf), SIMD8<Int16>(lanes: c23.lowHalf),
                                                  SIMD8<Int16>(lanes: c23.highHalf), SIMD8<Int16>(lanes: c45.lowHalf),
                                                  SIMD8<Int16>(lanes: c45.highHalf), SIMD8<Int16>(lanes: c67.lowHalf),
                                                  alpha, beta, tc0) else { return }
        let inner = unsafeBitCast(Interleave.low(SIMD16(lowHalf: p1, highHalf: SIMD8()), SIMD16(lowHalf: p0, highHalf: SIMD8())),
                                  to: SIMD8<UInt16>.self)
        let outer = unsafeBitCast(Interleave.low(SIMD16(lowHalf: q0v, highHalf: SIMD8()), SIMD16(lowHalf: q1, highHalf: SIMD8())),
                                  to: SIMD8<UInt16>.self)
        let top = words(Interleave.low(inner, outer)), bottom = words(Interleave.high(inner, outer))
        for n in 0..<4 {
            UnsafeMutableRawPointer(q0 - 2 + n &* stride).storeBytes(of: UInt32(littleEndian: top[n]), as: UInt32.self)
            UnsafeMutableRawPointer(q0 - 2 + (n + 4) &* stride).storeBytes(of: UInt32(littleEndian: bottom[n]), as: UInt32.self)
        }
    }

    /// The luma edge filter on eight lines at once: returns the new p1, p0, q0, q1, or nil when no line
    /// is filtered. Every decision is a lane of 0 or 1 (see ``lanesBelow(_:_:)``) applied by
    /// multiplication, which compiles to plain vector arithmetic.
    @inline(__always)
    static func lumaEdgeSIMD(_ p2: SIMD8<Int16>, _ p1: SIMD8<Int16>, _ p0: SIMD8<Int16>, _ q0: SIMD8<Int16>, _ q1: SIMD8<Int16>, _ q2: SIMD8<Int16>,
                             _ alpha: Int32, _ beta: Int32, _ tc0: Int32)
        -> (SIMD8<UInt8>, SIMD8<UInt8>, SIMD8<UInt8>, SIMD8<UInt8>)? {
        guard let filter = lanesFiltered(p1, p0, q0, q1, alpha, beta) else { return nil }
        let b = SIMD8<Int16>(repeating: Int16(beta)), c0 = SIMD8<Int16>(repeating: Int16(tc0)), low = 0 &- c0
        let ap = lanesBelow(p2 &- p0, b) &* filter, aq = lanesBelow(q2 &- q0, b) &* filter
        let delta = lanesDelta(p1, p0, q0, q1, tc: c0 &+ ap &+ aq, filter)
        let average = (p0 &+ q0 &+ 1) &>> 1
        return (lanesToBytes(p1 &+ lanesClamp((p2 &+ average &- 2 &* p1) &>> 1, low, c0) &* ap),
                lanesToBytes(p0 &+ delta), lanesToBytes(q0 &- delta),
                lanesToBytes(q1 &+ lanesClamp((q2 &+ average &- 2 &* q1) &>> 1, low, c0) &* aq))
    }

    /// Filters 8 lines across one chroma edge (only the two samples next to the edge change).
    @inline(__always)
    static func filterChroma(_ q0: UnsafeMutablePointer<UInt8>, _ across: Int, _ along: Int, _ alpha: Int32, _ beta: Int32, _ tc: Int32) {
        for line in 0..<8 {
            let p = q0 + line * along
            let p0 = Int32(p[-across]), p1 = Int32(p[-2 * across])
            let q0v = Int32(p[0]), q1 = Int32(p[across])
            guard abs(p0 - q0v) < alpha, abs(p1 - p0) < beta, abs(q1 - q0v) < beta else { continue }
            let delta = min(max(((q0v - p0) * 4 + (p1 - q1) + 4) >> 3, -tc), tc)
            p[-across] = UInt8(clamping: p0 + delta)
            p[0] = UInt8(clamping: q0v - delta)
        }
    }

    /// SIMD twin of ``filterChroma(_:_:_:_:_:_:)`` for a horizontal edge (eight columns in lanes).
    @inline(__always)
    static func filterChromaRowsSIMD(_ q0: UnsafeMutablePointer<UInt8>, _ stride: Int, _ alpha: Int32, _ beta: Int32, _ tc: Int32) {
        @inline(__always) func load(_ row: Int) -> SIMD8<Int16> { loadRow(q0, stride, row) }
        guard let (p0, q0v) = chromaEdgeSIMD(load(-2), load(-1), load(0), load(1), alpha, beta, tc) else { return }
        UnsafeMutableRawPointer(q0 - stride).storeBytes(of: p0, as: SIMD8<UInt8>.self)
        UnsafeMutableRawPointer(q0).storeBytes(of: q0v, as: SIMD8<UInt8>.self)
    }

    /// SIMD twin of ``filterChroma(_:_:_:_:_:_:)`` for a vertical edge: the 8x4 samples p1...q1 of
    /// the eight lines transposed as in ``filterLumaColumnsSIMD(_:_:_:_:_:)``; p0 and q0 of each line
    /// go back as one 16-bit word.
    @inline(__always)
    static func filterChromaColumnsSIMD(_ q0: UnsafeMutablePointer<UInt8>, _ stride: Int, _ alpha: Int32, _ beta: Int32, _ tc: Int32) {
        @inline(__always) func line(_ n: Int) -> SIMD16<UInt8> {
            let word = UnsafeRawPointer(q0 - 2 + n &* stride).loadUnaligned(as: SIMD4<UInt8>.self)
            return SIMD16(lowHalf: SIMD8(lowHalf: word, highHalf: SIMD4()), highHalf: SIMD8())
        }
        @inline(__always) func pairs(_ a: Int) -> SIMD8<UInt16> {
            unsafeBitCast(Interleave.low(line(a), line(a + 1)), to: SIMD8<UInt16>.self)
        }
        @inline(__always) func words(_ v: SIMD8<UInt16>) -> SIMD4<UInt32> { unsafeBitCast(v, to: SIMD4<UInt32>.self) }
        let top = words(Interleave.low(pairs(0), pairs(2))), bottom = words(Interleave.low(pairs(4), pairs(6)))
        let c01 = unsafeBitCast(Interleave.low(top, bottom), to: SIMD16<UInt8>.self)
        let c23 = unsafeBitCast(Interleave.high(top, bottom), to: SIMD16<UInt8>.self)
        guard let (p0, q0v) = chromaEdgeSIMD(SIMD8<Int16>(lanes: c01.lowHalf), SIMD8<Int16>(lanes: c01.highHalf),
                                             SIMD8<Int16>(lanes: c23.lowHalf), SIMD8<Int16>(lanes: c23.highHalf),
                                             alpha, beta, tc) else { return }
        let packed = unsafeBitCast(Interleave.low(SIMD16(lowHalf: p0, highHalf: SIMD8()), SIMD16(lowHalf: q0v, highHalf: SIMD8())),
                                   to: SIMD8<UInt16>.self)
        for n in 0..<8 {
            UnsafeMutableRawPointer(q0 - 1 + n &* stride).storeBytes(of: UInt16(littleEndian: packed[n]), as: UInt16.self)
        }
    }

    /// The chroma edge filter on eight lines at once: the new p0 and q0, or nil when no line is filtered.
    @inline(__always)
    static func chromaEdgeSIMD(_ p1: SIMD8<Int16>, _ p0: SIMD8<Int16>, _ q0: SIMD8<Int16>, _ q1: SIMD8<Int16>,
                               _ alpha: Int32, _ beta: Int32, _ tc: Int32) -> (SIMD8<UInt8>, SIMD8<UInt8>)? {
        guard let filter = lanesFiltered(p1, p0, q0, q1, alpha, beta) else { return nil }
        let delta = lanesDelta(p1, p0, q0, q1, tc: SIMD8<Int16>(repeating: Int16(tc)), filter)
        return (lanesToBytes(p0 &+ delta), lanesToBytes(q0 &- delta))
    }

    /// The decision shared by luma and chroma edges: 1 in each line where `|p0 - q0| < alpha`,
    /// `|p1 - p0| < beta` and `|q1 - q0| < beta`, else 0; nil when no line is filtered.
    @inline(__always)
    static func lanesFiltered(_ p1: SIMD8<Int16>, _ p0: SIMD8<Int16>, _ q0: SIMD8<Int16>, _ q1: SIMD8<Int16>,
                              _ alpha: Int32, _ beta: Int32) -> SIMD8<Int16>? {
        let a = SIMD8<Int16>(repeating: Int16(alpha)), b = SIMD8<Int16>(repeating: Int16(beta))
        let filter = lanesMin(lanesBelow(p0 &- q0, a), lanesMin(lanesBelow(p1 &- p0, b), lanesBelow(q1 &- q0, b)))
        return isAllZero(filter) ? nil : filter
    }

    /// The change to p0 and q0 shared by luma and chroma edges, `clip(((q0 - p0) * 4 + p1 - q1 + 4) >> 3, -tc, tc)`,
    /// zero in lines that are not filtered.
    @inline(__always)
    static func lanesDelta(_ p1: SIMD8<Int16>, _ p0: SIMD8<Int16>, _ q0: SIMD8<Int16>, _ q1: SIMD8<Int16>,
                           tc: SIMD8<Int16>, _ filter: SIMD8<Int16>) -> SIMD8<Int16> {
        lanesClamp(((q0 &- p0) &* 4 &+ (p1 &- q1) &+ 4) &>> 3, 0 &- tc, tc) &* filter
    }

    /// 1 where `|d| < threshold`, else 0: `clamp(threshold - |d|, 0, 1)`.
    @inline(__always)
    static func lanesBelow(_ d: SIMD8<Int16>, _ threshold: SIMD8<Int16>) -> SIMD8<Int16> {
        lanesClamp(threshold &- lanesMax(d, 0 &- d), SIMD8(repeating: 0), SIMD8(repeating: 1))
    }

    @inline(__always)
    static func lanesClamp(_ v: SIMD8<Int16>, _ low: SIMD8<Int16>, _ high: SIMD8<Int16>) -> SIMD8<Int16> {
        lanesMin(lanesMax(v, low), high)
    }

    /// Eight samples of row `row` (relative to `q0`), widened to lanes.
    @inline(__always)
    static func loadRow(_ q0: UnsafeMutablePointer<UInt8>, _ stride: Int, _ row: Int) -> SIMD8<Int16> {
        SIMD8<Int16>(truncatingIfNeeded: UnsafeRawPointer(q0 + row &* stride).loadUnaligned(as: SIMD8<UInt8>.self))
    }

    /// Lanes clipped to 0...255 and narrowed to bytes.
    @inline(__always)
    static func lanesToBytes(_ v: SIMD8<Int16>) -> SIMD8<UInt8> {
        SIMD8<UInt8>(lanes: v.clampedToByte())
    }

    /// Lane-wise minimum, written as a select on a comparison: the form the compiler turns into one
    /// `pminsw` (and a clamp to 0...1 into a compare and a shift). The standard library's generic
    /// `pointwiseMin` can be left as a call per operation; the subtract-shift-and-add form this
    /// replaced took four instructions.
    @inline(__always)
    static func lanesMin(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>) -> SIMD8<Int16> {
        a.replacing(with: b, where: b .< a)
    }

    /// Lane-wise maximum, as ``lanesMin(_:_:)``.
    @inline(__always)
    static func lanesMax(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>) -> SIMD8<Int16> {
        a.replacing(with: b, where: b .> a)
    }
}
