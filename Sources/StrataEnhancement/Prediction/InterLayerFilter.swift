/// Version 8: a 5x5 point-symmetric filter a frame may apply to the inter-layer prediction of the
/// macroblocks predicted from it alone (INTER-LAYER, and SKIP in a frame without reference), luma
/// only (Specs "Frame payload" and "Inter-layer prediction"). Twelve coefficients in 1/64, one per
/// pair of opposite offsets; the centre's makes them sum to 64, so flat areas pass unchanged.
struct InterLayerFilter: Equatable, Sendable {
    /// Steps of ``accumulateSIMD(_:_:source:sourceStride:prediction:predictionStride:width:height:)``
    /// between additions of its 32-bit lanes to the sums: each step adds at most 2 x 510 x 510 to a
    /// lane, so 2048 steps stay below 2^31.
    static let flushSteps = 2048
    /// The offset (dx, dy) of each coefficient; its pair is (-dx, -dy).
    static let offsets: [(dx: Int, dy: Int)] = [(-2, -2), (-1, -2), (0, -2), (1, -2), (2, -2),
                                                 (-2, -1), (-1, -1), (0, -1), (1, -1), (2, -1),
                                                 (-2, 0), (-1, 0)]
    let coefficients: [Int8]
    /// The coefficients in one vector (lanes 12-15 zero), read by the kernel without the array's checks.
    private let weights: SIMD16<Int8>
    /// Whether the magnitudes of the coefficients sum to at most 64, so that the kernel's sum of all
    /// twelve products fits 16-bit lanes (9 of the 11 filters fitted on 40 bigbuckbunny frames: sums of 32-57).
    private let sumFits16Bits: Bool

    init(coefficients: [Int8]) {
        precondition(coefficients.count == 12)
        self.coefficients = coefficients
        var w = SIMD16<Int8>()
        for k in 0..<12 { w[k] = coefficients[k] }
        weights = w
        sumFits16Bits = coefficients.reduce(0) { $0 + abs(Int($1)) } <= 64
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

    /// SIMD twin of ``filter(_:_:x0:y0:width:height:size:into:_:)`` for 16x16 blocks, sixteen samples at
    /// a time: a block whose 5x5 support reaches past the valid samples (at the picture's edges) is
    /// filtered from a copy of the samples it reads, clamped as the reference clamps them.
    ///
    /// The sum is formed as `64 s + sum_k c_k d_k` with `d_k = a_k + b_k - 2 s` (the centre's weight is
    /// 64 less twice the others', so this is the same sum), each product in 16-bit lanes, exactly: with
    /// `d = 32 (d >> 5) + (d & 31)`, the twelve `c (d >> 5)` sum to at most 12 x 128 x 16 in magnitude
    /// and six `c (d & 31)` to at most 6 x 128 x 31, so three 16-bit sums (taps 0-11; 0-5; 6-11) hold
    /// them, widened to 32 bits only at the end. (A product of 32-bit lanes is several instructions per
    /// four lanes without SSE4.1.) Each of the five column offsets is read through a pointer of its own
    /// (``Opaque``), so the overlapping loads stay plain loads. Where the coefficients' magnitudes sum
    /// to at most 64, `|sum_k c_k d_k| <= 64 x 510` and the sum plus the rounding fits 16 bits: each
    /// product is then taken once and the result is `s + ((sum + 32) >> 6)`, the same integer.
    func filter16SIMD(_ src: UnsafePointer<UInt8>, _ stride: Int, x0: Int, y0: Int, width: Int, height: Int,
                      into dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int) {
        guard x0 >= 2, y0 >= 2, x0 + 18 <= width, y0 + 18 <= height else {
            // A block at the picture's edges: the 20x20 samples the kernel reads, clamped into the picture as
            // the scalar reference reads them, are gathered first (the reference's per-sample clamping was a
            // third of the kernel's instructions), then filtered as an inner block.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20 * 20) { block in
                let gathered = block.baseAddress!
                for r in 0..<20 {
                    let row = src + min(max(y0 - 2 + r, 0), height - 1) * stride
                    for c in 0..<20 { gathered[r * 20 + c] = row[min(max(x0 - 2 + c, 0), width - 1)] }
                }
                filter16SIMD(gathered, 20, x0: 2, y0: 2, width: 20, height: 20, into: dst, dstStride)
            }
            return
        }
        let w = weights
        let origin = UnsafeRawPointer(src + y0 * stride + x0)
        let columns = (Opaque.pointer(origin - 2), Opaque.pointer(origin - 1), Opaque.pointer(origin),
                       Opaque.pointer(origin + 1), Opaque.pointer(origin + 2))
        @inline(__always) func column(_ dx: Int) -> UnsafeRawPointer {
            switch dx {
            case -2: return columns.0
            case -1: return columns.1
            case 0: return columns.2
            case 1: return columns.3
            default: return columns.4
            }
        }
        // Nothing the nested functions below use is a variable they capture: a captured variable is
        // checked for exclusive access at run time on every use (about 70 checks per block).
        /// The sixteen samples at (dx, dy) from those at byte offset `row`, in 16-bit lanes (low and high eight).
        @inline(__always) func load(_ dx: Int, _ dy: Int, _ row: Int) -> (SIMD8<Int16>, SIMD8<Int16>) {
            let v = column(dx).loadUnaligned(fromByteOffset: row &+ dy &* stride, as: SIMD16<UInt8>.self)
            return (SIMD8<Int16>(lanes: v.lowHalf), SIMD8<Int16>(lanes: v.highHalf))
        }
        /// Tap k's weight and `d = a + b - 2 s` of its pair of samples at +-(dx, dy) around the centres `s`.
        @inline(__always) func difference(_ k: Int, _ dx: Int, _ dy: Int, _ row: Int, _ centre: (SIMD8<Int16>, SIMD8<Int16>))
            -> (weight: SIMD8<Int16>, low: SIMD8<Int16>, high: SIMD8<Int16>) {
            let (aLow, aHigh) = load(dx, dy, row), (bLow, bHigh) = load(-dx, -dy, row)
            return (SIMD8<Int16>(repeating: Int16(w[k])), aLow &+ bLow &- (centre.0 &<< 1), aHigh &+ bHigh &- (centre.1 &<< 1))
        }
        if sumFits16Bits {
            for r in 0..<16 {
                let row = r &* stride, centre = load(0, 0, row)
                var sum = (SIMD8<Int16>(), SIMD8<Int16>())
                @inline(__always) func tap(_ k: Int, _ dx: Int, _ dy: Int, _ sum: inout (SIMD8<Int16>, SIMD8<Int16>)) {
                    let d = difference(k, dx, dy, row, centre)
                    sum.0 &+= d.low &* d.weight
                    sum.1 &+= d.high &* d.weight
                }
                tap(0, -2, -2, &sum); tap(1, -1, -2, &sum); tap(2, 0, -2, &sum); tap(3, 1, -2, &sum); tap(4, 2, -2, &sum)
                tap(5, -2, -1, &sum); tap(6, -1, -1, &sum); tap(7, 0, -1, &sum); tap(8, 1, -1, &sum); tap(9, 2, -1, &sum)
                tap(10, -2, 0, &sum); tap(11, -1, 0, &sum)
                let low = centre.0 &+ ((sum.0 &+ 32) &>> 6), high = centre.1 &+ ((sum.1 &+ 32) &>> 6)
                UnsafeMutableRawPointer(dst + r &* dstStride).storeBytes(
                    of: SIMD16<UInt8>(lowHalf: SIMD8<UInt8>(lanes: low.clampedToByte()), highHalf: SIMD8<UInt8>(lanes: high.clampedToByte())),
                    as: SIMD16<UInt8>.self)
            }
            return
        }
        let lowBits = SIMD8<Int16>(repeating: 31)
        /// Sums of c (d >> 5) of all taps, and of c (d & 31) of taps 0-5 and 6-11; low and high eight samples.
        typealias Sums = (coarse: (SIMD8<Int16>, SIMD8<Int16>), fine: (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>))
        for r in 0..<16 {
            let row = r &* stride, centre = load(0, 0, row)
            var sums: Sums = ((SIMD8<Int16>(), SIMD8<Int16>()), (SIMD8<Int16>(), SIMD8<Int16>(), SIMD8<Int16>(), SIMD8<Int16>()))
            @inline(__always) func tap(_ k: Int, _ dx: Int, _ dy: Int, _ sums: inout Sums) {
                let d = difference(k, dx, dy, row, centre)
                sums.coarse.0 &+= (d.low &>> 5) &* d.weight
                sums.coarse.1 &+= (d.high &>> 5) &* d.weight
                if k < 6 {
                    sums.fine.0 &+= (d.low & lowBits) &* d.weight
                    sums.fine.1 &+= (d.high & lowBits) &* d.weight
                } else {
                    sums.fine.2 &+= (d.low & lowBits) &* d.weight
                    sums.fine.3 &+= (d.high & lowBits) &* d.weight
                }
            }
            tap(0, -2, -2, &sums); tap(1, -1, -2, &sums); tap(2, 0, -2, &sums); tap(3, 1, -2, &sums); tap(4, 2, -2, &sums)
            tap(5, -2, -1, &sums); tap(6, -1, -1, &sums); tap(7, 0, -1, &sums); tap(8, 1, -1, &sums); tap(9, 2, -1, &sums)
            tap(10, -2, 0, &sums); tap(11, -1, 0, &sums)
            @inline(__always) func total(_ centre: SIMD8<Int16>, _ coarse: SIMD8<Int16>, _ fine0: SIMD8<Int16>,
                                         _ fine1: SIMD8<Int16>) -> SIMD8<UInt8> {
                let sum = (SIMD8<Int32>(lanes: centre) &<< 6) &+ (SIMD8<Int32>(lanes: coarse) &<< 5)
                    &+ SIMD8<Int32>(lanes: fine0) &+ SIMD8<Int32>(lanes: fine1) &+ 32
                return SIMD8<UInt8>(lanes: (sum &>> 6).clampedToByte())
            }
            let bytes = SIMD16<UInt8>(lowHalf: total(centre.0, sums.coarse.0, sums.fine.0, sums.fine.2),
                                      highHalf: total(centre.1, sums.coarse.1, sums.fine.1, sums.fine.3))
            UnsafeMutableRawPointer(dst + r &* dstStride).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
        }
    }

    /// The filter that brings `prediction` (luma, `width x height`) closest to `source` in squared
    /// error, fitted on every second sample of every second row away from the edges, its coefficients
    /// rounded; nil when, on the samples of odd rows and columns, it would remove less than
    /// `minimumGain` of the error, or less squared error than `lambda` times its 96 bits (the error of
    /// a quarter of the picture's samples stands for the part of the picture's that the filter's
    /// macroblocks save).
    ///
    /// `vectorized` chooses the SIMD accumulation (``accumulateSIMD(_:_:source:sourceStride:prediction:predictionStride:width:height:)``,
    /// ``heldOutErrorsSIMD(_:source:sourceStride:prediction:predictionStride:width:height:)``) or the scalar
    /// reference; both sum the same integers exactly, so they give the same filter.
    static func fit(source: UnsafePointer<UInt8>, sourceStride: Int, prediction: UnsafePointer<UInt8>, predictionStride: Int,
                    width: Int, height: Int, lambda: Double, minimumGain: Double = 0.015, vectorized: Bool = true) -> InterLayerFilter? {
        guard width > 8 && height > 8 else { return nil }
        let n = offsets.count
        var a = [Double](repeating: 0, count: n * n), b = [Double](repeating: 0, count: n)
        if vectorized {
            accumulateSIMD(&a, &b, source: source, sourceStride: sourceStride, prediction: prediction, predictionStride: predictionStride,
                           width: width, height: height)
        } else {
            accumulateScalar(&a, &b, source: source, sourceStride: sourceStride, prediction: prediction,
                             predictionStride: predictionStride, width: width, height: height)
        }
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        guard let w = solve(&a, &b, n) else { return nil }
        let filter = InterLayerFilter(coefficients: w.map { Int8(clamping: Int(($0 * 64).rounded())) })
        guard filter.coefficients.contains(where: { $0 != 0 }) else { return nil }
        // The rounded filter's gain on the other samples (odd rows and columns), so that a filter fitted
        // to the noise of a small picture is not taken for a gain.
        let (before, after) = vectorized
            ? heldOutErrorsSIMD(filter, source: source, sourceStride: sourceStride, prediction: prediction,
                                predictionStride: predictionStride, width: width, height: height)
            : heldOutErrorsScalar(filter, source: source, sourceStride: sourceStride, prediction: prediction,
                                  predictionStride: predictionStride, width: width, height: height)
        return after < before * (1 - minimumGain) && before - after > lambda * 96 ? filter : nil
    }

    /// The normal equations of the fit, upper triangle (`a`, row-major 12x12) and right side (`b`):
    /// over every second sample of every second row at least two samples from the edges, with
    /// `g_k = p(x + dx_k, y + dy_k) + p(x - dx_k, y - dy_k) - 2 p(x, y)` and `t = s(x, y) - p(x, y)`,
    /// `a[i][j] += g_i g_j` and `b[i] += g_i t`. Every term is an integer and every sum stays far below
    /// 2^53, so the sums are exact in any order. Scalar reference of ``accumulateSIMD(_:_:source:sourceStride:prediction:predictionStride:width:height:)``.
    static func accumulateScalar(_ a: inout [Double], _ b: inout [Double], source: UnsafePointer<UInt8>, sourceStride: Int,
                                 prediction: UnsafePointer<UInt8>, predictionStride: Int, width: Int, height: Int) {
        var y = 2
        while y < height - 2 {
            accumulateScalarRow(&a, &b, source: source, sourceStride: sourceStride, prediction: prediction,
                                predictionStride: predictionStride, y: y, from: 2, to: width - 2)
            y += 2
        }
    }

    /// ``accumulateScalar(_:_:source:sourceStride:prediction:predictionStride:width:height:)`` for the
    /// samples `x = from, from + 2, ...` below `to` of row `y`.
    private static func accumulateScalarRow(_ a: inout [Double], _ b: inout [Double], source: UnsafePointer<UInt8>, sourceStride: Int,
                                            prediction: UnsafePointer<UInt8>, predictionStride: Int, y: Int, from: Int, to: Int) {
        let n = offsets.count
        var g = [Double](repeating: 0, count: n)
        var x = from
        while x < to {
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
    }

    /// SIMD twin of ``accumulateScalar(_:_:source:sourceStride:prediction:predictionStride:width:height:)``:
    /// eight samples at a time (the even bytes of sixteen) in 16-bit lanes (each term within -510...510),
    /// every product of two terms formed and added to its neighbour's in 32-bit lanes (one `pmaddwd`:
    /// at most 2 x 510 x 510 a step), the lanes added to the `Double` sums every ``flushSteps`` steps,
    /// before they could overflow; the samples of a row that do not fill eight lanes by the scalar code.
    /// Every sum is an exact integer, so the result is the scalar code's.
    static func accumulateSIMD(_ a: inout [Double], _ b: inout [Double], source: UnsafePointer<UInt8>, sourceStride: Int,
                               prediction: UnsafePointer<UInt8>, predictionStride: Int, width: Int, height: Int) {
        let n = offsets.count, pairs = n * (n + 1) / 2
        let lanes = UnsafeMutablePointer<SIMD4<Int32>>.allocate(capacity: pairs + n)
        defer { lanes.deallocate() }
        lanes.initialize(repeating: SIMD4<Int32>(), count: pairs + n)
        let g = UnsafeMutablePointer<SIMD8<Int16>>.allocate(capacity: n)
        defer { g.deallocate() }
        g.initialize(repeating: SIMD8<Int16>(), count: n)
        var steps = 0
        func flush() {
            var p = 0
            for i in 0..<n {
                for j in i..<n {
                    a[i * n + j] += lanes[p].sumInDouble
                    lanes[p] = SIMD4<Int32>()
                    p += 1
                }
                b[i] += lanes[pairs + i].sumInDouble
                lanes[pairs + i] = SIMD4<Int32>()
            }
            steps = 0
        }
        // Eight samples x, x + 2, ..., x + 14 read bytes x - 2 ... x + 17 of their rows.
        @inline(__always) func evens(_ p: UnsafePointer<UInt8>) -> SIMD8<Int16> {
            unsafeBitCast(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self) & 0xFF, to: SIMD8<Int16>.self)
        }
        var y = 2
        while y < height - 2 {
            var x = 2
            while x + 18 <= width {
                let row = prediction + y * predictionStride + x
                let centre = evens(row), twice = centre &<< 1
                for k in 0..<n {
                    let o = offsets[k]
                    g[k] = evens(row + o.dy * predictionStride + o.dx) &+ evens(row - o.dy * predictionStride - o.dx) &- twice
                }
                let t = evens(source + y * sourceStride + x) &- centre
                var p = 0
                for i in 0..<n {
                    let gi = g[i]
                    lanes[pairs + i] &+= gi.multipliedAddingPairs(t)
                    for j in i..<n {
                        lanes[p] &+= gi.multipliedAddingPairs(g[j])
                        p += 1
                    }
                }
                steps += 1
                if steps == InterLayerFilter.flushSteps { flush() }
                x += 16
            }
            if x < width - 2 {
                accumulateScalarRow(&a, &b, source: source, sourceStride: sourceStride, prediction: prediction,
                                    predictionStride: predictionStride, y: y, from: x, to: width - 2)
            }
            y += 2
        }
        flush()
    }

    /// The squared error of `prediction` against `source`, unfiltered and filtered, over the samples of
    /// odd rows and odd columns at least two samples from the edges (those the fit did not read as
    /// centres). Scalar reference of ``heldOutErrorsSIMD(_:source:sourceStride:prediction:predictionStride:width:height:)``.
    static func heldOutErrorsScalar(_ filter: InterLayerFilter, source: UnsafePointer<UInt8>, sourceStride: Int,
                                    prediction: UnsafePointer<UInt8>, predictionStride: Int,
                                    width: Int, height: Int) -> (before: Double, after: Double) {
        var before = 0.0, after = 0.0
        var out: UInt8 = 0
        var y = 3
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
        return (before, after)
    }

    /// SIMD twin of ``heldOutErrorsScalar(_:source:sourceStride:prediction:predictionStride:width:height:)``:
    /// the filtered picture formed 16x16 blocks at a time by ``filter16SIMD(_:_:x0:y0:width:height:into:_:)``
    /// where they fit inside, each sample of the rest by the scalar filter. The sums are of integers, exact.
    static func heldOutErrorsSIMD(_ filter: InterLayerFilter, source: UnsafePointer<UInt8>, sourceStride: Int,
                                  prediction: UnsafePointer<UInt8>, predictionStride: Int,
                                  width: Int, height: Int) -> (before: Double, after: Double) {
        var before = 0, after = 0
        var block = [UInt8](repeating: 0, count: 256)
        // Blocks from (2, 2) on, as many as fit with two samples to spare on the right and below.
        let blocksWide = max(0, (width - 4) / 16), blocksHigh = max(0, (height - 4) / 16)
        let coveredWidth = 2 + 16 * blocksWide, coveredHeight = 2 + 16 * blocksHigh
        @inline(__always) func add(_ x: Int, _ y: Int, _ filtered: UInt8) {
            let s = Int(source[y * sourceStride + x])
            let e0 = s - Int(prediction[y * predictionStride + x]), e1 = s - Int(filtered)
            before += e0 * e0
            after += e1 * e1
        }
        for by in 0..<blocksHigh {
            for bx in 0..<blocksWide {
                let x0 = 2 + 16 * bx, y0 = 2 + 16 * by
                filter.filter16SIMD(prediction, predictionStride, x0: x0, y0: y0, width: width, height: height, into: &block, 16)
                // The odd rows and columns of the block: offsets 1, 3, ..., 15.
                for r in stride(from: 1, to: 16, by: 2) {
                    for c in stride(from: 1, to: 16, by: 2) { add(x0 + c, y0 + r, block[r * 16 + c]) }
                }
            }
        }
        var out: UInt8 = 0
        var y = 3
        while y < height - 2 {
            var x = y < coveredHeight ? coveredWidth + 1 : 3
            while x < width - 2 {
                filter.filter(prediction, predictionStride, x0: x, y0: y, width: width, height: height, size: 1, into: &out, 1)
                add(x, y, out)
                x += 2
            }
            y += 2
        }
        return (Double(before), Double(after))
    }

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

extension SIMD4 where Scalar == Int32 {
    /// The sum of the lanes in `Double` (exact).
    var sumInDouble: Double { (Double(self[0]) + Double(self[1])) + (Double(self[2]) + Double(self[3])) }
}
