/// Block arithmetic shared by the encoder and decoder: residual formation, reconstruction with
/// clipping to 0...255 (normative), and the rounded average of two predictions (normative, for BI).
enum Reconstruction {
    /// Copies a `width x height` block of bytes. Widths 4, 8 and 16 move each row with one
    /// load and one store instead of a call per row; other widths copy row by row.
    @inline(__always)
    static func copyBlock(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                          _ width: Int, _ height: Int) {
        var s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        @inline(__always) func rows<T>(_: T.Type) {
            for _ in 0..<height {
                d.storeBytes(of: s.loadUnaligned(as: T.self), as: T.self)
                s += srcStride; d += dstStride
            }
        }
        switch width {
        case 16: rows(SIMD16<UInt8>.self)
        case 8: rows(UInt64.self)
        case 4: rows(UInt32.self)
        default: for y in 0..<height { (dst + y &* dstStride).update(from: src + y &* srcStride, count: width) }
        }
    }

    /// A full-sample prediction: `src` copied to `dst` (``copyBlock(_:_:_:_:_:_:)``), or with
    /// `averaging` averaged into what `dst` holds (``averageSIMD(_:_:_:_:_:_:)``).
    @inline(__always)
    static func place(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int,
                      _ width: Int, _ height: Int, averaging: Bool) {
        if averaging {
            averageSIMD(dst, dstStride, src, srcStride, width, height)
        } else {
            copyBlock(src, srcStride, dst, dstStride, width, height)
        }
    }

    /// Scalar reference: `residual = source - prediction` for a `width x height` block.
    static func residualScalar(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ pred: UnsafePointer<UInt8>, _ predStride: Int,
                               _ out: UnsafeMutablePointer<Int16>, _ outStride: Int, _ width: Int, _ height: Int) {
        for y in 0..<height {
            for x in 0..<width { out[y * outStride + x] = Int16(src[y * srcStride + x]) - Int16(pred[y * predStride + x]) }
        }
    }

    /// SIMD twin of ``residualScalar(_:_:_:_:_:_:_:_:)`` for widths that are multiples of 8.
    static func residualSIMD(_ src: UnsafePointer<UInt8>, _ srcStride: Int, _ pred: UnsafePointer<UInt8>, _ predStride: Int,
                             _ out: UnsafeMutablePointer<Int16>, _ outStride: Int, _ width: Int, _ height: Int) {
        var s = UnsafeRawPointer(src), p = UnsafeRawPointer(pred), o = UnsafeMutableRawPointer(out)
        for _ in 0..<height {
            var x = 0
            while x < width {
                let d = SIMD8<Int16>(lanes: s.loadUnaligned(fromByteOffset: x, as: SIMD8<UInt8>.self))
                    &- SIMD8<Int16>(lanes: p.loadUnaligned(fromByteOffset: x, as: SIMD8<UInt8>.self))
                o.storeBytes(of: d, toByteOffset: x &* 2, as: SIMD8<Int16>.self)
                x &+= 8
            }
            s += srcStride; p += predStride; o += outStride &* 2
        }
    }

    /// Scalar reference: `out = clip(pred + residual)`.
    static func addClipScalar(_ pred: UnsafePointer<UInt8>, _ predStride: Int, _ residual: UnsafePointer<Int16>, _ resStride: Int,
                              _ out: UnsafeMutablePointer<UInt8>, _ outStride: Int, _ width: Int, _ height: Int) {
        for y in 0..<height {
            for x in 0..<width {
                out[y * outStride + x] = UInt8(clamping: Int32(pred[y * predStride + x]) + Int32(residual[y * resStride + x]))
            }
        }
    }

    /// SIMD twin of ``addClipScalar(_:_:_:_:_:_:_:_:)`` for widths 4, 8 and 16.
    static func addClipSIMD(_ pred: UnsafePointer<UInt8>, _ predStride: Int, _ residual: UnsafePointer<Int16>, _ resStride: Int,
                            _ out: UnsafeMutablePointer<UInt8>, _ outStride: Int, _ width: Int, _ height: Int) {
        let p = UnsafeRawPointer(pred), r = UnsafeRawPointer(residual), o = UnsafeMutableRawPointer(out)
        if width == 4 {
            for y in 0..<height {
                let v = SIMD4<Int16>(lanes: p.loadUnaligned(fromByteOffset: y * predStride, as: SIMD4<UInt8>.self))
                    &+ r.loadUnaligned(fromByteOffset: y * resStride * 2, as: SIMD4<Int16>.self)
                let c = v.clampedToByte()
                o.storeBytes(of: SIMD4<UInt8>(lanes: c), toByteOffset: y * outStride, as: SIMD4<UInt8>.self)
            }
            return
        }
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 8) {
                let v = SIMD8<Int16>(lanes: p.loadUnaligned(fromByteOffset: y * predStride + x, as: SIMD8<UInt8>.self))
                    &+ r.loadUnaligned(fromByteOffset: (y * resStride + x) * 2, as: SIMD8<Int16>.self)
                let c = v.clampedToByte()
                o.storeBytes(of: SIMD8<UInt8>(lanes: c), toByteOffset: y * outStride + x, as: SIMD8<UInt8>.self)
            }
        }
    }

    /// Scalar reference rounded average `(a + b + 1) >> 1`, in place into `a`.
    static func averageScalar(_ a: UnsafeMutablePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                              _ width: Int, _ height: Int) {
        for y in 0..<height {
            for x in 0..<width {
                a[y * aStride + x] = UInt8((UInt16(a[y * aStride + x]) + UInt16(b[y * bStride + x]) + 1) >> 1)
            }
        }
    }

    /// SIMD twin of ``averageScalar(_:_:_:_:_:_:)`` for widths that are multiples of 4: sixteen bytes at a
    /// time where they fit, then eight, then four, in 8-bit lanes (``SIMD/roundedAverage(_:)``).
    static func averageSIMD(_ a: UnsafeMutablePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                            _ width: Int, _ height: Int) {
        let ra = UnsafeMutableRawPointer(a), rb = UnsafeRawPointer(b)
        for y in 0..<height {
            var x = 0
            while x + 16 <= width {
                let p = ra.loadUnaligned(fromByteOffset: y * aStride + x, as: SIMD16<UInt8>.self)
                let q = rb.loadUnaligned(fromByteOffset: y * bStride + x, as: SIMD16<UInt8>.self)
                ra.storeBytes(of: p.roundedAverage(q), toByteOffset: y * aStride + x, as: SIMD16<UInt8>.self)
                x += 16
            }
            if x + 8 <= width {
                let p = ra.loadUnaligned(fromByteOffset: y * aStride + x, as: SIMD8<UInt8>.self)
                let q = rb.loadUnaligned(fromByteOffset: y * bStride + x, as: SIMD8<UInt8>.self)
                ra.storeBytes(of: p.roundedAverage(q), toByteOffset: y * aStride + x, as: SIMD8<UInt8>.self)
                x += 8
            }
            if x + 4 <= width {
                let p = ra.loadUnaligned(fromByteOffset: y * aStride + x, as: SIMD4<UInt8>.self)
                let q = rb.loadUnaligned(fromByteOffset: y * bStride + x, as: SIMD4<UInt8>.self)
                ra.storeBytes(of: p.roundedAverage(q), toByteOffset: y * aStride + x, as: SIMD4<UInt8>.self)
            }
        }
    }

    /// Scalar reference: `a = clip(a + b - c)` (the differential prediction), in place into `a`.
    static func addDifferenceScalar(_ a: UnsafeMutablePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                                    _ c: UnsafePointer<UInt8>, _ cStride: Int, _ width: Int, _ height: Int) {
        for y in 0..<height {
            for x in 0..<width {
                let v = Int16(a[y * aStride + x]) + Int16(b[y * bStride + x]) - Int16(c[y * cStride + x])
                a[y * aStride + x] = UInt8(clamping: v)
            }
        }
    }

    /// SIMD twin of ``addDifferenceScalar(_:_:_:_:_:_:_:_:)`` for widths that are multiples of 8.
    static func addDifferenceSIMD(_ a: UnsafeMutablePointer<UInt8>, _ aStride: Int, _ b: UnsafePointer<UInt8>, _ bStride: Int,
                                  _ c: UnsafePointer<UInt8>, _ cStride: Int, _ width: Int, _ height: Int) {
        let ra = UnsafeMutableRawPointer(a), rb = UnsafeRawPointer(b), rc = UnsafeRawPointer(c)
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 8) {
                let v = SIMD8<Int16>(lanes: ra.loadUnaligned(fromByteOffset: y * aStride + x, as: SIMD8<UInt8>.self))
                    &+ SIMD8<Int16>(lanes: rb.loadUnaligned(fromByteOffset: y * bStride + x, as: SIMD8<UInt8>.self))
                    &- SIMD8<Int16>(lanes: rc.loadUnaligned(fromByteOffset: y * cStride + x, as: SIMD8<UInt8>.self))
                ra.storeBytes(of: SIMD8<UInt8>(lanes: v.clampedToByte()), toByteOffset: y * aStride + x, as: SIMD8<UInt8>.self)
            }
        }
    }
}
