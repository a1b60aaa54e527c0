/// Version 8: a 5x5 point-symmetric filter a frame may apply to the inter-layer prediction of the
/// macroblocks predicted from it alone (INTER-LAYER, and SKIP in a frame without reference), luma
/// only (Specs "Frame payload" and "Inter-layer prediction"). Twelve coefficients in 1/64, one per
/// pair of opposite offsets; the centre's makes them sum to 64, so flat areas pass unchanged.
struct InterLayerFilter: Equatable, Sendable {
    /// The offset (dx, dy) of each coefficient; its pair is (-dx, -dy).
    static let offsets: [(dx: Int, dy: Int)] = [(-2, -2), (-1, -2), (0, -2), (1, -2), (2, -2),
                                                 (-2, -1), (-1, -1), (0, -1), (1, -1), (2, -1),
                                                 (-2, 0), (-1, 0)]
    let coefficients: [Int8]
    /// The coefficients as SIMD lanes, made once for the kernel's every block.
    private let lanes: [SIMD16<Int32>]

    init(coefficients: [Int8]) {
        precondition(coefficients.count == 12)
        self.coefficients = coefficients
        lanes = coefficients.map { SIMD16<Int32>(repeating: Int32($0)) }
    }

    static func == (a: InterLayerFilter, b: InterLayerFilter) -> Bool { a.coefficients == b.coefficients }

    var center: Int32 { 64 - 2 * coefficients.reduce(Int32(0)) { $0 + Int32($1) } }

    /// Scalar reference: filters the `size x size` block at (x0, y0) of `src` (a plane of `width x
    /// height` valid samples, coordinates clamped to it) into `dst`.
    func filter(_ src: UnsafePointer<UInt8>, _ stride: Int, x0: Int, y0: Int, width: Int, height: Int, size: Int,
                into dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int) {
        let c = center
        @inline(__always) func s(_ x: Int, _ y: Int) -> Int32 {
            Int32(src[min(max(y, 0), height - 1) * stride + min(max(x, 0), width - 1)])
        }
        for y in y0..<(y0 + size) {
            for x in x0..<(x0 + size) {
                var sum = c * s(x, y)
                for (k, o) in Self.offsets.enumerated() {
                    sum += Int32(coefficients[k]) * (s(x + o.dx, y + o.dy) + s(x - o.dx, y - o.dy))
                }
                dst[(y - y0) * dstStride + (x - x0)] = UInt8(clamping: (sum + 32) >> 6)
            }
        }
    }

    /// SIMD twin of ``filter(_:_:x0:y0:width:height:size:into:_:)`` for 16x16 blocks: blocks whose 5x5
    /// support lies inside the valid samples are filtered sixteen samples at a time, the others (at the
    /// picture's edges) by the scalar reference.
    func filter16SIMD(_ src: UnsafePointer<UInt8>, _ stride: Int, x0: Int, y0: Int, width: Int, height: Int,
                      into dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int) {
        guard x0 >= 2, y0 >= 2, x0 + 18 <= width, y0 + 18 <= height else {
            filter(src, stride, x0: x0, y0: y0, width: width, height: height, size: 16, into: dst, dstStride)
            return
        }
        let centre = SIMD16<Int32>(repeating: center), round = SIMD16<Int32>(repeating: 32)
        let taps = lanes
        for y in y0..<(y0 + 16) {
            @inline(__always) func row(_ dx: Int, _ dy: Int) -> SIMD16<Int32> {
                SIMD16<Int32>(truncatingIfNeeded: UnsafeRawPointer(src + (y + dy) * stride + x0 + dx).loadUnaligned(as: SIMD16<UInt8>.self))
            }
            var sum = centre &* row(0, 0) &+ round
            for k in 0..<12 {
                let o = Self.offsets[k]
                sum &+= taps[k] &* (row(o.dx, o.dy) &+ row(-o.dx, -o.dy))
            }
            let clamped = (sum &>> 6).clamped(lowerBound: SIMD16(repeating: 0), upperBound: SIMD16(repeating: 255))
            UnsafeMutableRawPointer(dst + (y - y0) * dstStride).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: clamped),
                                                                          as: SIMD16<UInt8>.self)
        }
    }

    /// The filter that brings `prediction` (luma, `width x height`) closest to `source` in squared
    /// error, fitted on every second sample of every second row away from the edges, its coefficients
    /// rounded; nil when, on the samples of odd rows and columns, it would remove less than
    /// `minimumGain` of the error, or less squared error than `lambda` times its 96 bits (the error of
    /// a quarter of the picture's samples stands for the part of the picture's that the filter's
    /// macroblocks save).
    static func fit(source: UnsafePointer<UInt8>, sourceStride: Int, prediction: UnsafePointer<UInt8>, predictionStride: Int,
                    width: Int, height: Int, lambda: Double, minimumGain: Double = 0.015) -> InterLayerFilter? {
        guard width > 8 && height > 8 else { return nil }
        let n = 12
        var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
        var g = [Double](repeating: 0, count: n)
        var y = 2
        while y < height - 2 {
            var x = 2
            while x < width - 2 {
                let p = Double(prediction[y * predictionStride + x])
                for k in 0..<n {
                    let o = offsets[k]
                    g[k] = Double(prediction[(y + o.dy) * predictionStride + x + o.dx])
                        + Double(prediction[(y - o.dy) * predictionStride + x - o.dx]) - 2 * p
                }
                let t = Double(source[y * sourceStride + x]) - p
                for i in 0..<n {
                    b[i] += g[i] * t
                    for j in i..<n { a[i * n + j] += g[i] * g[j] }
                }
                x += 2
            }
            y += 2
        }
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        guard let w = solve(&a, &b, n) else { return nil }
        let filter = InterLayerFilter(coefficients: w.map { Int8(clamping: Int(($0 * 64).rounded())) })
        guard filter.coefficients.contains(where: { $0 != 0 }) else { return nil }
        // The rounded filter's gain on the other samples (odd rows and columns), so that a filter fitted
        // to the noise of a small picture is not taken for a gain.
        var before = 0.0, after = 0.0
        var out: UInt8 = 0
        y = 3
        while y < height - 2 {
            var x = 3
            while x < width - 2 {
                let s = Double(source[y * sourceStride + x])
                let e0 = s - Double(prediction[y * predictionStride + x])
                filter.filter(prediction, predictionStride, x0: x, y0: y, width: width, height: height, size: 1, into: &out, 1)
                let e1 = s - Double(out)
                before += e0 * e0
                after += e1 * e1
                x += 2
            }
            y += 2
        }
        return after < before * (1 - minimumGain) && before - after > lambda * 96 ? filter : nil
    }

    /// Solves `a x = b` (n x n, row-major) by Gaussian elimination with partial pivoting; nil when singular.
    private static func solve(_ a: inout [Double], _ b: inout [Double], _ n: Int) -> [Double]? {
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<n where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
            guard abs(a[pivot * n + col]) > 1e-9 else { return nil }
            if pivot != col {
                for j in 0..<n { a.swapAt(col * n + j, pivot * n + j) }
                b.swapAt(col, pivot)
            }
            for r in (col + 1)..<n {
                let f = a[r * n + col] / a[col * n + col]
                if f == 0 { continue }
                for j in col..<n { a[r * n + j] -= f * a[col * n + j] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for j in (r + 1)..<n { s -= a[r * n + j] * x[j] }
            x[r] = s / a[r * n + r]
        }
        return x
    }
}

extension MacroblockPrediction {
    /// ``formInterLayer(_:_:_:into:)`` with `filter` applied to the luma (the picture `up` addresses has
    /// `width x height` valid samples: its coded area).
    static func formFilteredInterLayer(_ up: MacroblockTarget, _ mbx: Int, _ mby: Int, filter: InterLayerFilter,
                                       width: Int, height: Int, into t: MacroblockTarget) {
        filter.filter16SIMD(up.luma, up.lumaStride, x0: mbx * 16, y0: mby * 16, width: width, height: height,
                            into: t.luma, t.lumaStride)
        let source = up.macroblock(mbx, mby)
        for i in 1..<3 { Reconstruction.copyBlock(source.plane(i), source.stride(i), t.plane(i), t.stride(i), 8, 8) }
    }
}
