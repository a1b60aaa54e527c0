/// Motion-compensated prediction: the normative quarter-pel luma filter and eighth-pel chroma
/// bilinear filter (Specs "Motion-compensated prediction").
///
/// Luma: a 6-tap filter per quarter phase (taps at offsets -2...3, sum 64). Horizontal-only or
/// vertical-only phases round once, `(s + 32) >> 6`; when both phases are fractional the horizontal
/// pass rounds to `(s + 32) >> 6` without clipping and the vertical pass filters that, `(s + 32) >> 6`,
/// so every intermediate fits 16 bits.
/// The source pointer addresses the integer-pel sample; rows -2...h+2 and columns -2...w+2 must be readable.
enum Interpolation {
    /// Filter taps per quarter phase 1...3 (phase 0 is a copy), flattened 6 per phase.
    static let lumaTaps: [Int32] = [
        0, 0, 64, 0, 0, 0,
        2, -9, 57, 18, -6, 2,
        2, -10, 40, 40, -10, 2,
        2, -6, 18, 57, -9, 2,
    ]

    @inline(__always) static func clip(_ v: Int32) -> UInt8 { UInt8(clamping: v) }

    /// Scalar reference luma prediction of a `width x height` block at quarter phases `fx`, `fy` (0...3).
    /// `temp` holds at least `(height + 5) * width` values.
    static func lumaScalar(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                           _ width: Int, _ height: Int, _ fx: Int, _ fy: Int, _ temp: UnsafeMutablePointer<Int16>) {
        lumaTaps.withUnsafeBufferPointer { taps in
            let tx = taps.baseAddress! + fx * 6, ty = taps.baseAddress! + fy * 6
            if fx == 0 && fy == 0 {
                for y in 0..<height { (dst + y * dstStride).update(from: src + y * srcStride, count: width) }
            } else if fy == 0 {
                for y in 0..<height {
                    let s = src + y * srcStride
                    for x in 0..<width {
                        var sum: Int32 = 0
                        for k in 0..<6 { sum += tx[k] * Int32(s[x + k - 2]) }
                        dst[y * dstStride + x] = clip((sum + 32) >> 6)
                    }
                }
            } else if fx == 0 {
                for y in 0..<height {
                    for x in 0..<width {
                        var sum: Int32 = 0
                        for k in 0..<6 { sum += ty[k] * Int32(src[(y + k - 2) * srcStride + x]) }
                        dst[y * dstStride + x] = clip((sum + 32) >> 6)
                    }
                }
            } else {
                for y in 0..<(height + 5) {
                    let s = src + (y - 2) * srcStride
                    for x in 0..<width {
                        var sum: Int32 = 0
                        for k in 0..<6 { sum += tx[k] * Int32(s[x + k - 2]) }
                        temp[y * width + x] = Int16((sum + 32) >> 6)
                    }
                }
                for y in 0..<height {
                    for x in 0..<width {
                        var sum: Int32 = 0
                        for k in 0..<6 { sum += ty[k] * Int32(temp[(y + k) * width + x]) }
                        dst[y * dstStride + x] = clip((sum + 32) >> 6)
                    }
                }
            }
        }
    }

    /// SIMD twin of ``lumaScalar(_:_:_:_:_:_:_:_:_:)`` for width 8 and widths that are multiples of 16.
    ///
    /// Sixteen bytes are loaded as eight 16-bit lanes and split into the even and the odd samples
    /// (`lane & 0xFF`, `lane >> 8`), so every product is a 16-bit lane operation without widening
    /// shuffles; the even and odd results are recombined the same way before the store. Vertical
    /// filtering walks down each 16-column strip with the last six rows (source rows, or the rounded
    /// horizontal results when both phases are fractional) held in registers, so each row is loaded
    /// and filtered horizontally once; `temp` is not needed. Each phase is a type (``LumaPhase``), so
    /// the kernels are compiled with their taps as constants: no registers hold tap vectors (with
    /// both phases fractional, twelve of them left too few registers for the six rows), and
    /// symmetric taps share one product.
    ///
    /// With `averaging`, each result is averaged, `(a + b + 1) >> 1`, with the sample `dst` holds
    /// (bi-prediction formed in place, without a second block and pass: the scalar reference is
    /// ``lumaScalar(_:_:_:_:_:_:_:_:_:)`` then ``Reconstruction/averageScalar(_:_:_:_:_:_:)``).
    static func lumaSIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                         _ width: Int, _ height: Int, _ fx: Int, _ fy: Int, _ temp: UnsafeMutablePointer<Int16>, averaging: Bool = false) {
        if fx == 0 && fy == 0 {
            Reconstruction.place(src, srcStride, dst, dstStride, width, height, averaging: averaging)
            return
        }
        if width == 8 {
            luma8SIMD(src, srcStride, dst, dstStride, height, fx, fy, averaging: averaging)
            return
        }
        let block = LumaBlock(src: src, srcStride: srcStride, dst: dst, dstStride: dstStride, width: width, height: height,
                              averaging: averaging)
        switch (fx, fy) {
        case (1, 0): block.horizontal(LumaQuarter.self)
        case (2, 0): block.horizontal(LumaHalf.self)
        case (3, 0): block.horizontal(LumaThreeQuarter.self)
        case (0, 1): block.vertical(LumaQuarter.self)
        case (0, 2): block.vertical(LumaHalf.self)
        case (0, 3): block.vertical(LumaThreeQuarter.self)
        case (1, _): block.both(LumaQuarter.self, fy)
        case (2, _): block.both(LumaHalf.self, fy)
        default: block.both(LumaThreeQuarter.self, fy)
        }
    }

    /// Stores 16 samples: `even` and `odd` clipped to bytes and interleaved (even lanes first); with
    /// `averaging`, each averaged with the sample there.
    @_transparent
    static func storeWoven(_ even: SIMD8<Int16>, _ odd: SIMD8<Int16>, _ at: UnsafeMutablePointer<UInt8>, averaging: Bool = false) {
        let e = unsafeBitCast(even.clampedToByte(), to: SIMD8<UInt16>.self), o = unsafeBitCast(odd.clampedToByte(), to: SIMD8<UInt16>.self)
        let woven = unsafeBitCast(e | (o &<< 8), to: SIMD16<UInt8>.self)
        let out = UnsafeMutableRawPointer(at)
        out.storeBytes(of: averaging ? woven.roundedAverage(out.loadUnaligned(as: SIMD16<UInt8>.self)) : woven, as: SIMD16<UInt8>.self)
    }

    /// ``lumaSIMD(_:_:_:_:_:_:_:_:_:)`` for 8-wide blocks (split-macroblock quadrants): one output per
    /// lane from six shifted 8-sample loads, writing exactly eight samples per row.
    @inline(__always)
    static func luma8SIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                          _ height: Int, _ fx: Int, _ fy: Int, averaging: Bool) {
        let hw = lumaWeights(fx), vw = lumaWeights(fy), r = SIMD8<Int16>(repeating: 32)
        @inline(__always) func load(_ p: UnsafePointer<UInt8>) -> SIMD8<Int16> {
            SIMD8<Int16>(lanes: UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt8>.self))
        }
        @inline(__always) func horizontal(_ p: UnsafePointer<UInt8>) -> SIMD8<Int16> {
            load(p - 2) &* hw.0 &+ load(p - 1) &* hw.1 &+ load(p) &* hw.2 &+ load(p + 1) &* hw.3 &+ load(p + 2) &* hw.4 &+ load(p + 3) &* hw.5
        }
        @inline(__always) func store(_ v: SIMD8<Int16>, _ at: UnsafeMutablePointer<UInt8>) {
            let bytes = SIMD8<UInt8>(lanes: v.clampedToByte()), out = UnsafeMutableRawPointer(at)
            out.storeBytes(of: averaging ? bytes.roundedAverage(out.loadUnaligned(as: SIMD8<UInt8>.self)) : bytes, as: SIMD8<UInt8>.self)
        }
        @inline(__always) func vertical(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>,
                                        _ e: SIMD8<Int16>, _ f: SIMD8<Int16>) -> SIMD8<Int16> {
            a &* vw.0 &+ b &* vw.1 &+ c &* vw.2 &+ d &* vw.3 &+ e &* vw.4 &+ f &* vw.5
        }
        var s = src, d = dst
        if fy == 0 {
            for _ in 0..<height {
                store((horizontal(s) &+ r) &>> 6, d)
                s += srcStride; d += dstStride
            }
            return
        }
        // Six rows in registers: sample rows (fx = 0) or unclipped horizontal results.
        @inline(__always) func row(_ p: UnsafePointer<UInt8>) -> SIMD8<Int16> { fx == 0 ? load(p) : (horizontal(p) &+ r) &>> 6 }
        var r0 = row(s - 2 &* srcStride), r1 = row(s - srcStride), r2 = row(s), r3 = row(s + srcStride), r4 = row(s + 2 &* srcStride)
        for _ in 0..<height {
            let r5 = row(s + 3 &* srcStride)
            store((vertical(r0, r1, r2, r3, r4, r5) &+ r) &>> 6, d)
            (r0, r1, r2, r3, r4) = (r1, r2, r3, r4, r5)
            s += srcStride; d += dstStride
        }
    }

    /// The six taps of a quarter phase (``lumaTaps``), each broadcast to a vector.
    @inline(__always)
    static func lumaWeights(_ phase: Int) -> (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>) {
        lumaTaps.withUnsafeBufferPointer { taps in
            let t = taps.baseAddress! + phase * 6
            @inline(__always) func w(_ k: Int) -> SIMD8<Int16> { SIMD8(repeating: Int16(t[k])) }
            return (w(0), w(1), w(2), w(3), w(4), w(5))
        }
    }

    /// Scalar reference chroma prediction at eighth phases `fx`, `fy` (0...7): bilinear,
    /// `((8-fx)(8-fy)A + fx(8-fy)B + (8-fx)fy C + fx fy D + 32) >> 6`. Reads one column and row past the block.
    static func chromaScalar(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                             _ width: Int, _ height: Int, _ fx: Int, _ fy: Int) {
        let a = Int32((8 - fx) * (8 - fy)), b = Int32(fx * (8 - fy)), c = Int32((8 - fx) * fy), d = Int32(fx * fy)
        for y in 0..<height {
            let s = src + y * srcStride
            for x in 0..<width {
                let v = a * Int32(s[x]) + b * Int32(s[x + 1]) + c * Int32(s[x + srcStride]) + d * Int32(s[x + srcStride + 1])
                dst[y * dstStride + x] = UInt8(truncatingIfNeeded: (v + 32) >> 6)
            }
        }
    }

    /// SIMD twin of ``chromaScalar(_:_:_:_:_:_:_:_:)`` for widths 4 and 8. The bilinear weights factor,
    /// `(8 - fx)(8 - fy) s00 + fx (8 - fy) s01 + (8 - fx) fy s10 + fx fy s11 = (8 - fy) h0 + fy h1` with
    /// `h = (8 - fx) s0 + fx s1` of each row, exactly (nothing is rounded before the end), so each source
    /// row is filtered horizontally once and shared by the two output rows it serves. Phase (0, 0) is a copy.
    /// With `averaging`, each result is averaged with the sample `dst` holds, as in
    /// ``lumaSIMD(_:_:_:_:_:_:_:_:_:averaging:)``.
    static func chromaSIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                           _ width: Int, _ height: Int, _ fx: Int, _ fy: Int, averaging: Bool = false) {
        if fx == 0 && fy == 0 {
            Reconstruction.place(src, srcStride, dst, dstStride, width, height, averaging: averaging)
            return
        }
        let left = SIMD8<Int16>(repeating: Int16(truncatingIfNeeded: 8 &- fx)), right = SIMD8<Int16>(repeating: Int16(truncatingIfNeeded: fx))
        let top = SIMD8<Int16>(repeating: Int16(truncatingIfNeeded: 8 &- fy)), bottom = SIMD8<Int16>(repeating: Int16(truncatingIfNeeded: fy))
        let r = SIMD8<Int16>(repeating: 32)
        // The samples one to the right come through a pointer the optimizer cannot relate to `src`
        // (``Opaque``): otherwise it rebuilds that load from the first with shifts and inserts.
        let s0 = UnsafeRawPointer(src), s1 = Opaque.pointer(s0 + 1)
        var offset = 0, d = UnsafeMutableRawPointer(dst)
        @inline(__always) func horizontal(_ o: Int) -> SIMD8<Int16> {
            SIMD8<Int16>(lanes: s0.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt8>.self)) &* left
                &+ SIMD8<Int16>(lanes: s1.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt8>.self)) &* right
        }
        @inline(__always) func rows(_ store: (SIMD8<UInt8>, UnsafeMutableRawPointer) -> Void) {
            var above = horizontal(offset)
            for _ in 0..<height {
                offset &+= srcStride
                let below = horizontal(offset)
                store(SIMD8<UInt8>(lanes: (above &* top &+ below &* bottom &+ r) &>> 6), d)
                d += dstStride
                above = below
            }
        }
        // The width is tested once, not per row.
        switch (width, averaging) {
        case (8, false): rows { bytes, at in at.storeBytes(of: bytes, as: SIMD8<UInt8>.self) }
        case (8, true): rows { bytes, at in at.storeBytes(of: bytes.roundedAverage(at.loadUnaligned(as: SIMD8<UInt8>.self)), as: SIMD8<UInt8>.self) }
        case (_, false): rows { bytes, at in at.storeBytes(of: bytes.lowHalf, as: SIMD4<UInt8>.self) }
        default: rows { bytes, at in at.storeBytes(of: bytes.lowHalf.roundedAverage(at.loadUnaligned(as: SIMD4<UInt8>.self)), as: SIMD4<UInt8>.self) }
        }
    }
}

/// A fractional quarter phase (1, 2 or 3) of the 6-tap luma filter (``Interpolation/lumaTaps``): the
/// unrounded sum of six samples. The products wrap in 16 bits, as the filter's sums fit them.
protocol LumaPhase {
    static func filter(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>, _ e: SIMD8<Int16>,
                       _ f: SIMD8<Int16>) -> SIMD8<Int16>
}

/// Phase 1: taps 2, -9, 57, 18, -6, 2.
enum LumaQuarter: LumaPhase {
    @inline(__always)
    static func filter(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>, _ e: SIMD8<Int16>,
                       _ f: SIMD8<Int16>) -> SIMD8<Int16> {
        ((a &+ f) &<< 1) &- b &* 9 &+ c &* 57 &+ d &* 18 &- e &* 6
    }
}

/// Phase 2: taps 2, -10, 40, 40, -10, 2.
enum LumaHalf: LumaPhase {
    @inline(__always)
    static func filter(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>, _ e: SIMD8<Int16>,
                       _ f: SIMD8<Int16>) -> SIMD8<Int16> {
        ((a &+ f) &<< 1) &+ (c &+ d) &* 40 &- (b &+ e) &* 10
    }
}

/// Phase 3: taps 2, -6, 18, 57, -9, 2.
enum LumaThreeQuarter: LumaPhase {
    @inline(__always)
    static func filter(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>, _ c: SIMD8<Int16>, _ d: SIMD8<Int16>, _ e: SIMD8<Int16>,
                       _ f: SIMD8<Int16>) -> SIMD8<Int16> {
        ((a &+ f) &<< 1) &- b &* 6 &+ c &* 18 &+ d &* 57 &- e &* 9
    }
}

/// One luma block of ``Interpolation/lumaSIMD(_:_:_:_:_:_:_:_:_:)`` (a width that is a multiple of 16),
/// filtered by phase types, each combination compiled on its own.
struct LumaBlock {
    let src: UnsafePointer<UInt8>, srcStride: Int, dst: UnsafeMutablePointer<UInt8>, dstStride: Int
    let width: Int, height: Int
    /// Each result averaged with the sample `dst` holds (``Interpolation/storeWoven(_:_:_:averaging:)``).
    let averaging: Bool

    /// Sixteen samples as their even and odd samples in 16-bit lanes.
    @inline(__always) static func split(_ p: UnsafePointer<UInt8>) -> (SIMD8<Int16>, SIMD8<Int16>) {
        split(UnsafeRawPointer(p), 0)
    }

    @inline(__always) static func split(_ base: UnsafeRawPointer, _ offset: Int) -> (SIMD8<Int16>, SIMD8<Int16>) {
        let lanes = base.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt16>.self)
        return (unsafeBitCast(lanes & 0xFF, to: SIMD8<Int16>.self), unsafeBitCast(lanes &>> 8, to: SIMD8<Int16>.self))
    }

    /// The block's samples 2 before, at, 2 and 4 after each position, as pointers the optimizer cannot
    /// relate (``Opaque``), so that the four overlapping loads of a horizontal step stay plain loads.
    var taps: (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer) {
        let p = UnsafeRawPointer(src)
        return (Opaque.pointer(p - 2), Opaque.pointer(p), Opaque.pointer(p + 2), Opaque.pointer(p + 4))
    }

    /// The unrounded horizontal sums of the sixteen samples at `offset` from the block's origin, even and odd outputs.
    @inline(__always)
    static func horizontal<H: LumaPhase>(_: H.Type, _ taps: (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer),
                                         _ offset: Int) -> (SIMD8<Int16>, SIMD8<Int16>) {
        let (e0, o0) = split(taps.0, offset), (e1, o1) = split(taps.1, offset), (e2, o2) = split(taps.2, offset)
        let (e3, _) = split(taps.3, offset)
        return (H.filter(e0, o0, e1, o1, e2, o2), H.filter(o0, e1, o1, e2, o2, e3))
    }

    @inline(__always) static func rounded(_ v: SIMD8<Int16>) -> SIMD8<Int16> { (v &+ 32) &>> 6 }

    func horizontal<H: LumaPhase>(_ phase: H.Type) {
        let taps = self.taps
        var row = 0, d = dst
        for _ in 0..<height {
            var x = 0
            while x < width {
                let (even, odd) = LumaBlock.horizontal(phase, taps, row &+ x)
                Interpolation.storeWoven(LumaBlock.rounded(even), LumaBlock.rounded(odd), d + x, averaging: averaging)
                x &+= 16
            }
            row &+= srcStride; d += dstStride
        }
    }

    func vertical<V: LumaPhase>(_: V.Type) {
        var x = 0
        while x < width {
            var s = src + x, d = dst + x
            var (e0, o0) = LumaBlock.split(s - 2 &* srcStride), (e1, o1) = LumaBlock.split(s - srcStride), (e2, o2) = LumaBlock.split(s)
            var (e3, o3) = LumaBlock.split(s + srcStride), (e4, o4) = LumaBlock.split(s + 2 &* srcStride)
            for _ in 0..<height {
                let (e5, o5) = LumaBlock.split(s + 3 &* srcStride)
                Interpolation.storeWoven(LumaBlock.rounded(V.filter(e0, e1, e2, e3, e4, e5)),
                                         LumaBlock.rounded(V.filter(o0, o1, o2, o3, o4, o5)), d, averaging: averaging)
                (e0, e1, e2, e3, e4) = (e1, e2, e3, e4, e5)
                (o0, o1, o2, o3, o4) = (o1, o2, o3, o4, o5)
                s += srcStride; d += dstStride
            }
            x &+= 16
        }
    }

    /// Both phases fractional: the vertical phase `fy` (1...3) selects the second type.
    func both<H: LumaPhase>(_ phase: H.Type, _ fy: Int) {
        switch fy {
        case 1: both(phase, LumaQuarter.self)
        case 2: both(phase, LumaHalf.self)
        default: both(phase, LumaThreeQuarter.self)
        }
    }

    func both<H: LumaPhase, V: LumaPhase>(_ phase: H.Type, _: V.Type) {
        let taps = self.taps
        var x = 0
        while x < width {
            var offset = x &- 2 &* srcStride, d = dst + x
            @inline(__always) func row() -> (SIMD8<Int16>, SIMD8<Int16>) {
                let (e, o) = LumaBlock.horizontal(phase, taps, offset); offset &+= srcStride
                return (LumaBlock.rounded(e), LumaBlock.rounded(o))
            }
            var (e0, o0) = row(), (e1, o1) = row(), (e2, o2) = row(), (e3, o3) = row(), (e4, o4) = row()
            for _ in 0..<height {
                let (e5, o5) = row()
                Interpolation.storeWoven(LumaBlock.rounded(V.filter(e0, e1, e2, e3, e4, e5)),
                                         LumaBlock.rounded(V.filter(o0, o1, o2, o3, o4, o5)), d, averaging: averaging)
                (e0, e1, e2, e3, e4) = (e1, e2, e3, e4, e5)
                (o0, o1, o2, o3, o4) = (o1, o2, o3, o4, o5)
                d += dstStride
            }
            x &+= 16
        }
    }
}
