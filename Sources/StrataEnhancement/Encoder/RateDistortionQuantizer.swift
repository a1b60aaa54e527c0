/// Rate-distortion optimised quantization, an encoder decision that leaves the bitstream format
/// untouched: after the dead-zone quantizer, each level of magnitude 1 or 2, from the last in scan
/// order back to the first, moves one step toward zero when the bits it saves are worth more than
/// the distortion it adds (larger levels save about one bin per step, never worth a step's error).
/// Distortion is the picture-domain squared error of the coefficient, through the energy of the
/// transform's basis function at its position; rate is the block's exact binarization priced with
/// the current context states (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:)``).
enum RateDistortionQuantizer {
    /// Bits beyond which one level change is not priced: more than lowering one level can save.
    static let largestSaving = 12.0

    /// Refines `levels` (`count` = 16 or 64, raster order), quantized from the forward `coefficients`
    /// at `qp`, for the cost `D + lambda * R` (D in squared samples, R in bits). `context` is the
    /// block's residual context base. Returns the number of nonzero levels left (0: the block is
    /// empty) and, for a block that is not empty, its rate as coded (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:)``
    /// priced with `states`, in 1/256 bit), which the caller need not price again.
    static func refine(_ coefficients: UnsafePointer<Int32>, _ levels: UnsafeMutablePointer<Int32>, count: Int, qp: Int,
                       scan: UnsafePointer<UInt8>, context: Int, refinement: Int, lower: UnsafePointer<Int8>,
                       states: UnsafePointer<UInt32>, lambda: Double) -> (nonzero: Int, rate: Int) {
        var nonzero = 0
        for k in 0..<count where levels[k] != 0 { nonzero += 1 }
        guard nonzero > 0 else { return (0, 0) }
        @inline(__always) func rate() -> Int {
            var estimator = RateEstimator(states: states)
            MacroblockWriter.writeBlock(&estimator, levels, scan, count, context, refinement, lower)
            return estimator.cost
        }
        let multipliers = count == 16 ? Quantization.quant4 : Quantization.quant8
        let energy = count == 16 ? Quantization.sampleEnergy4 : Quantization.sampleEnergy8
        let quantizerStep = Double(1 << (Quantization.quantShift + qp / 6)), row = (qp % 6) * count
        let lambdaPerRateUnit = lambda / 256
        var currentRate = rate()
        var i = count
        while i > 0 {
            i -= 1
            let k = Int(scan[i]), level = levels[k]
            guard level != 0, level.magnitude <= 2 else { continue }
            // Forward-domain value of one level step at this position, and the errors of both levels.
            let step = quantizerStep / Double(multipliers[row + k])
            let w = Double(coefficients[k].magnitude), a = Double(level.magnitude)
            let errorNow = w - a * step, errorLowered = errorNow + step
            let addedDistortion = energy[k] * (errorLowered * errorLowered - errorNow * errorNow)
            // Removing a level saves its significance, last, magnitude and sign bins: a few bits at most.
            if addedDistortion > lambda * RateDistortionQuantizer.largestSaving { continue }
            let lowered = level > 0 ? level - 1 : level + 1
            levels[k] = lowered
            let loweredRate = lowered == 0 && nonzero == 1 ? 0 : rate()
            if addedDistortion + lambdaPerRateUnit * Double(loweredRate - currentRate) < 0 {
                currentRate = loweredRate
                if lowered == 0 { nonzero -= 1 }
            } else {
                levels[k] = level
            }
        }
        // Every accepted step set the rate of the levels as they now are (an emptied block has none).
        return (nonzero, nonzero > 0 ? currentRate : 0)
    }
}
