import Foundation

/// A destination for binarized syntax: the arithmetic encoder, or a rate estimator the encoder's
/// decisions use to price alternatives with the current context states (without adapting them).
protocol BinWriter {
    /// Codes `bin` with context `context`.
    mutating func bin(_ bin: Int, _ context: Int)
    /// Codes `bin` with probability 1/2.
    mutating func bypass(_ bin: Int)
    /// Codes one residual block (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:hidesSigns:)``, which the
    /// default does); a writer that already knows the block's rate may add it instead.
    mutating func residualBlock(_ block: UnsafePointer<Int32>, _ scan: UnsafePointer<UInt8>, _ n: Int, _ base: Int,
                                _ refinement: Int, _ lower: UnsafePointer<Int8>, hidesSigns: Bool)
}

extension BinWriter {
    @inline(__always) mutating func residualBlock(_ block: UnsafePointer<Int32>, _ scan: UnsafePointer<UInt8>, _ n: Int, _ base: Int,
                                                  _ refinement: Int, _ lower: UnsafePointer<Int8>, hidesSigns: Bool) {
        MacroblockWriter.writeBlock(&self, block, scan, n, base, refinement, lower, hidesSigns: hidesSigns)
    }

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
    /// When given, the ``ContextCosts/values`` of `states`, kept up to date as each bin adapts its context.
    let costs: UnsafeMutablePointer<Int32>?

    init(encoder: RangeEncoder, states: UnsafeMutablePointer<UInt32>, costs: UnsafeMutablePointer<Int32>? = nil) {
        self.encoder = encoder
        self.states = states
        self.costs = costs
    }

    @inline(__always) mutating func bin(_ bin: Int, _ context: Int) {
        encoder.encode(bin, &states[context])
        if let costs { ContextCosts.set(costs, context, states[context]) }
    }
    @inline(__always) mutating func bypass(_ bin: Int) { encoder.encodeBypass(bin) }
}

/// Sums the cost in 1/256 bit of the bins it is given, from the costs of the current context states
/// (``ContextCosts``), without adapting them.
struct RateEstimator: BinWriter {
    /// ``ContextCosts/values``: the cost of a 0 and of a 1 in each context.
    let costs: UnsafePointer<Int32>
    /// Accumulated cost in 1/256 bit.
    var cost = 0

    init(costs: UnsafePointer<Int32>) { self.costs = costs }

    @inline(__always) mutating func bin(_ bin: Int, _ context: Int) { cost &+= Int(costs[2 &* context &+ bin]) }
    @inline(__always) mutating func bypass(_ bin: Int) { cost += 256 }
}

/// A ``RateEstimator`` for a macroblock whose residual blocks were priced already (by the
/// rate-distortion quantizer): their rates are added, not priced again. `levels` is the
/// macroblock's coefficient array (``CoefficientLayout``); a block at offset `16 k` of it takes
/// `lumaRates[k]` (k < 16; an 8x8 block of quadrant q, k = 4q) or `chromaRates[k - 16]`.
struct KnownBlockRates: BinWriter {
    var estimator: RateEstimator
    let levels: UnsafePointer<Int32>
    let lumaRates: UnsafePointer<Int32>, chromaRates: UnsafePointer<Int32>

    @inline(__always) mutating func bin(_ bin: Int, _ context: Int) { estimator.bin(bin, context) }
    @inline(__always) mutating func bypass(_ bin: Int) { estimator.bypass(bin) }
    @inline(__always) mutating func residualBlock(_ block: UnsafePointer<Int32>, _ scan: UnsafePointer<UInt8>, _ n: Int, _ base: Int,
                                                  _ refinement: Int, _ lower: UnsafePointer<Int8>, hidesSigns: Bool) {
        let k = (block - levels) >> 4
        estimator.cost &+= Int(k < 16 ? lumaRates[k] : chromaRates[k - 16])
    }
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
