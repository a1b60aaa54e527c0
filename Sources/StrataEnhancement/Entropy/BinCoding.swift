import Foundation

/// A destination for binarized syntax: the arithmetic encoder, or a rate estimator the encoder's
/// decisions use to price alternatives with the current context states (without adapting them).
protocol BinWriter {
    /// Codes `bin` with context `context`.
    mutating func bin(_ bin: Int, _ context: Int)
    /// Codes `bin` with probability 1/2.
    mutating func bypass(_ bin: Int)
}

extension BinWriter {
    /// k-th order Exp-Golomb code of `value` >= 0 in bypass bins.
    @inline(__always) mutating func expGolomb(_ value: Int, _ order: Int) {
        var v = value, k = order
        while v >= 1 << k {
            bypass(1)
            v -= 1 << k
            k += 1
        }
        bypass(0)
        while k > 0 {
            k -= 1
            bypass((v >> k) & 1)
        }
    }
}

/// Writes bins into a ``RangeEncoder`` with adapting contexts.
struct ArithmeticBinWriter: BinWriter {
    var encoder: RangeEncoder
    let states: UnsafeMutablePointer<UInt32>

    @inline(__always) mutating func bin(_ bin: Int, _ context: Int) { encoder.encode(bin, &states[context]) }
    @inline(__always) mutating func bypass(_ bin: Int) { encoder.encodeBypass(bin) }
}

/// Sums the cost in 1/256 bit of the bins it is given, from the current context states.
struct RateEstimator: BinWriter {
    let states: UnsafePointer<UInt32>
    /// Accumulated cost in 1/256 bit.
    var cost = 0
    /// ``costTable``, read once per estimator: the encoder prices millions of bins, and each read of
    /// the global checked that it was initialised (a call into the runtime).
    private let table: UnsafePointer<Int32>

    init(states: UnsafePointer<UInt32>) {
        self.states = states
        table = UnsafePointer(RateEstimator.costTable)
    }

    /// Cost in 1/256 bit of a bin whose probability is `(index + 0.5) / 256`.
    nonisolated(unsafe) static let costTable: UnsafeMutablePointer<Int32> = {
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        for i in 0..<256 { table[i] = Int32((-log2((Double(i) + 0.5) / 256) * 256).rounded()) }
        return table
    }()

    @inline(__always) mutating func bin(_ bin: Int, _ context: Int) {
        let p0 = ContextStates.probabilityOfZero(states[context])
        let p = bin == 0 ? p0 : 32768 &- p0
        cost &+= Int(table[Int(p >> 7)])
    }
    @inline(__always) mutating func bypass(_ bin: Int) { cost += 256 }
}

/// Reads bins from a ``RangeDecoder``.
struct ArithmeticBinReader {
    var decoder: RangeDecoder
    let states: UnsafeMutablePointer<UInt32>

    @inline(__always) mutating func bin(_ context: Int) -> Int { decoder.decode(&states[context]) }
    @inline(__always) mutating func bypass() -> Int { decoder.decodeBypass() }

    /// k-th order Exp-Golomb value; nil when the prefix is longer than `maxPrefix` (invalid syntax).
    @inline(__always) mutating func expGolomb(_ order: Int, maxPrefix: Int = 24) -> Int? {
        var k = order, v = 0
        while bypass() == 1 {
            v += 1 << k
            k += 1
            if k > maxPrefix { return nil }
        }
        var suffix = 0
        while k > 0 {
            k -= 1
            suffix = suffix << 1 | bypass()
        }
        return v + suffix
    }
}
