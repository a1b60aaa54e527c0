/// Dequantization (normative) and the encoder's dead-zone quantizer, with flat matrices whose
/// per-position scales undo the unequal norms of the integer transforms' basis functions.
enum Quantization {
    /// 4x4 dequantization scale by `qp % 6` and position class (Specs "Dequantization").
    static let scale4: [[Int32]] = [[10, 16, 13], [11, 18, 14], [13, 20, 16], [14, 23, 18], [16, 25, 20], [18, 29, 23]]
    /// 8x8 dequantization scale by `qp % 6` and position class.
    static let scale8: [[Int32]] = [[20, 18, 32, 19, 25, 24], [22, 19, 35, 21, 28, 26], [26, 23, 42, 24, 33, 31],
                                    [28, 25, 45, 26, 35, 33], [32, 28, 51, 30, 40, 38], [36, 32, 58, 34, 46, 43]]

    /// Position class of row `i`, column `j` of a 4x4 block.
    static func class4(_ i: Int, _ j: Int) -> Int {
        if i % 2 == 0 && j % 2 == 0 { return 0 }
        if i % 2 == 1 && j % 2 == 1 { return 1 }
        return 2
    }

    /// Position class of row `i`, column `j` of an 8x8 block.
    static func class8(_ i: Int, _ j: Int) -> Int {
        let a = i % 4, b = j % 4
        if a == 0 && b == 0 { return 0 }
        if a % 2 == 1 && b % 2 == 1 { return 1 }
        if a == 2 && b == 2 { return 2 }
        if (a == 0 && b % 2 == 1) || (a % 2 == 1 && b == 0) { return 3 }
        if (a == 0 && b == 2) || (a == 2 && b == 0) { return 4 }
        return 5
    }

    /// Dequantization multipliers per `qp % 6` (rows of 16 or 64, raster order).
    static let dequant4: [Int32] = (0..<6).flatMap { r in (0..<16).map { scale4[r][class4($0 / 4, $0 % 4)] } }
    static let dequant8: [Int32] = (0..<6).flatMap { r in (0..<64).map { scale8[r][class8($0 / 8, $0 % 8)] } }

    /// Fixed-point precision of the forward quantizer: level = (|W| * multiplier + rounding) >> (16 + qp / 6).
    static let quantShift = 16

    /// Forward multipliers per `qp % 6`, derived from the transforms themselves so that
    /// dequantize(quantize(forward(x))) reconstructs x: for each position the gain between a dequantized
    /// coefficient and the forward coefficient of its reconstruction is measured once.
    static let quant4: [Int32] = deriveMultipliers(size: 4)
    static let quant8: [Int32] = deriveMultipliers(size: 8)

    /// Sum of squared residual samples per squared unit of forward coefficient, per position (raster
    /// order): what an error in one forward coefficient costs in the picture. The encoder's
    /// rate-distortion quantizer weighs level changes with it.
    static let sampleEnergy4: [Double] = responses4.map { $0.energy / ($0.gain * $0.gain) }
    static let sampleEnergy8: [Double] = responses8.map { $0.energy / ($0.gain * $0.gain) }

    /// ``basisResponses(size:)`` of each transform size, measured once for the multipliers and the energies.
    private static let responses4 = basisResponses(size: 4), responses8 = basisResponses(size: 8)

    /// For each position of an n x n block: the gain from a dequantized coefficient to the forward
    /// coefficient of its reconstruction, and the sum of squares of that reconstruction per squared
    /// unit of dequantized coefficient, both measured on the integer transforms themselves.
    private static func basisResponses(size n: Int) -> [(gain: Double, energy: Double)] {
        let count = n * n
        let unit: Int32 = 4096
        var coefficients = [Int32](repeating: 0, count: count)
        var residual = [Int16](repeating: 0, count: count)
        var forward = [Int32](repeating: 0, count: count)
        var scratch = [Int32](repeating: 0, count: 64)
        var responses: [(gain: Double, energy: Double)] = []
        for k in 0..<count {
            coefficients = [Int32](repeating: 0, count: count)
            coefficients[k] = unit
            coefficients.withUnsafeBufferPointer { c in
                residual.withUnsafeMutableBufferPointer { r in
                    scratch.withUnsafeMutableBufferPointer { s in
                        if n == 4 { Transform.inverse4x4Scalar(c.baseAddress!, r.baseAddress!, 4) } else {
                            Transform.inverse8x8Scalar(c.baseAddress!, r.baseAddress!, 8, s.baseAddress!)
                        }
                    }
                }
            }
            residual.withUnsafeBufferPointer { r in
                forward.withUnsafeMutableBufferPointer { f in
                    scratch.withUnsafeMutableBufferPointer { s in
                        if n == 4 { Transform.forward4x4Scalar(r.baseAddress!, 4, f.baseAddress!) } else {
                            Transform.forward8x8Scalar(r.baseAddress!, 8, f.baseAddress!, s.baseAddress!)
                        }
                    }
                }
            }
            let energy = residual.reduce(0.0) { $0 + Double($1) * Double($1) } / (Double(unit) * Double(unit))
            responses.append((Double(forward[k]) / Double(unit), energy))
        }
        return responses
    }

    private static func deriveMultipliers(size n: Int) -> [Int32] {
        let count = n * n
        var result = [Int32](repeating: 0, count: 6 * count)
        let gain = (n == 4 ? responses4 : responses8).map(\.gain)
        for r in 0..<6 {
            for k in 0..<count {
                // dequantized = level * scale * 2^(qp/6) (4x4) or / 4 (8x8); forward = gain * dequantized.
                let scale = Double(n == 4 ? dequant4[r * 16 + k] : dequant8[r * 64 + k]) * (n == 4 ? 1 : 0.25)
                let m = Double(1 << quantShift) / (gain[k] * scale)
                result[r * count + k] = Int32(m.rounded())
            }
        }
        return result
    }

    /// Per `qp % 6`: the largest `r_i * r_j * multiplier` over the 4x4 positions, where `r` = (1, 2, 1, 2)
    /// bounds the forward 4x4 basis. A block whose residual has `sum |x| * bound + rounding < 2^bits`
    /// quantizes to all zeros (|W_ij| <= r_i r_j sum |x| exactly), so the encoder can skip it.
    static let zeroBound4: [Int64] = (0..<6).map { r in
        let rows: [Int64] = [1, 2, 1, 2]
        return (0..<16).map { k in rows[k / 4] * rows[k % 4] * Int64(quant4[r * 16 + k]) }.max()!
    }

    /// Whether a 4x4 residual block with this sum of absolute values certainly quantizes to zero.
    @inline(__always)
    static func quantizesToZero4x4(sumOfMagnitudes: Int, qp: Int, deadZone: Int32) -> Bool {
        let bits = quantShift + qp / 6
        let rounding = Int64(deadZone) << (bits - 8)
        return Int64(sumOfMagnitudes) * zeroBound4Table[qp % 6] + rounding < Int64(1) << bits
    }

    /// Per `qp % 6`: for each product `r_k * r_j` of the forward 8x8 basis bounds `r` = (8, 12, 8, 12,
    /// 8, 12, 8, 12) (the largest magnitude in each basis row), the largest multiplier among the
    /// positions with that product, as (product, multiplier) pairs.
    static let zeroBound8: [[(product: Int64, multiplier: Int64)]] = (0..<6).map { r in
        let rows: [Int64] = [8, 12, 8, 12, 8, 12, 8, 12]
        var largest: [Int64: Int64] = [:]
        for k in 0..<64 {
            let product = rows[k / 8] * rows[k % 8]
            largest[product] = max(largest[product] ?? 0, Int64(quant8[r * 64 + k]))
        }
        return largest.sorted { $0.key < $1.key }.map { (product: $0.key, multiplier: $0.value) }
    }

    /// Whether an 8x8 residual block with this sum of absolute values certainly quantizes to zero with
    /// the 8x8 transform: each coefficient is `(s + 32) >> 6` with `|s| <= r_k r_j sum |x|`, so its
    /// magnitude is at most `(r_k r_j sum |x| + 32) >> 6`.
    @inline(__always)
    static func quantizesToZero8x8(sumOfMagnitudes: Int, qp: Int, deadZone: Int32) -> Bool {
        let bits = quantShift + qp / 6
        let rounding = Int64(deadZone) << (bits - 8), limit = Int64(1) << bits
        let bounds = zeroBound8Table + (qp % 6) * 2 * zeroBound8Products
        for k in 0..<zeroBound8Products where ((bounds[2 * k] * Int64(sumOfMagnitudes) + 32) >> 6) * bounds[2 * k + 1] + rounding >= limit {
            return false
        }
        return true
    }

    /// Scalar reference dequantization of `count` (16 or 64) levels.
    static func dequantizeScalar(_ levels: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<Int32>, _ count: Int, _ qp: Int) {
        let shift = Int32(qp / 6)
        if count == 16 {
            dequant4.withUnsafeBufferPointer { t in
                let m = t.baseAddress! + (qp % 6) * 16
                for k in 0..<16 { out[k] = (levels[k] &* m[k]) &<< shift }
            }
        } else {
            dequant8.withUnsafeBufferPointer { t in
                let m = t.baseAddress! + (qp % 6) * 64
                for k in 0..<64 { out[k] = (((levels[k] &* m[k]) &<< shift) &+ 2) >> 2 }
            }
        }
    }

    /// SIMD twin of ``dequantizeScalar(_:_:_:_:)``.
    static func dequantizeSIMD(_ levels: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<Int32>, _ count: Int, _ qp: Int) {
        let shift = SIMD16<Int32>(repeating: Int32(qp / 6))
        let l = UnsafeRawPointer(levels), o = UnsafeMutableRawPointer(out)
        if count == 16 {
            let m = UnsafeRawPointer(dequant4Table + (qp % 6) * 16)
            let v = (l.loadUnaligned(as: SIMD16<Int32>.self) &* m.loadUnaligned(as: SIMD16<Int32>.self)) &<< shift
            o.storeBytes(of: v, as: SIMD16<Int32>.self)
        } else {
            let two = SIMD16<Int32>(repeating: 2)
            let m = UnsafeRawPointer(dequant8Table + (qp % 6) * 64)
            for k in stride(from: 0, to: 256, by: 64) {
                let v = (l.loadUnaligned(fromByteOffset: k, as: SIMD16<Int32>.self) &* m.loadUnaligned(fromByteOffset: k, as: SIMD16<Int32>.self)) &<< shift
                o.storeBytes(of: (v &+ two) &>> 2, toByteOffset: k, as: SIMD16<Int32>.self)
            }
        }
    }

    /// Scalar reference dead-zone quantizer: `deadZone` is the rounding offset in 1/256 of a step
    /// (128 rounds to nearest; smaller values widen the zero bin). Returns the number of nonzero levels.
    @discardableResult
    static func quantizeScalar(_ coefficients: UnsafePointer<Int32>, _ levels: UnsafeMutablePointer<Int32>, _ count: Int,
                               _ qp: Int, _ deadZone: Int32) -> Int {
        let bits = Int32(quantShift + qp / 6)
        let rounding = deadZone << (bits - 8)
        var nonzero = 0
        (count == 16 ? quant4 : quant8).withUnsafeBufferPointer { t in
            let m = t.baseAddress! + (qp % 6) * count
            for k in 0..<count {
                let w = coefficients[k]
                let a = (abs(w) * m[k] + rounding) >> bits
                levels[k] = w < 0 ? -a : a
                if a != 0 { nonzero += 1 }
            }
        }
        return nonzero
    }

    /// SIMD twin of ``quantizeScalar(_:_:_:_:_:)``.
    @discardableResult
    static func quantizeSIMD(_ coefficients: UnsafePointer<Int32>, _ levels: UnsafeMutablePointer<Int32>, _ count: Int,
                             _ qp: Int, _ deadZone: Int32) -> Int {
        let bits = Int32(quantShift + qp / 6)
        let rounding = SIMD16<Int32>(repeating: deadZone << (bits - 8)), shift = SIMD16<Int32>(repeating: bits)
        let zero = SIMD16<Int32>(repeating: 0)
        var nonzero = 0
        let c = UnsafeRawPointer(coefficients), o = UnsafeMutableRawPointer(levels)
        let m = UnsafeRawPointer((count == 16 ? quant4Table : quant8Table) + (qp % 6) * count)
        for k in stride(from: 0, to: count * 4, by: 64) {
            let w = c.loadUnaligned(fromByteOffset: k, as: SIMD16<Int32>.self)
            let negative = w .< zero
            let magnitude = w.replacing(with: zero &- w, where: negative)
            let a = (magnitude &* m.loadUnaligned(fromByteOffset: k, as: SIMD16<Int32>.self) &+ rounding) &>> shift
            o.storeBytes(of: a.replacing(with: zero &- a, where: negative), toByteOffset: k, as: SIMD16<Int32>.self)
            nonzero += Int(zero.replacing(with: 1, where: a .!= zero).wrappedSum())
        }
        return nonzero
    }

    /// Zigzag scan orders (scan index -> raster index).
    static let zigzag4: [UInt8] = zigzag(4)
    static let zigzag8: [UInt8] = zigzag(8)
    /// ``zigzag4`` and ``zigzag8`` in memory that lives as long as the process: the syntax reader, the
    /// writer and the encoder's residual coder read them through plain pointers rather than inside the
    /// arrays' buffer closures.
    nonisolated(unsafe) static let zigzag4Scan: UnsafePointer<UInt8> = permanent(zigzag4)
    nonisolated(unsafe) static let zigzag8Scan: UnsafePointer<UInt8> = permanent(zigzag8)

    /// The forward multipliers and dequantization scales the SIMD kernels read, likewise: reading the
    /// arrays inside their buffer closures retained and released them on every block the encoder quantized.
    nonisolated(unsafe) static let quant4Table: UnsafePointer<Int32> = permanent(quant4)
    nonisolated(unsafe) static let quant8Table: UnsafePointer<Int32> = permanent(quant8)
    nonisolated(unsafe) static let dequant4Table: UnsafePointer<Int32> = permanent(dequant4)
    nonisolated(unsafe) static let dequant8Table: UnsafePointer<Int32> = permanent(dequant8)
    /// ``zeroBound4``, and ``zeroBound8`` as (product, multiplier) pairs, ``zeroBound8Products`` per `qp % 6`:
    /// the encoder tests every block it considers (reading the arrays retained and released them each time).
    nonisolated(unsafe) static let zeroBound4Table: UnsafePointer<Int64> = permanent(zeroBound4)
    static let zeroBound8Products = 3
    nonisolated(unsafe) static let zeroBound8Table: UnsafePointer<Int64> = {
        precondition(zeroBound8.allSatisfy { $0.count == zeroBound8Products })
        return permanent(zeroBound8.flatMap { $0.flatMap { [$0.product, $0.multiplier] } })
    }()
    /// ``sampleEnergy4`` and ``sampleEnergy8``, which the rate-distortion quantizer reads per level.
    nonisolated(unsafe) static let sampleEnergy4Table: UnsafePointer<Double> = permanent(sampleEnergy4)
    nonisolated(unsafe) static let sampleEnergy8Table: UnsafePointer<Double> = permanent(sampleEnergy8)

    private static func permanent<T>(_ values: [T]) -> UnsafePointer<T> {
        let table = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        table.initialize(from: values, count: values.count)
        return UnsafePointer(table)
    }

    private static func zigzag(_ n: Int) -> [UInt8] {
        var order: [UInt8] = []
        for s in 0..<(2 * n - 1) {
            if s % 2 == 0 {
                var row = min(s, n - 1)
                while row >= 0 && s - row < n { order.append(UInt8(row * n + s - row)); row -= 1 }
            } else {
                var row = max(0, s - n + 1)
                while row < n && s - row >= 0 { order.append(UInt8(row * n + s - row)); row += 1 }
            }
        }
        return order
    }
}
