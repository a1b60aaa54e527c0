/// Lane-wise integer conversions between concrete SIMD types.
///
/// The standard library's generic `init(truncatingIfNeeded:)` is not always inlined in large
/// kernels, and its out-of-line form converts lane by lane through a loop; these concrete
/// initializers always inline and compile to single widening or narrowing instructions.
/// Values are truncated to the destination width, as `truncatingIfNeeded` does.

extension SIMD16 where Scalar == UInt16 {
    /// Each lane of `v` converted to `UInt16` (truncating).
    @inline(__always) init(lanes v: SIMD16<UInt8>) {
        self.init(UInt16(truncatingIfNeeded: v[0]), UInt16(truncatingIfNeeded: v[1]), UInt16(truncatingIfNeeded: v[2]), UInt16(truncatingIfNeeded: v[3]), UInt16(truncatingIfNeeded: v[4]), UInt16(truncatingIfNeeded: v[5]), UInt16(truncatingIfNeeded: v[6]), UInt16(truncatingIfNeeded: v[7]), UInt16(truncatingIfNeeded: v[8]), UInt16(truncatingIfNeeded: v[9]), UInt16(truncatingIfNeeded: v[10]), UInt16(truncatingIfNeeded: v[11]), UInt16(truncatingIfNeeded: v[12]), UInt16(truncatingIfNeeded: v[13]), UInt16(truncatingIfNeeded: v[14]), UInt16(truncatingIfNeeded: v[15]))
    }
}

extension SIMD16 where Scalar == Int32 {
    /// Each lane of `v` converted to `Int32`.
    @inline(__always) init(lanes v: SIMD16<UInt8>) {
        self.init(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]),
                  Int32(v[8]), Int32(v[9]), Int32(v[10]), Int32(v[11]), Int32(v[12]), Int32(v[13]), Int32(v[14]), Int32(v[15]))
    }
}

extension SIMD4 where Scalar == Int16 {
    /// Each lane of `v` converted to `Int16` (truncating).
    @inline(__always) init(lanes v: SIMD4<Int32>) {
        self.init(Int16(truncatingIfNeeded: v[0]), Int16(truncatingIfNeeded: v[1]), Int16(truncatingIfNeeded: v[2]), Int16(truncatingIfNeeded: v[3]))
    }
    /// Each lane of `v` converted to `Int16` (truncating).
    @inline(__always) init(lanes v: SIMD4<UInt8>) {
        self.init(Int16(truncatingIfNeeded: v[0]), Int16(truncatingIfNeeded: v[1]), Int16(truncatingIfNeeded: v[2]), Int16(truncatingIfNeeded: v[3]))
    }
}

extension SIMD4 where Scalar == Int32 {
    /// Each lane of `v` converted to `Int32` (truncating).
    @inline(__always) init(lanes v: SIMD4<UInt8>) {
        self.init(Int32(truncatingIfNeeded: v[0]), Int32(truncatingIfNeeded: v[1]), Int32(truncatingIfNeeded: v[2]), Int32(truncatingIfNeeded: v[3]))
    }
}

extension SIMD4 where Scalar == UInt8 {
    /// Each lane of `v` converted to `UInt8` (truncating).
    @inline(__always) init(lanes v: SIMD4<Int16>) {
        self.init(UInt8(truncatingIfNeeded: v[0]), UInt8(truncatingIfNeeded: v[1]), UInt8(truncatingIfNeeded: v[2]), UInt8(truncatingIfNeeded: v[3]))
    }
}

extension SIMD8 where Scalar == Int16 {
    /// Each lane of `v` converted to `Int16` (truncating).
    @inline(__always) init(lanes v: SIMD8<UInt8>) {
        self.init(Int16(truncatingIfNeeded: v[0]), Int16(truncatingIfNeeded: v[1]), Int16(truncatingIfNeeded: v[2]), Int16(truncatingIfNeeded: v[3]), Int16(truncatingIfNeeded: v[4]), Int16(truncatingIfNeeded: v[5]), Int16(truncatingIfNeeded: v[6]), Int16(truncatingIfNeeded: v[7]))
    }
    /// Each lane of `v` converted to `Int16` (truncating).
    @inline(__always) init(lanes v: SIMD8<Int32>) {
        self.init(Int16(truncatingIfNeeded: v[0]), Int16(truncatingIfNeeded: v[1]), Int16(truncatingIfNeeded: v[2]), Int16(truncatingIfNeeded: v[3]), Int16(truncatingIfNeeded: v[4]), Int16(truncatingIfNeeded: v[5]), Int16(truncatingIfNeeded: v[6]), Int16(truncatingIfNeeded: v[7]))
    }
}

extension SIMD8 where Scalar == Int32 {
    /// Each lane of `v` converted to `Int32` (truncating).
    @inline(__always) init(lanes v: SIMD8<Int16>) {
        self.init(Int32(truncatingIfNeeded: v[0]), Int32(truncatingIfNeeded: v[1]), Int32(truncatingIfNeeded: v[2]), Int32(truncatingIfNeeded: v[3]), Int32(truncatingIfNeeded: v[4]), Int32(truncatingIfNeeded: v[5]), Int32(truncatingIfNeeded: v[6]), Int32(truncatingIfNeeded: v[7]))
    }
    /// Each lane of `v` converted to `Int32` (truncating).
    @inline(__always) init(lanes v: SIMD8<UInt8>) {
        self.init(Int32(truncatingIfNeeded: v[0]), Int32(truncatingIfNeeded: v[1]), Int32(truncatingIfNeeded: v[2]), Int32(truncatingIfNeeded: v[3]), Int32(truncatingIfNeeded: v[4]), Int32(truncatingIfNeeded: v[5]), Int32(truncatingIfNeeded: v[6]), Int32(truncatingIfNeeded: v[7]))
    }
}

extension SIMD8 where Scalar == UInt16 {
    /// Each lane of `v` converted to `UInt16` (truncating).
    @inline(__always) init(lanes v: SIMD8<UInt8>) {
        self.init(UInt16(truncatingIfNeeded: v[0]), UInt16(truncatingIfNeeded: v[1]), UInt16(truncatingIfNeeded: v[2]), UInt16(truncatingIfNeeded: v[3]), UInt16(truncatingIfNeeded: v[4]), UInt16(truncatingIfNeeded: v[5]), UInt16(truncatingIfNeeded: v[6]), UInt16(truncatingIfNeeded: v[7]))
    }
}

extension SIMD8 where Scalar == UInt8 {
    /// Each lane of `v` converted to `UInt8` (truncating).
    @inline(__always) init(lanes v: SIMD8<Int16>) {
        self.init(UInt8(truncatingIfNeeded: v[0]), UInt8(truncatingIfNeeded: v[1]), UInt8(truncatingIfNeeded: v[2]), UInt8(truncatingIfNeeded: v[3]), UInt8(truncatingIfNeeded: v[4]), UInt8(truncatingIfNeeded: v[5]), UInt8(truncatingIfNeeded: v[6]), UInt8(truncatingIfNeeded: v[7]))
    }
    /// Each lane of `v` converted to `UInt8` (truncating).
    @inline(__always) init(lanes v: SIMD8<Int32>) {
        self.init(UInt8(truncatingIfNeeded: v[0]), UInt8(truncatingIfNeeded: v[1]), UInt8(truncatingIfNeeded: v[2]), UInt8(truncatingIfNeeded: v[3]), UInt8(truncatingIfNeeded: v[4]), UInt8(truncatingIfNeeded: v[5]), UInt8(truncatingIfNeeded: v[6]), UInt8(truncatingIfNeeded: v[7]))
    }
    /// Each lane of `v` converted to `UInt8` (truncating).
    @inline(__always) init(lanes v: SIMD8<UInt16>) {
        self.init(UInt8(truncatingIfNeeded: v[0]), UInt8(truncatingIfNeeded: v[1]), UInt8(truncatingIfNeeded: v[2]), UInt8(truncatingIfNeeded: v[3]), UInt8(truncatingIfNeeded: v[4]), UInt8(truncatingIfNeeded: v[5]), UInt8(truncatingIfNeeded: v[6]), UInt8(truncatingIfNeeded: v[7]))
    }
}

extension SIMD8 where Scalar == Int16 {
    /// Lanes limited to 0...255, ready for narrowing to bytes.
    @inline(__always) func clampedToByte() -> SIMD8<Int16> {
        let zero = SIMD8<Int16>(repeating: 0), top = SIMD8<Int16>(repeating: 255)
        // Limited above first, then below: the form the compiler turns into one saturating pack
        // (packuswb) when the result is narrowed to bytes; the other order costs about ten instructions.
        let below = replacing(with: top, where: self .> top)
        return below.replacing(with: zero, where: below .< zero)
    }

    /// Each lane's magnitude, as the larger of it and its negation (one `pmaxsw`); -32768 stays itself.
    @inline(__always) func lanesMagnitude() -> SIMD8<Int16> {
        let negated = 0 &- self
        return replacing(with: negated, where: negated .> self)
    }
}

extension SIMD8 where Scalar == Int16 {
    /// The lanes' products in 32 bits, neighbouring pairs added: lane k is `self[2k] * other[2k] +
    /// self[2k + 1] * other[2k + 1]`. Written as products of the widened lanes and the sum of their
    /// even and odd halves, the form the compiler turns into one `pmaddwd`.
    @inline(__always) func multipliedAddingPairs(_ other: Self) -> SIMD4<Int32> {
        let products = SIMD8<Int32>(lanes: self) &* SIMD8<Int32>(lanes: other)
        return products.evenHalf &+ products.oddHalf
    }
}

extension SIMD8 where Scalar == Int16 {
    /// The lanes 0...3 of `self` and `other` alternately (`punpcklwd`).
    @inline(__always) func interleavingLow16(_ other: Self) -> Self {
        Self(self[0], other[0], self[1], other[1], self[2], other[2], self[3], other[3])
    }
    /// The lanes 4...7 of `self` and `other` alternately (`punpckhwd`).
    @inline(__always) func interleavingHigh16(_ other: Self) -> Self {
        Self(self[4], other[4], self[5], other[5], self[6], other[6], self[7], other[7])
    }
    /// The low two 32-bit words of `self` and `other` alternately (`punpckldq`).
    @inline(__always) func interleavingLow32(_ other: Self) -> Self {
        let x = unsafeBitCast(self, to: SIMD4<Int32>.self), y = unsafeBitCast(other, to: SIMD4<Int32>.self)
        return unsafeBitCast(SIMD4<Int32>(x[0], y[0], x[1], y[1]), to: Self.self)
    }
    /// The high two 32-bit words of `self` and `other` alternately (`punpckhdq`).
    @inline(__always) func interleavingHigh32(_ other: Self) -> Self {
        let x = unsafeBitCast(self, to: SIMD4<Int32>.self), y = unsafeBitCast(other, to: SIMD4<Int32>.self)
        return unsafeBitCast(SIMD4<Int32>(x[2], y[2], x[3], y[3]), to: Self.self)
    }
    /// The low 64-bit words of `self` and `other` (`punpcklqdq`).
    @inline(__always) func interleavingLow64(_ other: Self) -> Self {
        let x = unsafeBitCast(self, to: SIMD2<Int64>.self), y = unsafeBitCast(other, to: SIMD2<Int64>.self)
        return unsafeBitCast(SIMD2<Int64>(x[0], y[0]), to: Self.self)
    }
    /// The high 64-bit words of `self` and `other` (`punpckhqdq`).
    @inline(__always) func interleavingHigh64(_ other: Self) -> Self {
        let x = unsafeBitCast(self, to: SIMD2<Int64>.self), y = unsafeBitCast(other, to: SIMD2<Int64>.self)
        return unsafeBitCast(SIMD2<Int64>(x[1], y[1]), to: Self.self)
    }
}

extension SIMD4 where Scalar == Int16 {
    /// Lanes limited to 0...255, ready for narrowing to bytes.
    @inline(__always) func clampedToByte() -> SIMD4<Int16> {
        let zero = SIMD4<Int16>(repeating: 0), top = SIMD4<Int16>(repeating: 255)
        // Limited above first, then below: the form the compiler turns into one saturating pack
        // (packuswb) when the result is narrowed to bytes; the other order costs about ten instructions.
        let below = replacing(with: top, where: self .> top)
        return below.replacing(with: zero, where: below .< zero)
    }
}

extension SIMD8 where Scalar == Int32 {
    /// Lanes limited to 0...255, ready for narrowing to bytes.
    @inline(__always) func clampedToByte() -> SIMD8<Int32> {
        let zero = SIMD8<Int32>(repeating: 0), top = SIMD8<Int32>(repeating: 255)
        // Limited above first, then below: the form the compiler turns into one saturating pack
        // (packuswb) when the result is narrowed to bytes; the other order costs about ten instructions.
        let below = replacing(with: top, where: self .> top)
        return below.replacing(with: zero, where: below .< zero)
    }
}

extension SIMD where Scalar == UInt8 {
    /// The rounded average `(a + b + 1) >> 1` of each pair of lanes, in 8-bit lanes as
    /// `(a | b) - ((a ^ b) >> 1)` (`a + b = 2 (a & b) + (a ^ b)`), without widening to 16 bits.
    @inline(__always) func roundedAverage(_ other: Self) -> Self { (self | other) &- ((self ^ other) &>> 1) }
}

/// Whether every bit of a 128-bit vector is zero, tested as two 64-bit words: a vector `==` against
/// zero compiles to a compare and a branch per lane.
@inline(__always) func isAllZero<V: SIMD>(_ v: V) -> Bool {
    let words = unsafeBitCast(v, to: SIMD2<UInt64>.self)
    return words[0] | words[1] == 0
}

/// Lane interleaves (SSE2's unpack instructions): `low(a, b)` takes lanes 0, 1, ... of `a` and `b`
/// alternately, `high(a, b)` the upper halves' lanes the same way. Written lane by lane, which the
/// compiler turns into one shuffle; the building blocks of small transposes.
enum Interleave {
    @inline(__always) static func low(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }

    @inline(__always) static func low(_ a: SIMD8<UInt16>, _ b: SIMD8<UInt16>) -> SIMD8<UInt16> {
        SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3])
    }

    @inline(__always) static func high(_ a: SIMD8<UInt16>, _ b: SIMD8<UInt16>) -> SIMD8<UInt16> {
        SIMD8(a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }

    @inline(__always) static func low(_ a: SIMD4<UInt32>, _ b: SIMD4<UInt32>) -> SIMD4<UInt32> {
        SIMD4(a[0], b[0], a[1], b[1])
    }

    @inline(__always) static func high(_ a: SIMD4<UInt32>, _ b: SIMD4<UInt32>) -> SIMD4<UInt32> {
        SIMD4(a[2], b[2], a[3], b[3])
    }

    /// `a` and `b` as 16-bit lanes, alternating: a[0], b[0], ... a[7], b[7].
    @inline(__always) static func both(_ a: SIMD8<Int16>, _ b: SIMD8<Int16>) -> SIMD16<Int16> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }
}

/// Hides where a pointer came from. Seeing several loads at small distances from one pointer, the
/// optimizer may rebuild some of them from another with lane shifts and scalar inserts, which on
/// SSE2 costs about twice as many instructions as the plain loads; loads through pointers it cannot
/// relate stay plain loads. Used by kernels whose filter taps overlap (2x upsampling, luma interpolation).
enum Opaque {
    /// `p` itself, through a function the optimizer does not look into.
    @_optimize(none) @inline(never)
    static func pointer(_ p: UnsafeRawPointer) -> UnsafeRawPointer { p }
}
