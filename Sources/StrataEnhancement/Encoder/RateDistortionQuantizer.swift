/// Rate-distortion optimised quantization, an encoder decision that leaves the bitstream format
/// untouched: after the dead-zone quantizer, each level of magnitude 1 or 2, from the last in scan
/// order back to the first, moves one step toward zero when the bits it saves are worth more than
/// the distortion it adds (larger levels save about one bin per step, never worth a step's error).
/// Distortion is the picture-domain squared error of the coefficient, through the energy of the
/// transform's basis function at its position; rate is the block's exact binarization priced with
/// the current context states (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:hidesSigns:)``), each move
/// priced from the rate before it (``ResidualBlockRate``).
enum RateDistortionQuantizer {
    /// Bits beyond which one level change is not priced: more than lowering one level can save.
    static let largestSaving = 12.0

    /// Refines `levels` (`count` = 16 or 64, raster order), quantized from the forward `coefficients`
    /// at `qp`, for the cost `D + lambda * R` (D in squared samples, R in bits). `context` is the
    /// block's residual context base. Returns the number of nonzero levels left (0: the block is
    /// empty) and, for a block that is not empty, its rate as coded (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:hidesSigns:)``
    /// priced with `costs`, in 1/256 bit), which the caller need not price again.
    static func refine(_ coefficients: UnsafePointer<Int32>, _ levels: UnsafeMutablePointer<Int32>, count: Int, qp: Int,
                       scan: UnsafePointer<UInt8>, context: Int, refinement: Int, lower: UnsafePointer<Int8>, hidesSigns: Bool,
                       costs: UnsafePointer<Int32>, lambda: Double) -> (nonzero: Int, rate: Int) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 64) { nonzeroScratch in
            var block = ResidualBlockRate(levels: levels, count: count, scan: scan, context: context, refinement: refinement,
                                          lower: lower, hidesSigns: hidesSigns, costs: costs, nonzeroScratch: nonzeroScratch.baseAddress!)
            guard block.nonzeroCount > 0 else { return (0, 0) }
            let multipliers = count == 16 ? Quantization.quant4Table : Quantization.quant8Table
            let energy = count == 16 ? Quantization.sampleEnergy4Table : Quantization.sampleEnergy8Table
            let quantizerStep = Double(1 << (Quantization.quantShift + qp / 6)), row = (qp % 6) * count
            let lambdaPerRateUnit = lambda / 256
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
                let move = block.price(i, to: level > 0 ? level - 1 : level + 1)
                if addedDistortion + lambdaPerRateUnit * Double(move.rate - block.rate) < 0 { block.apply(move) }
            }
            if hidesSigns && block.nonzeroCount > 0 {
                hideSigns(coefficients, levels, count: count, scan: scan, lower: lower, quantizerStep: quantizerStep,
                          multipliers: multipliers, row: row, energy: energy, lambda: lambda, block: &block)
            }
            // Every move made set the rate of the levels as they now are (an emptied block has none).
            return (block.nonzeroCount, block.rate)
        }
    }

    /// Rough rates in bits of a level moving up one step from magnitude 0, 1 and 2 or more (the
    /// significance, magnitude and sign bins it adds), which rank the candidates of ``hideSigns``.
    static let stepBits = [3.0, 2.0, 1.0]
    /// Candidates of ``hideSigns`` priced exactly per segment.
    static let pricedCandidates = 6

    /// Makes the parity of each segment whose sign is hidden (``SignHiding``) give the hidden level's
    /// sign, by moving one level one step: of the moves that keep the segment's hidden and last levels
    /// (and so the hiding) as they are, the ``pricedCandidates`` cheapest by distortion and
    /// ``stepBits`` are priced exactly (`block`, whose levels and rate the move taken updates), and the
    /// cheapest taken.
    private static func hideSigns(_ coefficients: UnsafePointer<Int32>, _ levels: UnsafeMutablePointer<Int32>, count: Int,
                                  scan: UnsafePointer<UInt8>, lower: UnsafePointer<Int8>, quantizerStep: Double,
                                  multipliers: UnsafePointer<Int32>, row: Int, energy: UnsafePointer<Double>, lambda: Double,
                                  block: inout ResidualBlockRate) {
        var last = count - 1
        while last > 0 && levels[Int(scan[last])] == 0 { last -= 1 }
        let hidden = SignHiding.hiddenPositions(levels, scan, last: last, lower)
        // (estimated cost, scan position, new level, distortion change) of each move of a segment: at
        // most two per position, in memory of the call's own (nothing is allocated per block).
        withUnsafeTemporaryAllocation(of: (Double, Int, Int32, Double).self, capacity: 32) { candidates in
            for g in 0..<4 where hidden[g] >= 0 {
                let h = Int(hidden[g]), start = g * 16, end = min(start + 16, count)
                var sum: Int32 = 0, segmentLast = h
                for i in start..<end where levels[Int(scan[i])] != 0 {
                    sum &+= Int32(levels[Int(scan[i])].magnitude)
                    segmentLast = i
                }
                if (sum & 1 == 1) == (levels[Int(scan[h])] < 0) { continue }
                var found = 0
                for i in start..<end {
                    let k = Int(scan[i]), level = levels[k], a = Int32(level.magnitude)
                    let step = quantizerStep / Double(multipliers[row + k])
                    let error = Double(coefficients[k].magnitude) - Double(a) * step
                    let sign: Int32 = (a == 0 ? coefficients[k] < 0 : level < 0) ? -1 : 1
                    if a > 0 || (i > h && i < segmentLast) {
                        let up = error - step, distortion = energy[k] * (up * up - error * error)
                        candidates.initializeElement(at: found, to: (distortion + lambda * stepBits[min(Int(a), 2)], i, sign * (a + 1), distortion))
                        found += 1
                    }
                    if a >= 2 || (a == 1 && i != h && i != segmentLast) {
                        let down = error + step, distortion = energy[k] * (down * down - error * error)
                        candidates.initializeElement(at: found, to: (distortion - lambda * stepBits[min(Int(a) - 1, 2)], i, sign * (a - 1), distortion))
                        found += 1
                    }
                }
                var ranked = UnsafeMutableBufferPointer(rebasing: candidates[0..<found])
                ranked.sort { $0.0 < $1.0 }
                var best: (cost: Double, move: ResidualBlockRate.Move)? = nil
                for (_, i, newLevel, distortion) in ranked.prefix(pricedCandidates) {
                    let move = block.price(i, to: newLevel)
                    let cost = distortion + lambda * Double(move.rate) / 256
                    if best == nil || cost < best!.cost { best = (cost, move) }
                }
                // Later segments are priced with this move made. (There is always a move: the hidden
                // level itself may go up a step.)
                block.apply(best!.move)
            }
        }
    }
}
