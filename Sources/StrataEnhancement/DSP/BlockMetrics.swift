/// Distortion measures the encoder's decisions use: SAD (integer motion search), SATD (4x4
/// Hadamard, sub-pel search and mode pre-selection) and SSE (rate-distortion decisions).
enum BlockMetrics {
    /// Scalar reference sum of absolute differences of a `width x height` block.
    static func sadScalar(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                          _ width: Int, _ height: Int) -> Int {
        var s = 0
        for y in 0..<height {
            for x in 0..<width { s += abs(Int(a[y * aStride + x]) - Int(b[y * bStride + x])) }
        }
        return s
    }

    /// SIMD twin of ``sadScalar(_:_:_:_:_:_:)`` for width 8 and widths that are multiples of 16.
    static func sadSIMD(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                        _ width: Int, _ height: Int) -> Int {
        let rb = UnsafeRawPointer(b)
        return sadRows(a, aStride, width, height,
                       { offset in rb.loadUnaligned(fromByteOffset: offset &* bStride, as: SIMD8<UInt8>.self) },
                       { row, x in rb.loadUnaligned(fromByteOffset: row &* bStride &+ x, as: SIMD16<UInt8>.self) })
    }

    /// Scalar reference: the sum of absolute differences between `a` and the rounded average
    /// `(b + c + 1) >> 1` of two blocks (rows `stride` apart): the motion search's cost of a quarter-sample
    /// position it approximates by the average of its two nearest whole- or half-sample neighbours.
    static func sadToAverageScalar(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ c: UnsafePointer<UInt8>,
                                   _ stride: Int, _ width: Int, _ height: Int) -> Int {
        var s = 0
        for y in 0..<height {
            for x in 0..<width {
                let average = (Int(b[y * stride + x]) + Int(c[y * stride + x]) + 1) >> 1
                s += abs(Int(a[y * aStride + x]) - average)
            }
        }
        return s
    }

    /// SIMD twin of ``sadToAverageScalar(_:_:_:_:_:_:_:)`` (widths as ``sadSIMD(_:_:_:_:_:_:)``): the
    /// average taken in 8-bit lanes (``SIMD/roundedAverage(_:)``, as ``Reconstruction/averageSIMD(_:_:_:_:_:_:)``)
    /// and compared as it is made, without storing it and reading it back.
    static func sadToAverageSIMD(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ c: UnsafePointer<UInt8>,
                                 _ stride: Int, _ width: Int, _ height: Int) -> Int {
        let rb = UnsafeRawPointer(b), rc = UnsafeRawPointer(c)
        return sadRows(a, aStride, width, height,
                       { row in
                           rb.loadUnaligned(fromByteOffset: row &* stride, as: SIMD8<UInt8>.self)
                               .roundedAverage(rc.loadUnaligned(fromByteOffset: row &* stride, as: SIMD8<UInt8>.self))
                       },
                       { row, x in
                           rb.loadUnaligned(fromByteOffset: row &* stride &+ x, as: SIMD16<UInt8>.self)
                               .roundedAverage(rc.loadUnaligned(fromByteOffset: row &* stride &+ x, as: SIMD16<UInt8>.self))
                       })
    }

    /// The sum of absolute differences between `a` and the rows that `row8` (width 8: row y) or `row16`
    /// (row y, column x) return. Written as the sum of `|a - b|` over bytes widened to 32-bit lanes,
    /// the form the compiler turns into one `psadbw` per row of 16 (or 8) bytes, which sums the
    /// differences of eight bytes into a 64-bit word; the common widths, 8 and 16, have a loop of
    /// their own, as a loop over a row's columns hides the form. Lanes never overflow: a 32-bit lane
    /// sums at most 255 per row.
    @inline(__always)
    private static func sadRows(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ width: Int, _ height: Int,
                                _ row8: (Int) -> SIMD8<UInt8>, _ row16: (Int, Int) -> SIMD16<UInt8>) -> Int {
        let ra = UnsafeRawPointer(a)
        if width == 8 {
            var acc = SIMD8<Int32>(repeating: 0)
            for y in 0..<height {
                let d = SIMD8<Int32>(lanes: ra.loadUnaligned(fromByteOffset: y &* aStride, as: SIMD8<UInt8>.self)) &- SIMD8<Int32>(lanes: row8(y))
                acc &+= (d ^ (d &>> 31)) &- (d &>> 31)
            }
            return Int(acc.wrappedSum())
        }
        @inline(__always) func absoluteDifference(_ offsetA: Int, _ y: Int, _ x: Int) -> SIMD16<Int32> {
            let d = SIMD16<Int32>(lanes: ra.loadUnaligned(fromByteOffset: offsetA &+ x, as: SIMD16<UInt8>.self)) &- SIMD16<Int32>(lanes: row16(y, x))
            return (d ^ (d &>> 31)) &- (d &>> 31)
        }
        var acc = SIMD16<Int32>(repeating: 0)
        if width == 16 {
            for y in 0..<height { acc &+= absoluteDifference(y &* aStride, y, 0) }
            return Int(acc.wrappedSum())
        }
        var offsetA = 0
        for y in 0..<height {
            var x = 0
            repeat {
                acc &+= absoluteDifference(offsetA, y, x)
                x &+= 16
            } while x < width
            offsetA &+= aStride
        }
        return Int(acc.wrappedSum())
    }

    /// Scalar reference sum of the magnitudes of a 4x4 block of residuals (rows `stride` apart).
    static func sumOfMagnitudes4x4Scalar(_ block: UnsafePointer<Int16>, _ stride: Int) -> Int {
        var total = 0
        for r in 0..<4 {
            for c in 0..<4 { total += Int(block[r * stride + c].magnitude) }
        }
        return total
    }

    /// SIMD twin of ``sumOfMagnitudes4x4Scalar(_:_:)`` for residuals within -255...255 (a sample less a
    /// prediction): two rows per 16-bit vector, |v| as max(v, -v), the sum (at most 4080) taken in 16 bits.
    @inline(__always)
    static func sumOfMagnitudes4x4SIMD(_ block: UnsafePointer<Int16>, _ stride: Int) -> Int {
        let raw = UnsafeRawPointer(block)
        @inline(__always) func rows(_ r: Int) -> SIMD8<Int16> {
            SIMD8(lowHalf: raw.loadUnaligned(fromByteOffset: 2 * r * stride, as: SIMD4<Int16>.self),
                  highHalf: raw.loadUnaligned(fromByteOffset: 2 * (r + 1) * stride, as: SIMD4<Int16>.self))
        }
        return Int((rows(0).lanesMagnitude() &+ rows(2).lanesMagnitude()).wrappedSum())
    }

    /// Scalar reference: the largest sum of absolute differences of the 4x4 blocks of a
    /// `width x height` block (sides multiples of 4).
    static func largestSAD4x4Scalar(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                                    _ width: Int, _ height: Int) -> Int {
        var largest = 0
        for by in stride(from: 0, to: height, by: 4) {
            for bx in stride(from: 0, to: width, by: 4) {
                largest = max(largest, sadScalar(a + by * aStride + bx, aStride, b + by * bStride + bx, bStride, 4, 4))
            }
        }
        return largest
    }

    /// SIMD twin of ``largestSAD4x4Scalar(_:_:_:_:_:_:)`` for widths 8 and 16: four rows of absolute
    /// differences are summed in 16-bit lanes, then each run of four lanes (one block) is added up
    /// inside a 64-bit word by a multiplication with 0x0001_0001_0001_0001 (no partial sum exceeds 4080).
    static func largestSAD4x4SIMD(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                                  _ width: Int, _ height: Int) -> Int {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        let ones: UInt64 = 0x0001_0001_0001_0001
        var largest: UInt64 = 0
        for by in stride(from: 0, to: height, by: 4) {
            if width == 8 {
                var acc = SIMD8<UInt16>(repeating: 0)
                for y in by..<(by + 4) {
                    let va = ra.loadUnaligned(fromByteOffset: y * aStride, as: SIMD8<UInt8>.self)
                    let vb = rb.loadUnaligned(fromByteOffset: y * bStride, as: SIMD8<UInt8>.self)
                    acc &+= SIMD8<UInt16>(lanes: pointwiseMax(va, vb) &- pointwiseMin(va, vb))
                }
                let sums = (unsafeBitCast(acc, to: SIMD2<UInt64>.self) &* ones) &>> 48
                largest = max(largest, sums.max())
            } else {
                var acc = SIMD16<UInt16>(repeating: 0)
                for y in by..<(by + 4) {
                    let va = ra.loadUnaligned(fromByteOffset: y * aStride, as: SIMD16<UInt8>.self)
                    let vb = rb.loadUnaligned(fromByteOffset: y * bStride, as: SIMD16<UInt8>.self)
                    acc &+= SIMD16<UInt16>(lanes: pointwiseMax(va, vb) &- pointwiseMin(va, vb))
                }
                let sums = (unsafeBitCast(acc, to: SIMD4<UInt64>.self) &* ones) &>> 48
                largest = max(largest, sums.max())
            }
        }
        return Int(largest)
    }

    /// Scalar reference sum of absolute 4x4 Hadamard-transformed differences over a block
    /// whose sides are multiples of 4.
    static func satdScalar(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                           _ width: Int, _ height: Int) -> Int {
        var total = 0
        var d = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        for by in stride(from: 0, to: height, by: 4) {
            for bx in stride(from: 0, to: width, by: 4) {
                withUnsafeMutableBytes(of: &d) { raw in
                    let m = raw.baseAddress!.assumingMemoryBound(to: Int.self)
                    for y in 0..<4 {
                        for x in 0..<4 {
                            m[y * 4 + x] = Int(a[(by + y) * aStride + bx + x]) - Int(b[(by + y) * bStride + bx + x])
                        }
                    }
                    for y in 0..<4 {
                        let s0 = m[y * 4] + m[y * 4 + 1], d0 = m[y * 4] - m[y * 4 + 1]
                        let s1 = m[y * 4 + 2] + m[y * 4 + 3], d1 = m[y * 4 + 2] - m[y * 4 + 3]
                        m[y * 4] = s0 + s1; m[y * 4 + 1] = d0 + d1; m[y * 4 + 2] = s0 - s1; m[y * 4 + 3] = d0 - d1
                    }
                    for x in 0..<4 {
                        let s0 = m[x] + m[4 + x], d0 = m[x] - m[4 + x]
                        let s1 = m[8 + x] + m[12 + x], d1 = m[8 + x] - m[12 + x]
                        total += abs(s0 + s1) + abs(d0 + d1) + abs(s0 - s1) + abs(d0 - d1)
                    }
                }
            }
        }
        return total
    }

    /// SIMD twin of ``satdScalar(_:_:_:_:_:_:)``: columns of 16 samples a strip of four rows at a
    /// time, a column of 8 two strips at a time (``satdStrips(_:_:_:_:_:narrow:)``), what remains a
    /// 4x4 block at a time.
    static func satdSIMD(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                         _ width: Int, _ height: Int) -> Int {
        var total = 0
        var x = 0
        while x + 16 <= width {
            total += satdStrips(a + x, aStride, b + x, bStride, height, narrow: false)
            x += 16
        }
        if x + 8 <= width && height % 8 == 0 {
            total += satdStrips(a + x, aStride, b + x, bStride, height, narrow: true)
            x += 8
        }
        if x < width { total += satd4Columns(a + x, aStride, b + x, bStride, width - x, height) }
        return total
    }

    /// SATD of a column of 4x4 blocks in sixteen 16-bit lanes: four rows of a column 16 samples wide,
    /// or, `narrow`, of a column 8 wide with rows y and y + 4 side by side (two strips at once). The
    /// vertical butterflies are lane-wise. Horizontally, the first stage pairs neighbouring lanes
    /// (the two halves of each 32-bit word); the second uses `|a + b| + |a - b| = 2 max(|a|, |b|)`:
    /// the partners two lanes apart are the even and odd 32-bit words, and twice the larger magnitude
    /// of each pair sums the same as the absolute values of the full transform. Every lane stays
    /// within 16 bits until the strip's sum, which is taken in 32 bits.
    @inline(__always)
    private static func satdStrips(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                                   _ height: Int, narrow: Bool) -> Int {
        typealias V = SIMD16<Int16>
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        // Pairs of neighbouring lanes as 32-bit words: the even lane (low half) becomes x0 + x1, the
        // odd lane x0 - x1, with shifts only. (A rotate within 32-bit words, the shorter way to write
        // it, is compiled to one scalar rotate per word without AVX-512.)
        @inline(__always) func pairs(_ v: V) -> V {
            let w = unsafeBitCast(v, to: SIMD8<Int32>.self)
            let even = (w &<< 16) &>> 16, odd = w &>> 16
            return unsafeBitCast(((even &+ odd) & 0xFFFF) | ((even &- odd) &<< 16), to: V.self)
        }
        // The partners two lanes apart are the even and odd 32-bit words: each pair's larger magnitude,
        // in eight lanes, counts twice. (Rotating 64-bit words to line the partners up is compiled to
        // scalar rotates.)
        @inline(__always) func horizontal(_ v: V) -> SIMD8<Int16> {
            let u = pairs(v)
            let s = u &>> 15, m = unsafeBitCast((u ^ s) &- s, to: SIMD8<UInt32>.self)
            let even = unsafeBitCast(m.evenHalf, to: SIMD8<Int16>.self), odd = unsafeBitCast(m.oddHalf, to: SIMD8<Int16>.self)
            // max(even, odd) without the generic `pointwiseMax`, which is not always inlined.
            let d = odd &- even
            return odd &- (d & (d &>> 15))
        }
        @inline(__always) func samples(_ p: UnsafeRawPointer, _ stride: Int, _ y: Int) -> V {
            let bytes = narrow
                ? SIMD16<UInt8>(lowHalf: p.loadUnaligned(fromByteOffset: y &* stride, as: SIMD8<UInt8>.self),
                                highHalf: p.loadUnaligned(fromByteOffset: (y &+ 4) &* stride, as: SIMD8<UInt8>.self))
                : p.loadUnaligned(fromByteOffset: y &* stride, as: SIMD16<UInt8>.self)
            return unsafeBitCast(SIMD16<UInt16>(lanes: bytes), to: V.self)
        }
        var total = 0
        for by in stride(from: 0, to: height, by: narrow ? 8 : 4) {
            @inline(__always) func row(_ y: Int) -> V { samples(ra, aStride, by &+ y) &- samples(rb, bStride, by &+ y) }
            let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
            let s0 = r0 &+ r1, d0 = r0 &- r1, s1 = r2 &+ r3, d1 = r2 &- r3
            let sum = unsafeBitCast(horizontal(s0 &+ s1) &+ horizontal(d0 &+ d1) &+ horizontal(s0 &- s1) &+ horizontal(d0 &- d1),
                                    to: SIMD4<UInt32>.self)
            total &+= 2 &* Int(((sum & 0xFFFF) &+ (sum &>> 16)).wrappedSum())
        }
        return total
    }

    /// The block-at-a-time SATD for a remaining column of width 4.
    private static func satd4Columns(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                                     _ width: Int, _ height: Int) -> Int {
        var total = SIMD4<Int32>(repeating: 0)
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        for by in stride(from: 0, to: height, by: 4) {
            for bx in stride(from: 0, to: width, by: 4) {
                @inline(__always) func row(_ y: Int) -> SIMD4<Int32> {
                    SIMD4<Int32>(lanes: ra.loadUnaligned(fromByteOffset: (by + y) * aStride + bx, as: SIMD4<UInt8>.self))
                        &- SIMD4<Int32>(lanes: rb.loadUnaligned(fromByteOffset: (by + y) * bStride + bx, as: SIMD4<UInt8>.self))
                }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
                let s0 = r0 &+ r1, d0 = r0 &- r1, s1 = r2 &+ r3, d1 = r2 &- r3
                let v0 = s0 &+ s1, v1 = d0 &+ d1, v2 = s0 &- s1, v3 = d0 &- d1
                let c0 = SIMD4(v0[0], v1[0], v2[0], v3[0]), c1 = SIMD4(v0[1], v1[1], v2[1], v3[1])
                let c2 = SIMD4(v0[2], v1[2], v2[2], v3[2]), c3 = SIMD4(v0[3], v1[3], v2[3], v3[3])
                let t0 = c0 &+ c1, e0 = c0 &- c1, t1 = c2 &+ c3, e1 = c2 &- c3
                let h0 = t0 &+ t1, h1 = e0 &+ e1, h2 = t0 &- t1, h3 = e0 &- e1
                let zero = SIMD4<Int32>(repeating: 0)
                total &+= h0.replacing(with: zero &- h0, where: h0 .< zero) &+ h1.replacing(with: zero &- h1, where: h1 .< zero)
                total &+= h2.replacing(with: zero &- h2, where: h2 .< zero) &+ h3.replacing(with: zero &- h3, where: h3 .< zero)
            }
        }
        return Int(total.wrappedSum())
    }

    /// Scalar reference AC energy of an 8x8 area: the sum of the absolute 4x4 Hadamard coefficients of
    /// its four blocks without their DC coefficients (the SATD against a zero block, less each block's
    /// DC, which for non-negative samples is the block's sum, so the four together are the SAD
    /// against zero). The zero block is eight zero samples read with stride 0.
    static func hadamardACEnergy8x8Scalar(_ a: UnsafePointer<UInt8>, _ stride: Int) -> Int {
        withUnsafeBytes(of: UInt64(0)) { raw in
            let zero = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return satdScalar(a, stride, zero, 0, 8, 8) - sadScalar(a, stride, zero, 0, 8, 8)
        }
    }

    /// SIMD twin of ``hadamardACEnergy8x8Scalar(_:_:)``: the eight rows in 16-bit lanes, the vertical
    /// 4-point transforms of both halves lane-wise, a transpose (three rounds of interleaving, which
    /// compile to `punpck` instructions), then the horizontal transforms lane-wise too, their last stage
    /// as `|a + b| + |a - b| = 2 max(|a|, |b|)`; less the samples' sum (the lanes of the two vertical
    /// DC rows). Lanes stay within 16 bits: a lane of the sum holds at most 4 * 2040.
    static func hadamardACEnergy8x8(_ a: UnsafePointer<UInt8>, _ stride: Int) -> Int {
        typealias V = SIMD8<Int16>
        let ra = UnsafeRawPointer(a)
        @inline(__always) func row(_ y: Int) -> V { V(lanes: ra.loadUnaligned(fromByteOffset: y &* stride, as: SIMD8<UInt8>.self)) }
        let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
        let s0 = r0 &+ r1, d0 = r0 &- r1, s1 = r2 &+ r3, d1 = r2 &- r3
        let s2 = r4 &+ r5, d2 = r4 &- r5, s3 = r6 &+ r7, d3 = r6 &- r7
        let v0 = s0 &+ s1, v1 = d0 &+ d1, v2 = s0 &- s1, v3 = d0 &- d1
        let v4 = s2 &+ s3, v5 = d2 &+ d3, v6 = s2 &- s3, v7 = d2 &- d3
        // Column k of the transformed rows: c_k lane j = v_j[k].
        let a0 = v0.interleavingLow16(v1), a1 = v0.interleavingHigh16(v1), a2 = v2.interleavingLow16(v3), a3 = v2.interleavingHigh16(v3)
        let a4 = v4.interleavingLow16(v5), a5 = v4.interleavingHigh16(v5), a6 = v6.interleavingLow16(v7), a7 = v6.interleavingHigh16(v7)
        let b0 = a0.interleavingLow32(a2), b1 = a0.interleavingHigh32(a2), b2 = a1.interleavingLow32(a3), b3 = a1.interleavingHigh32(a3)
        let b4 = a4.interleavingLow32(a6), b5 = a4.interleavingHigh32(a6), b6 = a5.interleavingLow32(a7), b7 = a5.interleavingHigh32(a7)
        let c0 = b0.interleavingLow64(b4), c1 = b0.interleavingHigh64(b4), c2 = b1.interleavingLow64(b5), c3 = b1.interleavingHigh64(b5)
        let c4 = b2.interleavingLow64(b6), c5 = b2.interleavingHigh64(b6), c6 = b3.interleavingLow64(b7), c7 = b3.interleavingHigh64(b7)
        let t0 = c0 &+ c1, e0 = c0 &- c1, t1 = c2 &+ c3, e1 = c2 &- c3
        let t2 = c4 &+ c5, e2 = c4 &- c5, t3 = c6 &+ c7, e3 = c6 &- c7
        // The larger magnitude of each pair of lanes (a select the compiler left as a call; lanes within +-2040).
        @inline(__always) func larger(_ x: V, _ y: V) -> V {
            let mx = x.lanesMagnitude(), my = y.lanesMagnitude(), d = my &- mx
            return my &- (d & (d &>> 15))
        }
        let halves = larger(t0, t1) &+ larger(e0, e1) &+ larger(t2, t3) &+ larger(e2, e3)
        @inline(__always) func laneSum(_ v: V) -> Int {
            let words = unsafeBitCast(v, to: SIMD4<UInt32>.self)
            return Int(((words & 0xFFFF) &+ (words &>> 16)).wrappedSum())
        }
        return 2 &* laneSum(halves) &- laneSum(v0 &+ v4)
    }

    /// Sum of squared differences of a block.
    static func sseScalar(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                          _ width: Int, _ height: Int) -> Int {
        var s = 0
        for y in 0..<height {
            for x in 0..<width {
                let d = Int(a[y * aStride + x]) - Int(b[y * bStride + x])
                s += d * d
            }
        }
        return s
    }

    /// SIMD twin of ``sseScalar(_:_:_:_:_:_:)`` for widths that are multiples of 8 and blocks of at most
    /// 65536 samples (a 32-bit lane sums a quarter of the squares, each at most 255 * 255).
    static func sseSIMD(_ a: UnsafePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                        _ width: Int, _ height: Int) -> Int {
        assert(width * height <= 1 << 16, "SSE lanes would overflow")
        var acc = SIMD4<Int32>(repeating: 0)
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 8) {
                let d = SIMD8<Int16>(lanes: ra.loadUnaligned(fromByteOffset: y * aStride + x, as: SIMD8<UInt8>.self))
                    &- SIMD8<Int16>(lanes: rb.loadUnaligned(fromByteOffset: y * bStride + x, as: SIMD8<UInt8>.self))
                acc &+= d.multipliedAddingPairs(d)
            }
        }
        return Int(acc.wrappedSum())
    }
}
