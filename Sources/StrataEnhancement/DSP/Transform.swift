/// Integer block transforms: the normative inverse 4x4 and 8x8 transforms (Specs section
/// "Inverse transform") and the encoder's matching forward transforms.
///
/// Inverse transforms take dequantized coefficients (raster order, `Int32`) and write the residual
/// `(x + 32) >> 6` as `Int16` rows of `outStride`. All arithmetic wraps, so corrupt coefficients
/// give garbage pictures, never a trap.
enum Transform {
    // MARK: 4x4

    @inline(__always) static func inverse4(_ d0: Int32, _ d1: Int32, _ d2: Int32, _ d3: Int32) -> (Int32, Int32, Int32, Int32) {
        let e0 = d0 &+ d2, e1 = d0 &- d2
        let e2 = (d1 >> 1) &- d3, e3 = d1 &+ (d3 >> 1)
        return (e0 &+ e3, e1 &+ e2, e1 &- e2, e0 &- e3)
    }

    /// Scalar reference: rows (horizontal) first, then columns.
    static func inverse4x4Scalar(_ c: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<Int16>, _ outStride: Int) {
        var t = (Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0),
                 Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0), Int32(0))
        withUnsafeMutableBytes(of: &t) { raw in
            let m = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
            for i in 0..<4 {
                let r = inverse4(c[i * 4], c[i * 4 + 1], c[i * 4 + 2], c[i * 4 + 3])
                m[i * 4] = r.0; m[i * 4 + 1] = r.1; m[i * 4 + 2] = r.2; m[i * 4 + 3] = r.3
            }
            for j in 0..<4 {
                let r = inverse4(m[j], m[4 + j], m[8 + j], m[12 + j])
                out[j] = Int16(truncatingIfNeeded: (r.0 &+ 32) >> 6)
                out[outStride + j] = Int16(truncatingIfNeeded: (r.1 &+ 32) >> 6)
                out[2 * outStride + j] = Int16(truncatingIfNeeded: (r.2 &+ 32) >> 6)
                out[3 * outStride + j] = Int16(truncatingIfNeeded: (r.3 &+ 32) >> 6)
            }
        }
    }

    /// SIMD twin of ``inverse4x4Scalar(_:_:_:)``: the four rows are transformed at once as columns
    /// of SIMD4 vectors, then the columns.
    static func inverse4x4SIMD(_ c: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<Int16>, _ outStride: Int) {
        let raw = UnsafeRawPointer(c)
        let r0 = raw.loadUnaligned(as: SIMD4<Int32>.self), r1 = raw.loadUnaligned(fromByteOffset: 16, as: SIMD4<Int32>.self)
        let r2 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD4<Int32>.self), r3 = raw.loadUnaligned(fromByteOffset: 48, as: SIMD4<Int32>.self)
        // Vector k holds element k of every row: a transpose, so the butterfly runs horizontally.
        let c0 = SIMD4(r0[0], r1[0], r2[0], r3[0]), c1 = SIMD4(r0[1], r1[1], r2[1], r3[1])
        let c2 = SIMD4(r0[2], r1[2], r2[2], r3[2]), c3 = SIMD4(r0[3], r1[3], r2[3], r3[3])
        let e0 = c0 &+ c2, e1 = c0 &- c2, e2 = (c1 &>> 1) &- c3, e3 = c1 &+ (c3 &>> 1)
        let h0 = e0 &+ e3, h1 = e1 &+ e2, h2 = e1 &- e2, h3 = e0 &- e3
        // h_k[i] is row i, column k; transpose back to rows for the vertical pass.
        let v0 = SIMD4(h0[0], h1[0], h2[0], h3[0]), v1 = SIMD4(h0[1], h1[1], h2[1], h3[1])
        let v2 = SIMD4(h0[2], h1[2], h2[2], h3[2]), v3 = SIMD4(h0[3], h1[3], h2[3], h3[3])
        let f0 = v0 &+ v2, f1 = v0 &- v2, f2 = (v1 &>> 1) &- v3, f3 = v1 &+ (v3 &>> 1)
        let rounding = SIMD4<Int32>(repeating: 32)
        let o0 = (f0 &+ f3 &+ rounding) &>> 6, o1 = (f1 &+ f2 &+ rounding) &>> 6
        let o2 = (f1 &- f2 &+ rounding) &>> 6, o3 = (f0 &- f3 &+ rounding) &>> 6
        let outRaw = UnsafeMutableRawPointer(out)
        outRaw.storeBytes(of: SIMD4<Int16>(lanes: o0), as: SIMD4<Int16>.self)
        outRaw.storeBytes(of: SIMD4<Int16>(lanes: o1), toByteOffset: 2 * outStride, as: SIMD4<Int16>.self)
        outRaw.storeBytes(of: SIMD4<Int16>(lanes: o2), toByteOffset: 4 * outStride, as: SIMD4<Int16>.self)
        outRaw.storeBytes(of: SIMD4<Int16>(lanes: o3), toByteOffset: 6 * outStride, as: SIMD4<Int16>.self)
    }

    /// Scalar reference forward 4x4 core transform of a residual block (rows of `inStride`) into raster
    /// coefficients.
    static func forward4x4Scalar(_ x: UnsafePointer<Int16>, _ inStride: Int, _ c: UnsafeMutablePointer<Int32>) {
        for i in 0..<4 {
            let p = x + i * inStride
            let s03 = Int32(p[0]) + Int32(p[3]), d03 = Int32(p[0]) - Int32(p[3])
            let s12 = Int32(p[1]) + Int32(p[2]), d12 = Int32(p[1]) - Int32(p[2])
            c[i * 4] = s03 + s12; c[i * 4 + 2] = s03 - s12
            c[i * 4 + 1] = 2 * d03 + d12; c[i * 4 + 3] = d03 - 2 * d12
        }
        for j in 0..<4 {
            let s03 = c[j] + c[12 + j], d03 = c[j] - c[12 + j]
            let s12 = c[4 + j] + c[8 + j], d12 = c[4 + j] - c[8 + j]
            c[j] = s03 + s12; c[8 + j] = s03 - s12
            c[4 + j] = 2 * d03 + d12; c[12 + j] = d03 - 2 * d12
        }
    }

    /// SIMD twin of ``forward4x4Scalar(_:_:_:)``: the four rows, transposed so that each vector holds
    /// one column, pass the butterfly of all rows at once; transposed back, the columns' butterfly
    /// gives the rows of coefficients.
    static func forward4x4SIMD(_ x: UnsafePointer<Int16>, _ inStride: Int, _ c: UnsafeMutablePointer<Int32>) {
        let raw = UnsafeRawPointer(x)
        @inline(__always) func row(_ i: Int) -> SIMD4<Int32> {
            SIMD4<Int32>(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 2 &* i &* inStride, as: SIMD4<Int16>.self))
        }
        @inline(__always) func butterfly(_ v: (SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>))
            -> (SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>) {
            let s03 = v.0 &+ v.3, d03 = v.0 &- v.3, s12 = v.1 &+ v.2, d12 = v.1 &- v.2
            return (s03 &+ s12, (d03 &<< 1) &+ d12, s03 &- s12, d03 &- (d12 &<< 1))
        }
        let columns = butterfly(transpose4(row(0), row(1), row(2), row(3)))
        let out = butterfly(transpose4(columns.0, columns.1, columns.2, columns.3))
        let o = UnsafeMutableRawPointer(c)
        o.storeBytes(of: out.0, as: SIMD4<Int32>.self)
        o.storeBytes(of: out.1, toByteOffset: 16, as: SIMD4<Int32>.self)
        o.storeBytes(of: out.2, toByteOffset: 32, as: SIMD4<Int32>.self)
        o.storeBytes(of: out.3, toByteOffset: 48, as: SIMD4<Int32>.self)
    }

    // MARK: 8x8

    @inline(__always) static func inverse8(_ d: UnsafeMutablePointer<Int32>, _ step: Int) {
        let d0 = d[0], d1 = d[step], d2 = d[2 * step], d3 = d[3 * step]
        let d4 = d[4 * step], d5 = d[5 * step], d6 = d[6 * step], d7 = d[7 * step]
        let e0 = d0 &+ d4
        let e1 = (0 &- d3) &+ d5 &- d7 &- (d7 >> 1)
        let e2 = d0 &- d4
        let e3 = d1 &+ d7 &- d3 &- (d3 >> 1)
        let e4 = (d2 >> 1) &- d6
        let e5 = (0 &- d1) &+ d7 &+ d5 &+ (d5 >> 1)
        let e6 = d2 &+ (d6 >> 1)
        let e7 = d3 &+ d5 &+ d1 &+ (d1 >> 1)
        let f0 = e0 &+ e6, f1 = e1 &+ (e7 >> 2), f2 = e2 &+ e4, f3 = e3 &+ (e5 >> 2)
        let f4 = e2 &- e4, f5 = (e3 >> 2) &- e5, f6 = e0 &- e6, f7 = e7 &- (e1 >> 2)
        d[0] = f0 &+ f7; d[step] = f2 &+ f5; d[2 * step] = f4 &+ f3; d[3 * step] = f6 &+ f1
        d[4 * step] = f6 &- f1; d[5 * step] = f4 &- f3; d[6 * step] = f2 &- f5; d[7 * step] = f0 &- f7
    }

    /// Scalar reference 8x8 inverse: rows first, then columns. `scratch` holds 64 values.
    static func inverse8x8Scalar(_ c: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<Int16>, _ outStride: Int,
                                 _ scratch: UnsafeMutablePointer<Int32>) {
        scratch.update(from: c, count: 64)
        for i in 0..<8 { inverse8(scratch + i * 8, 1) }
        for j in 0..<8 { inverse8(scratch + j, 8) }
        for i in 0..<8 {
            for j in 0..<8 { out[i * outStride + j] = Int16(truncatingIfNeeded: (scratch[i * 8 + j] &+ 32) >> 6) }
        }
    }

    @inline(__always) static func inverse8Vectors(_ v: inout (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>,
                                                             SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>)) {
        let (d0, d1, d2, d3, d4, d5, d6, d7) = v
        let zero = SIMD8<Int32>(repeating: 0)
        let e0 = d0 &+ d4
        let e1 = (zero &- d3) &+ d5 &- d7 &- (d7 &>> 1)
        let e2 = d0 &- d4
        let e3 = d1 &+ d7 &- d3 &- (d3 &>> 1)
        let e4 = (d2 &>> 1) &- d6
        let e5 = (zero &- d1) &+ d7 &+ d5 &+ (d5 &>> 1)
        let e6 = d2 &+ (d6 &>> 1)
        let e7 = d3 &+ d5 &+ d1 &+ (d1 &>> 1)
        let f0 = e0 &+ e6, f1 = e1 &+ (e7 &>> 2), f2 = e2 &+ e4, f3 = e3 &+ (e5 &>> 2)
        let f4 = e2 &- e4, f5 = (e3 &>> 2) &- e5, f6 = e0 &- e6, f7 = e7 &- (e1 &>> 2)
        v = (f0 &+ f7, f2 &+ f5, f4 &+ f3, f6 &+ f1, f6 &- f1, f4 &- f3, f2 &- f5, f0 &- f7)
    }

    /// Eight vectors of eight 32-bit lanes, an 8x8 block.
    typealias Block32 = (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>)

    /// The 4x4 transpose of rows `a`...`d`, by 32-bit and 64-bit interleaves.
    @inline(__always) static func transpose4(_ a: SIMD4<Int32>, _ b: SIMD4<Int32>, _ c: SIMD4<Int32>, _ d: SIMD4<Int32>)
        -> (SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>, SIMD4<Int32>) {
        let ab0 = SIMD4(a[0], b[0], a[1], b[1]), ab1 = SIMD4(a[2], b[2], a[3], b[3])
        let cd0 = SIMD4(c[0], d[0], c[1], d[1]), cd1 = SIMD4(c[2], d[2], c[3], d[3])
        return (SIMD4(ab0[0], ab0[1], cd0[0], cd0[1]), SIMD4(ab0[2], ab0[3], cd0[2], cd0[3]),
                SIMD4(ab1[0], ab1[1], cd1[0], cd1[1]), SIMD4(ab1[2], ab1[3], cd1[2], cd1[3]))
    }

    /// The transpose of an 8x8 block of 32-bit lanes (row vectors become column vectors), as four 4x4 transposes.
    @inline(__always) static func transpose(_ r: Block32) -> Block32 {
        let (a0, a1, a2, a3) = transpose4(r.0.lowHalf, r.1.lowHalf, r.2.lowHalf, r.3.lowHalf)
        let (b0, b1, b2, b3) = transpose4(r.4.lowHalf, r.5.lowHalf, r.6.lowHalf, r.7.lowHalf)
        let (c0, c1, c2, c3) = transpose4(r.0.highHalf, r.1.highHalf, r.2.highHalf, r.3.highHalf)
        let (d0, d1, d2, d3) = transpose4(r.4.highHalf, r.5.highHalf, r.6.highHalf, r.7.highHalf)
        return (SIMD8(lowHalf: a0, highHalf: b0), SIMD8(lowHalf: a1, highHalf: b1), SIMD8(lowHalf: a2, highHalf: b2),
                SIMD8(lowHalf: a3, highHalf: b3), SIMD8(lowHalf: c0, highHalf: d0), SIMD8(lowHalf: c1, highHalf: d1),
                SIMD8(lowHalf: c2, highHalf: d2), SIMD8(lowHalf: c3, highHalf: d3))
    }

    /// SIMD twin of ``inverse8x8Scalar(_:_:_:_:)``: the butterfly runs on eight SIMD8 vectors, the
    /// block transposed in registers before the horizontal pass and back before the vertical one.
    /// (`scratch` is not used; the signature is the scalar reference's.)
    static func inverse8x8SIMD(_ c: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<Int16>, _ outStride: Int,
                               _ scratch: UnsafeMutablePointer<Int32>) {
        let p = UnsafeRawPointer(c)
        @inline(__always) func load(_ i: Int) -> SIMD8<Int32> { p.loadUnaligned(fromByteOffset: i &* 32, as: SIMD8<Int32>.self) }
        // Column k of every row in vector k: the horizontal pass.
        var v = transpose((load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7)))
        inverse8Vectors(&v)
        // Back to rows for the vertical pass.
        var w = transpose(v)
        inverse8Vectors(&w)
        let rounding = SIMD8<Int32>(repeating: 32)
        let o = UnsafeMutableRawPointer(out)
        @inline(__always) func store(_ row: SIMD8<Int32>, _ i: Int) {
            o.storeBytes(of: SIMD8<Int16>(lanes: (row &+ rounding) &>> 6), toByteOffset: 2 &* i &* outStride, as: SIMD8<Int16>.self)
        }
        store(w.0, 0); store(w.1, 1); store(w.2, 2); store(w.3, 3)
        store(w.4, 4); store(w.5, 5); store(w.6, 6); store(w.7, 7)
    }

    /// Rows of the 8x8 basis scaled by 8 (the inverse transform of a unit coefficient times 8).
    static let basis8: [Int32] = [
        8, 8, 8, 8, 8, 8, 8, 8,
        12, 10, 6, 3, -3, -6, -10, -12,
        8, 4, -4, -8, -8, -4, 4, 8,
        10, -3, -12, -6, 6, 12, 3, -10,
        8, -8, -8, 8, 8, -8, -8, 8,
        6, -12, 3, 10, -10, -3, 12, -6,
        4, -8, 8, -4, -4, 8, -8, 4,
        3, -6, 10, -12, 12, -10, 6, -3,
    ]

    /// Scalar reference forward 8x8 transform: projection on ``basis8`` (rows, then columns), `(s + 32) >> 6`.
    static func forward8x8Scalar(_ x: UnsafePointer<Int16>, _ inStride: Int, _ c: UnsafeMutablePointer<Int32>,
                           _ scratch: UnsafeMutablePointer<Int32>) {
        basis8.withUnsafeBufferPointer { b in
            for i in 0..<8 {
                let p = x + i * inStride
                for k in 0..<8 {
                    var s: Int32 = 0
                    for n in 0..<8 { s += b[k * 8 + n] * Int32(p[n]) }
                    scratch[i * 8 + k] = s
                }
            }
            for k in 0..<8 {
                for j in 0..<8 {
                    var s: Int32 = 0
                    for n in 0..<8 { s += b[k * 8 + n] * scratch[n * 8 + j] }
                    c[k * 8 + j] = (s + 32) >> 6
                }
            }
        }
    }

    /// Row `k` of ``basis8`` as a vector, for the SIMD forward transform.
    @inline(__always) static func basisRow(_ k: Int) -> SIMD8<Int32> {
        switch k {
        case 0: return SIMD8(8, 8, 8, 8, 8, 8, 8, 8)
        case 1: return SIMD8(12, 10, 6, 3, -3, -6, -10, -12)
        case 2: return SIMD8(8, 4, -4, -8, -8, -4, 4, 8)
        case 3: return SIMD8(10, -3, -12, -6, 6, 12, 3, -10)
        case 4: return SIMD8(8, -8, -8, 8, 8, -8, -8, 8)
        case 5: return SIMD8(6, -12, 3, 10, -10, -3, 12, -6)
        case 6: return SIMD8(4, -8, 8, -4, -4, 8, -8, 4)
        default: return SIMD8(3, -6, 10, -12, 12, -10, 6, -3)
        }
    }

    /// One-dimensional forward 8x8 projection on ``basis8`` of vectors `x.0`...`x.7` (lane-wise), as a
    /// butterfly: the even basis rows act on `x_n + x_(7-n)`, the odd rows on `x_n - x_(7-n)`, and the
    /// products by 12, 10, 6, 4 and 3 are shifts and adds (SSE2 has no 32-bit multiply). Exact: the
    /// same integers as the matrix product.
    @inline(__always) static func forward8Vectors(_ x: Block32) -> Block32 {
        typealias V = SIMD8<Int32>
        let s0 = x.0 &+ x.7, s1 = x.1 &+ x.6, s2 = x.2 &+ x.5, s3 = x.3 &+ x.4
        let d0 = x.0 &- x.7, d1 = x.1 &- x.6, d2 = x.2 &- x.5, d3 = x.3 &- x.4
        let e0 = s0 &+ s3, e1 = s1 &+ s2, e2 = s0 &- s3, e3 = s1 &- s2
        let one = V(repeating: 1), two = V(repeating: 2), three = V(repeating: 3)
        @inline(__always) func times3(_ v: V) -> V { (v &<< one) &+ v }
        @inline(__always) func times6(_ v: V) -> V { (v &<< two) &+ (v &<< one) }
        @inline(__always) func times10(_ v: V) -> V { (v &<< three) &+ (v &<< one) }
        @inline(__always) func times12(_ v: V) -> V { (v &<< three) &+ (v &<< two) }
        return ((e0 &+ e1) &<< three, times12(d0) &+ times10(d1) &+ times6(d2) &+ times3(d3),
                (e2 &<< three) &+ (e3 &<< two), times10(d0) &- times3(d1) &- times12(d2) &- times6(d3),
                (e0 &- e1) &<< three, times6(d0) &- times12(d1) &+ times3(d2) &+ times10(d3),
                (e2 &<< two) &- (e3 &<< three), times3(d0) &- times6(d1) &+ times10(d2) &- times12(d3))
    }

    /// SIMD twin of ``forward8x8Scalar(_:_:_:_:)``: the rows, widened to 32-bit lanes, are transposed
    /// in registers and projected horizontally (``forward8Vectors(_:)``), then transposed back and
    /// projected vertically. (`scratch` is not used; the signature is the scalar reference's.)
    static func forward8x8SIMD(_ x: UnsafePointer<Int16>, _ inStride: Int, _ c: UnsafeMutablePointer<Int32>,
                               _ scratch: UnsafeMutablePointer<Int32>) {
        let p = UnsafeRawPointer(x)
        @inline(__always) func load(_ i: Int) -> SIMD8<Int32> {
            SIMD8<Int32>(lanes: p.loadUnaligned(fromByteOffset: 2 &* i &* inStride, as: SIMD8<Int16>.self))
        }
        // Columns as vectors (lane = row) for the horizontal pass, then rows again for the vertical one.
        let v = forward8Vectors(transpose(forward8Vectors(transpose((load(0), load(1), load(2), load(3), load(4), load(5),
                                                                       load(6), load(7))))))
        let rounding = SIMD8<Int32>(repeating: 32)
        let out = UnsafeMutableRawPointer(c)
        @inline(__always) func store(_ row: SIMD8<Int32>, _ k: Int) {
            out.storeBytes(of: (row &+ rounding) &>> 6, toByteOffset: k &* 32, as: SIMD8<Int32>.self)
        }
        store(v.0, 0); store(v.1, 1); store(v.2, 2); store(v.3, 3)
        store(v.4, 4); store(v.5, 5); store(v.6, 6); store(v.7, 7)
    }
}
