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

    /// SIMD twin of ``lumaScalar(_:_:_:_:_:_:_:_:_:)`` for widths that are multiples of 16.
    ///
    /// Sixteen bytes are loaded as eight 16-bit lanes and split into the even and the odd samples
    /// (`lane & 0xFF`, `lane >> 8`), so every product is a 16-bit lane operation without widening
    /// shuffles; the even and odd results are recombined the same way before the store.
    static func lumaSIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                         _ width: Int, _ height: Int, _ fx: Int, _ fy: Int, _ temp: UnsafeMutablePointer<Int16>) {
        if fx == 0 && fy == 0 {
            for y in 0..<height { (dst + y * dstStride).update(from: src + y * srcStride, count: width) }
            return
        }
        let t = lumaTaps
        let h = (Int16(t[fx * 6]), Int16(t[fx * 6 + 1]), Int16(t[fx * 6 + 2]), Int16(t[fx * 6 + 3]), Int16(t[fx * 6 + 4]), Int16(t[fx * 6 + 5]))
        let v = (Int16(t[fy * 6]), Int16(t[fy * 6 + 1]), Int16(t[fy * 6 + 2]), Int16(t[fy * 6 + 3]), Int16(t[fy * 6 + 4]), Int16(t[fy * 6 + 5]))
        let raw = UnsafeRawPointer(src)
        let low = SIMD8<UInt16>(repeating: 0xFF), r = SIMD8<Int16>(repeating: 32)
        /// Even and odd samples of the 16 bytes at `offset`.
        @inline(__always) func split(_ offset: Int) -> (SIMD8<Int16>, SIMD8<Int16>) {
            let lanes = unsafeBitCast(raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self), to: SIMD8<UInt16>.self)
            return (unsafeBitCast(lanes & low, to: SIMD8<Int16>.self), unsafeBitCast(lanes &>> 8, to: SIMD8<Int16>.self))
        }
        /// Horizontal filter of 16 outputs starting at `offset`: (even outputs, odd outputs).
        @inline(__always) func horizontal(_ offset: Int) -> (SIMD8<Int16>, SIMD8<Int16>) {
            let (e0, o0) = split(offset - 2), (e1, o1) = split(offset), (e2, o2) = split(offset + 2), (e3, _) = split(offset + 4)
            var even = e0 &* h.0
            even &+= o0 &* h.1; even &+= e1 &* h.2; even &+= o1 &* h.3; even &+= e2 &* h.4; even &+= o2 &* h.5
            var odd = o0 &* h.0
            odd &+= e1 &* h.1; odd &+= o1 &* h.2; odd &+= e2 &* h.3; odd &+= o2 &* h.4; odd &+= e3 &* h.5
            return (even, odd)
        }
        @inline(__always) func store(_ even: SIMD8<Int16>, _ odd: SIMD8<Int16>, _ at: UnsafeMutablePointer<UInt8>) {
            let e = unsafeBitCast(even.clampedToByte(), to: SIMD8<UInt16>.self), o = unsafeBitCast(odd.clampedToByte(), to: SIMD8<UInt16>.self)
            UnsafeMutableRawPointer(at).storeBytes(of: unsafeBitCast(e | (o &<< 8), to: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
        }
        if fy == 0 {
            for y in 0..<height {
                for x in stride(from: 0, to: width, by: 16) {
                    let (even, odd) = horizontal(y * srcStride + x)
                    store((even &+ r) &>> 6, (odd &+ r) &>> 6, dst + y * dstStride + x)
                }
            }
        } else if fx == 0 {
            for y in 0..<height {
                for x in stride(from: 0, to: width, by: 16) {
                    let o = y * srcStride + x
                    let (e0, o0) = split(o - 2 * srcStride), (e1, o1) = split(o - srcStride), (e2, o2) = split(o)
                    let (e3, o3) = split(o + srcStride), (e4, o4) = split(o + 2 * srcStride), (e5, o5) = split(o + 3 * srcStride)
                    var even = e0 &* v.0
                    even &+= e1 &* v.1; even &+= e2 &* v.2; even &+= e3 &* v.3; even &+= e4 &* v.4; even &+= e5 &* v.5
                    var odd = o0 &* v.0
                    odd &+= o1 &* v.1; odd &+= o2 &* v.2; odd &+= o3 &* v.3; odd &+= o4 &* v.4; odd &+= o5 &* v.5
                    store((even &+ r) &>> 6, (odd &+ r) &>> 6, dst + y * dstStride + x)
                }
            }
        } else {
            // Intermediate rows hold, per 16 columns, 8 even then 8 odd values.
            let tr = UnsafeMutableRawPointer(temp)
            for y in 0..<(height + 5) {
                for x in stride(from: 0, to: width, by: 16) {
                    let (even, odd) = horizontal((y - 2) * srcStride + x)
                    tr.storeBytes(of: (even &+ r) &>> 6, toByteOffset: (y * width + x) * 2, as: SIMD8<Int16>.self)
                    tr.storeBytes(of: (odd &+ r) &>> 6, toByteOffset: (y * width + x + 8) * 2, as: SIMD8<Int16>.self)
                }
            }
            @inline(__always) func t8(_ row: Int, _ x: Int) -> SIMD8<Int16> {
                UnsafeRawPointer(tr).loadUnaligned(fromByteOffset: (row * width + x) * 2, as: SIMD8<Int16>.self)
            }
            for y in 0..<height {
                for x in stride(from: 0, to: width, by: 16) {
                    var even = t8(y, x) &* v.0
                    even &+= t8(y + 1, x) &* v.1; even &+= t8(y + 2, x) &* v.2; even &+= t8(y + 3, x) &* v.3
                    even &+= t8(y + 4, x) &* v.4; even &+= t8(y + 5, x) &* v.5
                    var odd = t8(y, x + 8) &* v.0
                    odd &+= t8(y + 1, x + 8) &* v.1; odd &+= t8(y + 2, x + 8) &* v.2; odd &+= t8(y + 3, x + 8) &* v.3
                    odd &+= t8(y + 4, x + 8) &* v.4; odd &+= t8(y + 5, x + 8) &* v.5
                    store((even &+ r) &>> 6, (odd &+ r) &>> 6, dst + y * dstStride + x)
                }
            }
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

    /// SIMD twin of ``chromaScalar(_:_:_:_:_:_:_:_:)`` for widths 4 and 8.
    static func chromaSIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                           _ width: Int, _ height: Int, _ fx: Int, _ fy: Int) {
        let a = Int16((8 - fx) * (8 - fy)), b = Int16(fx * (8 - fy)), c = Int16((8 - fx) * fy), d = Int16(fx * fy)
        let raw = UnsafeRawPointer(src), r = SIMD8<Int16>(repeating: 32)
        for y in 0..<height {
            let o = y * srcStride
            @inline(__always) func load(_ k: Int) -> SIMD8<Int16> {
                SIMD8<Int16>(lanes: raw.loadUnaligned(fromByteOffset: k, as: SIMD8<UInt8>.self))
            }
            let v = (load(o) &* a &+ load(o + 1) &* b &+ load(o + srcStride) &* c &+ load(o + srcStride + 1) &* d &+ r) &>> 6
            let bytes = SIMD8<UInt8>(lanes: v)
            if width == 8 {
                UnsafeMutableRawPointer(dst + y * dstStride).storeBytes(of: bytes, as: SIMD8<UInt8>.self)
            } else {
                UnsafeMutableRawPointer(dst + y * dstStride).storeBytes(of: bytes.lowHalf, as: SIMD4<UInt8>.self)
            }
        }
    }
}
