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

    /// SIMD twin of ``lumaScalar(_:_:_:_:_:_:_:_:_:)`` for widths that are multiples of 8.
    static func lumaSIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                         _ width: Int, _ height: Int, _ fx: Int, _ fy: Int, _ temp: UnsafeMutablePointer<Int16>) {
        if fx == 0 && fy == 0 {
            for y in 0..<height { (dst + y * dstStride).update(from: src + y * srcStride, count: width) }
            return
        }
        let t = lumaTaps
        let hx = (Int16(t[fx * 6]), Int16(t[fx * 6 + 1]), Int16(t[fx * 6 + 2]), Int16(t[fx * 6 + 3]), Int16(t[fx * 6 + 4]), Int16(t[fx * 6 + 5]))
        let vy = (Int32(t[fy * 6]), Int32(t[fy * 6 + 1]), Int32(t[fy * 6 + 2]), Int32(t[fy * 6 + 3]), Int32(t[fy * 6 + 4]), Int32(t[fy * 6 + 5]))
        let raw = UnsafeRawPointer(src)
        @inline(__always) func load8(_ offset: Int) -> SIMD8<Int16> {
            SIMD8<Int16>(lanes: raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
        }
        @inline(__always) func store(_ v: SIMD8<Int16>, _ at: UnsafeMutablePointer<UInt8>) {
            let clamped = v.clampedToByte()
            UnsafeMutableRawPointer(at).storeBytes(of: SIMD8<UInt8>(lanes: clamped), as: SIMD8<UInt8>.self)
        }
        if fy == 0 {
            let r = SIMD8<Int16>(repeating: 32)
            for y in 0..<height {
                for x in stride(from: 0, to: width, by: 8) {
                    let o = y * srcStride + x
                    var s = load8(o - 2) &* hx.0
                    s &+= load8(o - 1) &* hx.1; s &+= load8(o) &* hx.2; s &+= load8(o + 1) &* hx.3
                    s &+= load8(o + 2) &* hx.4; s &+= load8(o + 3) &* hx.5
                    store((s &+ r) &>> 6, dst + y * dstStride + x)
                }
            }
        } else if fx == 0 {
            let r = SIMD8<Int16>(repeating: 32)
            let v16 = (Int16(vy.0), Int16(vy.1), Int16(vy.2), Int16(vy.3), Int16(vy.4), Int16(vy.5))
            for y in 0..<height {
                for x in stride(from: 0, to: width, by: 8) {
                    let o = y * srcStride + x
                    var s = load8(o - 2 * srcStride) &* v16.0
                    s &+= load8(o - srcStride) &* v16.1; s &+= load8(o) &* v16.2; s &+= load8(o + srcStride) &* v16.3
                    s &+= load8(o + 2 * srcStride) &* v16.4; s &+= load8(o + 3 * srcStride) &* v16.5
                    store((s &+ r) &>> 6, dst + y * dstStride + x)
                }
            }
        } else {
            let tr = UnsafeMutableRawPointer(temp), r = SIMD8<Int16>(repeating: 32)
            for y in 0..<(height + 5) {
                for x in stride(from: 0, to: width, by: 8) {
                    let o = (y - 2) * srcStride + x
                    var s = load8(o - 2) &* hx.0
                    s &+= load8(o - 1) &* hx.1; s &+= load8(o) &* hx.2; s &+= load8(o + 1) &* hx.3
                    s &+= load8(o + 2) &* hx.4; s &+= load8(o + 3) &* hx.5
                    tr.storeBytes(of: (s &+ r) &>> 6, toByteOffset: (y * width + x) * 2, as: SIMD8<Int16>.self)
                }
            }
            let v16 = (Int16(vy.0), Int16(vy.1), Int16(vy.2), Int16(vy.3), Int16(vy.4), Int16(vy.5))
            @inline(__always) func t8(_ row: Int, _ x: Int) -> SIMD8<Int16> {
                UnsafeRawPointer(tr).loadUnaligned(fromByteOffset: (row * width + x) * 2, as: SIMD8<Int16>.self)
            }
            for y in 0..<height {
                for x in stride(from: 0, to: width, by: 8) {
                    var s = t8(y, x) &* v16.0
                    s &+= t8(y + 1, x) &* v16.1; s &+= t8(y + 2, x) &* v16.2; s &+= t8(y + 3, x) &* v16.3
                    s &+= t8(y + 4, x) &* v16.4; s &+= t8(y + 5, x) &* v16.5
                    store((s &+ r) &>> 6, dst + y * dstStride + x)
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
