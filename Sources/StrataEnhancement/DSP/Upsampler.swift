/// The filter of the normative inter-layer upsampler (Specs "Inter-layer prediction"): 4 taps for
/// each of 16 phases, from Keys' cubic convolution kernel with parameter `a`, rounded to sum 64.
enum UpsamplingFilter: Sendable {
    /// a = -1/2, bitstream versions 1 to 7.
    case cubicHalf
    /// a = -3/4, sharper, from bitstream version 8.
    case cubicThreeQuarters

    /// The filter a layer of bitstream `version` upsamples with.
    init(version: UInt8) { self = version >= 8 ? .cubicThreeQuarters : .cubicHalf }

    /// Taps per phase, 4 each.
    var taps: [Int32] {
        switch self {
        case .cubicHalf:
            return [0, 64, 0, 0, -2, 64, 2, 0, -3, 61, 6, 0, -4, 59, 10, -1,
                    -4, 56, 14, -2, -5, 51, 20, -2, -5, 47, 25, -3, -4, 41, 30, -3,
                    -4, 36, 36, -4, -3, 30, 41, -4, -3, 25, 47, -5, -2, 20, 51, -5,
                    -2, 14, 56, -4, -1, 10, 59, -4, 0, 6, 61, -3, 0, 2, 64, -2]
        case .cubicThreeQuarters:
            return [0, 64, 0, 0, -3, 64, 3, 0, -5, 63, 7, -1, -6, 59, 12, -1,
                    -7, 56, 17, -2, -7, 52, 22, -3, -7, 48, 27, -4, -7, 43, 33, -5,
                    -6, 38, 38, -6, -5, 33, 43, -7, -4, 27, 48, -7, -3, 22, 52, -7,
                    -2, 17, 56, -7, -1, 12, 59, -6, -1, 7, 63, -5, 0, 3, 64, -3]
        }
    }

    /// The taps of phase 4, which exactly 2x upsampling uses with those of phase 12 (the same, reversed).
    var phase4: Upsampler.Taps2x {
        let t = taps
        return Upsampler.Taps2x(Int16(t[16]), Int16(t[17]), Int16(t[18]), Int16(t[19]))
    }
}

/// The normative inter-layer upsampler (Specs "Inter-layer prediction"): separable, 4 taps,
/// 16 phases (``UpsamplingFilter``), centre-aligned sample grids, edge replication.
///
/// Output column x maps to input position `p = ((2x + 1) * inW * 8) / outW - 8` in 1/16 sample
/// (floor division); taps sit at `(p >> 4) - 1 ... (p >> 4) + 2` with phase `p & 15`. The horizontal
/// pass rounds `(s + 32) >> 6` without clipping, the vertical pass rounds `(s + 32) >> 6` and clips,
/// so every intermediate fits 16 bits.
/// At 1x every phase is 0 and the filter is the identity.
final class Upsampler {
    /// The taps of exactly 2x upsampling: phase 4's `(a, b, c, d)`, which output 2i + 1 applies to inputs
    /// i-1...i+2; output 2i applies phase 12's, `(d, c, b, a)`, to inputs i-2...i+1.
    struct Taps2x: Sendable {
        let a: Int16, b: Int16, c: Int16, d: Int16
        init(_ a: Int16, _ b: Int16, _ c: Int16, _ d: Int16) { (self.a, self.b, self.c, self.d) = (a, b, c, d) }
    }

    let inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int
    let filter: UpsamplingFilter
    private let taps2x: Taps2x
    /// Per output column: four clamped input columns and four taps.
    private var columnIndex: [Int32], columnTaps: [Int16]
    /// Per output row: four clamped input rows and four taps.
    private var rowIndex: [Int32], rowTaps: [Int32]
    /// Horizontal pass results of the last ``ringRows`` input rows (row r in slot r mod ``ringRows``),
    /// `outWidth` wide rounded up to 16 columns: the vertical pass reads them while they are in cache.
    private var intermediate: [Int16]
    /// Rows of the ring: an output row reads four consecutive input rows, so eight always hold them.
    private static let ringRows = 8
    private let intermediateStride: Int

    /// Input position in 1/16 sample of output sample `x` (normative).
    static func position(_ x: Int, inSize: Int, outSize: Int) -> Int {
        let numerator = (2 * x + 1) * inSize * 8
        return numerator / outSize - 8
    }

    init(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int, filter: UpsamplingFilter = .cubicThreeQuarters) {
        self.inWidth = inWidth; self.inHeight = inHeight; self.outWidth = outWidth; self.outHeight = outHeight
        self.filter = filter
        taps2x = filter.phase4
        let phaseTaps = filter.taps
        func table(outSize: Int, inSize: Int) -> ([Int32], [Int32]) {
            var index = [Int32](), taps = [Int32]()
            for x in 0..<outSize {
                let p = Upsampler.position(x, inSize: inSize, outSize: outSize)
                let base = p >> 4, phase = p & 15
                for k in 0..<4 {
                    index.append(Int32(min(max(base - 1 + k, 0), inSize - 1)))
                    taps.append(phaseTaps[phase * 4 + k])
                }
            }
            return (index, taps)
        }
        let (ci, ct) = table(outSize: outWidth, inSize: inWidth)
        columnIndex = ci
        columnTaps = ct.map { Int16($0) }
        (rowIndex, rowTaps) = table(outSize: outHeight, inSize: inHeight)
        intermediateStride = (outWidth + 15) / 16 * 16
        intermediate = [Int16](repeating: 0, count: intermediateStride * Upsampler.ringRows)
    }

    /// Upsamples `src` (`inWidth x inHeight`, rows `srcStride`) into `dst` (`outWidth x outHeight`),
    /// or only the output rows `rows` (an even start at exactly 2x vertically), which are the same
    /// bytes as in the whole picture. `vectorized` selects the SIMD vertical pass; both give identical bytes.
    func upsample(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                  rows: Range<Int>? = nil, vectorized: Bool = true) {
        let rows = rows ?? 0..<outHeight
        if inWidth == outWidth && inHeight == outHeight {
            for y in rows { (dst + y * dstStride).update(from: src + y * srcStride, count: outWidth) }
            return
        }
        guard !rows.isEmpty else { return }
        let w = outWidth, mid = intermediateStride, ring = Upsampler.ringRows
        intermediate.withUnsafeMutableBufferPointer { t in
            columnIndex.withUnsafeBufferPointer { ci in
                columnTaps.withUnsafeBufferPointer { ct in
                    rowIndex.withUnsafeBufferPointer { ri in
                        rowTaps.withUnsafeBufferPointer { rt in
                            // Input rows are filtered horizontally as the output rows first need them (the
                            // four rows of an output row are consecutive and never go back), into a ring,
                            // from the first row the first output row reads.
                            var filtered = Int(ri[rows.lowerBound * 4])
                            @inline(__always) func row(_ r: Int32) -> UnsafePointer<Int16> {
                                UnsafePointer(t.baseAddress! + (Int(r) % ring) * mid)
                            }
                            let pairs = vectorized && outHeight == 2 * inHeight
                            assert(!pairs || rows.lowerBound % 2 == 0, "2x pairs start at even rows")
                            var y = rows.lowerBound
                            while y < rows.upperBound {
                                let r = ri.baseAddress! + y * 4, c = rt.baseAddress! + y * 4
                                // At exactly 2x, rows 2i and 2i+1 read five consecutive (clamped) input
                                // rows: filtered together, they share loads and a product.
                                let rowsNeeded = pairs ? Int(r[7]) : Int(r[3])
                                while filtered <= rowsNeeded {
                                    let out = t.baseAddress! + (filtered % ring) * mid
                                    if vectorized && outWidth == 2 * inWidth {
                                        Upsampler.horizontal2xSIMD(src + filtered * srcStride, out, inWidth, taps2x)
                                    } else {
                                        Upsampler.horizontalScalar(src + filtered * srcStride, out, w, ci.baseAddress!, ct.baseAddress!)
                                    }
                                    filtered += 1
                                }
                                if pairs {
                                    Upsampler.vertical2xPairSIMD((row(r[0]), row(r[1]), row(r[2]), row(r[3]), row(r[7])),
                                                                 dst + y * dstStride, dst + (y + 1) * dstStride, w, taps2x)
                                    y += 2
                                    continue
                                }
                                let rows = (row(r[0]), row(r[1]), row(r[2]), row(r[3]))
                                if vectorized {
                                    Upsampler.verticalSIMD(rows, (c[0], c[1], c[2], c[3]), dst + y * dstStride, w)
                                } else {
                                    Upsampler.verticalScalar(rows, (c[0], c[1], c[2], c[3]), dst + y * dstStride, w)
                                }
                                y += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Horizontal pass of one row with per-column indices and taps.
    static func horizontalScalar(_ src: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<Int16>, _ width: Int,
                                 _ index: UnsafePointer<Int32>, _ taps: UnsafePointer<Int16>) {
        for x in 0..<width {
            let i = index + 4 * x, c = taps + 4 * x
            var s = Int32(c[0]) * Int32(src[Int(i[0])]) + Int32(c[1]) * Int32(src[Int(i[1])])
            s += Int32(c[2]) * Int32(src[Int(i[2])]) + Int32(c[3]) * Int32(src[Int(i[3])])
            out[x] = Int16((s + 32) >> 6)
        }
    }

    /// Scalar reference vertical pass of one output row.
    static func verticalScalar(_ rows: (UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>),
                               _ taps: (Int32, Int32, Int32, Int32), _ dst: UnsafeMutablePointer<UInt8>, _ width: Int) {
        for x in 0..<width {
            let s = taps.0 * Int32(rows.0[x]) + taps.1 * Int32(rows.1[x]) + taps.2 * Int32(rows.2[x]) + taps.3 * Int32(rows.3[x])
            dst[x] = UInt8(clamping: (s + 32) >> 6)
        }
    }

    /// SIMD twin of ``verticalScalar(_:_:_:_:)``; rows must be readable up to a multiple of 8 columns.
    static func verticalSIMD(_ rows: (UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>),
                             _ taps: (Int32, Int32, Int32, Int32), _ dst: UnsafeMutablePointer<UInt8>, _ width: Int) {
        let r = SIMD8<Int16>(repeating: 32)
        let t = (Int16(taps.0), Int16(taps.1), Int16(taps.2), Int16(taps.3))
        var x = 0
        @inline(__always) func load(_ p: UnsafePointer<Int16>) -> SIMD8<Int16> { UnsafeRawPointer(p + x).loadUnaligned(as: SIMD8<Int16>.self) }
        while x + 8 <= width {
            let s = load(rows.0) &* t.0 &+ load(rows.1) &* t.1 &+ load(rows.2) &* t.2 &+ load(rows.3) &* t.3
            let v = ((s &+ r) &>> 6).clampedToByte()
            UnsafeMutableRawPointer(dst + x).storeBytes(of: SIMD8<UInt8>(lanes: v), as: SIMD8<UInt8>.self)
            x += 8
        }
        while x < width {
            let s = taps.0 * Int32(rows.0[x]) + taps.1 * Int32(rows.1[x]) + taps.2 * Int32(rows.2[x]) + taps.3 * Int32(rows.3[x])
            dst[x] = UInt8(clamping: (s + 32) >> 6)
            x += 1
        }
    }

    /// The vertical pass of output rows 2i and 2i+1 at exactly 2x, which read input rows i-2...i+1
    /// (phase 12: taps d, c, b, a of `taps`) and i-1...i+2 (phase 4: a, b, c, d), clamped: `rows` holds
    /// the five. The same sums as two ``verticalSIMD(_:_:_:_:)`` calls, with the product of the middle
    /// row shared. Rows must be readable up to a multiple of 8 columns.
    static func vertical2xPairSIMD(_ rows: (UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>,
                                            UnsafePointer<Int16>),
                                   _ even: UnsafeMutablePointer<UInt8>, _ odd: UnsafeMutablePointer<UInt8>, _ width: Int,
                                   _ taps: Taps2x) {
        let r = SIMD8<Int16>(repeating: 32)
        let ta = SIMD8<Int16>(repeating: taps.a), tb = SIMD8<Int16>(repeating: taps.b)
        let tc = SIMD8<Int16>(repeating: taps.c), td = SIMD8<Int16>(repeating: taps.d)
        var x = 0
        @inline(__always) func load(_ p: UnsafePointer<Int16>) -> SIMD8<Int16> { UnsafeRawPointer(p + x).loadUnaligned(as: SIMD8<Int16>.self) }
        while x + 8 <= width {
            let a = load(rows.0), b = load(rows.1), c = load(rows.2), d = load(rows.3), e = load(rows.4)
            let middle = c &* tb &+ r
            let first = middle &+ a &* td &+ b &* tc &+ d &* ta
            let second = middle &+ b &* ta &+ d &* tc &+ e &* td
            UnsafeMutableRawPointer(even + x).storeBytes(of: SIMD8<UInt8>(lanes: (first &>> 6).clampedToByte()), as: SIMD8<UInt8>.self)
            UnsafeMutableRawPointer(odd + x).storeBytes(of: SIMD8<UInt8>(lanes: (second &>> 6).clampedToByte()), as: SIMD8<UInt8>.self)
            x += 8
        }
        let (a, b, c, d) = (Int32(taps.a), Int32(taps.b), Int32(taps.c), Int32(taps.d))
        while x < width {
            @inline(__always) func s(_ p: UnsafePointer<Int16>) -> Int32 { Int32(p[x]) }
            let first = d * s(rows.0) + c * s(rows.1) + b * s(rows.2) + a * s(rows.3)
            let second = a * s(rows.1) + b * s(rows.2) + c * s(rows.3) + d * s(rows.4)
            even[x] = UInt8(clamping: (first + 32) >> 6)
            odd[x] = UInt8(clamping: (second + 32) >> 6)
            x += 1
        }
    }

    /// Scalar reference of the horizontal pass at exactly 2x: output 2i uses phase 12 on inputs
    /// i-2...i+1, output 2i+1 phase 4 on inputs i-1...i+2 (clamped).
    static func horizontal2xScalar(_ src: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<Int16>, _ inWidth: Int, _ taps: Taps2x) {
        @inline(__always) func s(_ i: Int) -> Int32 { Int32(src[min(max(i, 0), inWidth - 1)]) }
        let (a, b, c, d) = (Int32(taps.a), Int32(taps.b), Int32(taps.c), Int32(taps.d))
        for i in 0..<inWidth {
            out[2 * i] = Int16((d * s(i - 2) + c * s(i - 1) + b * s(i) + a * s(i + 1) + 32) >> 6)
            out[2 * i + 1] = Int16((a * s(i - 1) + b * s(i) + c * s(i + 1) + d * s(i + 2) + 32) >> 6)
        }
    }

    /// SIMD twin of ``horizontal2xScalar(_:_:_:_:)``, sixteen inputs (32 outputs) per step. Three
    /// 16-byte loads at i-2, i and i+2, each split into its even and odd samples (`lane & 0xFF`,
    /// `lane >> 8` of 16-bit lanes), hold every tap of the 32 outputs as whole vectors, so no
    /// shifted or partial loads are needed; the four result vectors are woven back in output order.
    static func horizontal2xSIMD(_ src: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<Int16>, _ inWidth: Int, _ taps: Taps2x) {
        @inline(__always) func s(_ i: Int) -> Int32 { Int32(src[min(max(i, 0), inWidth - 1)]) }
        let (sa, sb, sc, sd) = (Int32(taps.a), Int32(taps.b), Int32(taps.c), Int32(taps.d))
        @inline(__always) func one(_ i: Int) {
            out[2 * i] = Int16((sd * s(i - 2) + sc * s(i - 1) + sb * s(i) + sa * s(i + 1) + 32) >> 6)
            out[2 * i + 1] = Int16((sa * s(i - 1) + sb * s(i) + sc * s(i + 1) + sd * s(i + 2) + 32) >> 6)
        }
        var i = 0
        while i < min(2, inWidth) { one(i); i += 1 }
        let r = SIMD8<Int16>(repeating: 32), low = SIMD8<UInt16>(repeating: 0xFF)
        // The three loads overlap; seeing that, the optimizer rebuilt two of them from the third with
        // lane shifts and scalar inserts, about twice the instructions of three plain loads. Addressed
        // through pointers it cannot relate, they stay plain loads (2x upsampling 160x24 in the kernel
        // table: 6284 -> 5562 ns even with a call per load).
        let before = Opaque.pointer(UnsafeRawPointer(src) - 2), at = Opaque.pointer(UnsafeRawPointer(src))
        let after = Opaque.pointer(UnsafeRawPointer(src) + 2)
        @inline(__always) func split(_ base: UnsafeRawPointer, _ k: Int) -> (SIMD8<Int16>, SIMD8<Int16>) {
            let lanes = base.loadUnaligned(fromByteOffset: k, as: SIMD8<UInt16>.self)
            return (unsafeBitCast(lanes & low, to: SIMD8<Int16>.self), unsafeBitCast(lanes &>> 8, to: SIMD8<Int16>.self))
        }
        let ta = SIMD8<Int16>(repeating: taps.a), tb = SIMD8<Int16>(repeating: taps.b)
        let tc = SIMD8<Int16>(repeating: taps.c), td = SIMD8<Int16>(repeating: taps.d)
        // Phase 12 (output 2j) on inputs j-2...j+1, phase 4 (output 2j+1) on j-1...j+2.
        @inline(__always) func even(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>) -> SIMD8<Int16> {
            (a &* td &+ b &* tc &+ c &* tb &+ d &* ta &+ r) &>> 6
        }
        @inline(__always) func odd(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>) -> SIMD8<Int16> {
            (a &* ta &+ b &* tb &+ c &* tc &+ d &* td &+ r) &>> 6
        }
        @inline(__always) func words(_ v: SIMD8<Int16>) -> SIMD8<UInt16> { unsafeBitCast(v, to: SIMD8<UInt16>.self) }
        while i + 18 <= inWidth {
            // Samples i-2+2k (e_m2), i-1+2k (o_m2), i+2k (e0), i+1+2k (o0), i+2+2k (e2), i+3+2k (o2).
            let (em2, om2) = split(before, i), (e0, o0) = split(at, i), (e2, o2) = split(after, i)
            // Outputs 2j and 2j+1 of the even inputs j = i+2k, and of the odd inputs j = i+2k+1.
            let evenOfEven = even(em2, om2, e0, o0), oddOfEven = odd(om2, e0, o0, e2)
            let evenOfOdd = even(om2, e0, o0, e2), oddOfOdd = odd(e0, o0, e2, o2)
            let first = Interleave.low(words(evenOfEven), words(oddOfEven)), second = Interleave.high(words(evenOfEven), words(oddOfEven))
            let third = Interleave.low(words(evenOfOdd), words(oddOfOdd)), fourth = Interleave.high(words(evenOfOdd), words(oddOfOdd))
            @inline(__always) func pairs(_ v: SIMD8<UInt16>) -> SIMD4<UInt32> { unsafeBitCast(v, to: SIMD4<UInt32>.self) }
            let o = UnsafeMutableRawPointer(out + 2 * i)
            o.storeBytes(of: Interleave.low(pairs(first), pairs(third)), as: SIMD4<UInt32>.self)
            o.storeBytes(of: Interleave.high(pairs(first), pairs(third)), toByteOffset: 16, as: SIMD4<UInt32>.self)
            o.storeBytes(of: Interleave.low(pairs(second), pairs(fourth)), toByteOffset: 32, as: SIMD4<UInt32>.self)
            o.storeBytes(of: Interleave.high(pairs(second), pairs(fourth)), toByteOffset: 48, as: SIMD4<UInt32>.self)
            i += 16
        }
        while i < inWidth { one(i); i += 1 }
    }
}
