import StrataTestSupport
import Testing
@testable import StrataEnhancement

/// The encoder's rate-distortion quantizer: its distortion model against real reconstructions, and
/// its refinement against the cost it claims to lower.
@Suite struct RateDistortionQuantizerTests {
    /// A random residual block, its forward transform and its levels at `qp` (rounding `offset`/256).
    struct Block {
        var residual: [Int16], coefficients: [Int32], levels: [Int32]
    }

    static func block(size n: Int, qp: Int, offset: Int32, amplitude: Int, _ random: inout SplitMix64) -> Block {
        let residual = (0..<(n * n)).map { _ in Int16(Int(random.next() % UInt64(2 * amplitude + 1)) - amplitude) }
        var coefficients = [Int32](repeating: 0, count: 64), levels = [Int32](repeating: 0, count: 64), scratch = [Int32](repeating: 0, count: 64)
        if n == 4 { Transform.forward4x4Scalar(residual, 4, &coefficients) } else { Transform.forward8x8Scalar(residual, 8, &coefficients, &scratch) }
        Quantization.quantizeScalar(coefficients, &levels, n * n, qp, offset)
        return Block(residual: residual, coefficients: Array(coefficients.prefix(n * n)), levels: Array(levels.prefix(n * n)))
    }

    /// Squared error of the block's reconstruction from `levels`, in samples.
    static func reconstructionError(_ b: Block, levels: [Int32], size n: Int, qp: Int) -> Int {
        var dequantized = [Int32](repeating: 0, count: 64), reconstructed = [Int16](repeating: 0, count: 64), scratch = [Int32](repeating: 0, count: 64)
        Quantization.dequantizeScalar(levels, &dequantized, n * n, qp)
        if n == 4 { Transform.inverse4x4Scalar(dequantized, &reconstructed, 4) } else {
            Transform.inverse8x8Scalar(dequantized, &reconstructed, 8, &scratch)
        }
        return (0..<(n * n)).reduce(0) { sum, k in let d = Int(b.residual[k]) - Int(reconstructed[k]); return sum + d * d }
    }

    /// The model's squared error: each coefficient's forward-domain error times its basis energy.
    static func modelError(_ b: Block, levels: [Int32], size n: Int, qp: Int) -> Double {
        let multipliers = n == 4 ? Quantization.quant4 : Quantization.quant8
        let energy = n == 4 ? Quantization.sampleEnergy4 : Quantization.sampleEnergy8
        let step = Double(1 << (Quantization.quantShift + qp / 6))
        return (0..<(n * n)).reduce(0.0) { sum, k in
            let e = Double(b.coefficients[k]) - Double(levels[k]) * step / Double(multipliers[(qp % 6) * n * n + k])
            return sum + energy[k] * e * e
        }
    }

    static func rate(_ levels: [Int32], size n: Int, contexts: [UInt32]) -> Int {
        guard levels.contains(where: { $0 != 0 }) else { return 0 }
        return contexts.withUnsafeBufferPointer { states in
            let costs = ContextCosts(states: states.baseAddress!)
            return withExtendedLifetime(costs) {
                var estimator = RateEstimator(costs: costs.values)
                let scan = n == 4 ? Quantization.zigzag4 : Quantization.zigzag8
                MacroblockWriter.writeBlock(&estimator, levels, scan, n * n, MacroblockWriter.residualContext(n == 4 ? 0 : 1),
                                            MacroblockWriter.refinementContext(n == 4 ? 0 : 1), FrameSyntaxState.noLowerLevels,
                                            hidesSigns: false)
                return estimator.cost
            }
        }
    }

    @Test(arguments: [4, 8])
    func distortionModelMatchesReconstruction(size n: Int) {
        var random = SplitMix64(seed: 21)
        var measured = 0, modelled = 0.0
        for trial in 0..<300 {
            let qp = 12 + trial % 28
            let b = Self.block(size: n, qp: qp, offset: 128, amplitude: 60, &random)
            measured += Self.reconstructionError(b, levels: b.levels, size: n, qp: qp)
            modelled += Self.modelError(b, levels: b.levels, size: n, qp: qp)
        }
        // The integer transforms round, so the model is close, not exact; a wrong basis energy is off by far more.
        #expect(modelled > 0.9 * Double(measured) && modelled < 1.1 * Double(measured), "measured \(measured), model \(modelled)")
    }

    /// The rate the quantizer prices its moves with is the writer's, to the 1/256 bit: blocks of both
    /// sizes with skewed contexts, lower signs or none, hidden signs or none, levels from 1 to past the
    /// Exp-Golomb escape; each move priced (up, down, to zero, the last level included) and some made.
    @Test(arguments: [4, 8])
    func blockRateFollowsTheWriterThroughEveryMove(size n: Int) {
        var random = SplitMix64(seed: 70 + UInt64(n))
        let count = n * n
        let scan = n == 4 ? Quantization.zigzag4 : Quantization.zigzag8
        var states = [UInt32](repeating: ContextStates.initialState, count: ContextIndex.count)
        for c in states.indices {
            let fast = UInt32(200 + random.next() % 32300), slow = UInt32(200 + random.next() % 32300)
            states[c] = slow << 16 | fast
        }
        let costs = states.withUnsafeBufferPointer { ContextCosts(states: $0.baseAddress!) }
        var moves = 0, emptied = 0
        for trial in 0..<400 {
            let hidesSigns = trial % 3 != 0
            var lower = [Int8](repeating: 0, count: count)
            if trial % 2 == 0 { for k in 0..<count where random.next() % 4 == 0 { lower[k] = random.next() % 2 == 0 ? 1 : -1 } }
            var levels = [Int32](repeating: 0, count: count)
            let density = trial % 4 == 0 ? 3 * count / 2 : 2 + Int(random.next() % 8)
            for k in 0..<count where random.next() % UInt64(density) == 0 {
                let magnitude: Int32 = random.next() % 10 == 0 ? Int32(3 + random.next() % 40) : Int32(1 + random.next() % 2)
                levels[k] = random.next() % 2 == 0 ? magnitude : -magnitude
            }
            guard levels.contains(where: { $0 != 0 }) else { continue }
            func writerRate(_ l: [Int32]) -> Int {
                guard l.contains(where: { $0 != 0 }) else { return 0 }
                var estimator = RateEstimator(costs: costs.values)
                MacroblockWriter.writeBlock(&estimator, l, scan, count, MacroblockWriter.residualContext(n == 4 ? 0 : 1),
                                            MacroblockWriter.refinementContext(n == 4 ? 0 : 1), lower, hidesSigns: hidesSigns)
                return estimator.cost
            }
            withExtendedLifetime(costs) {
                levels.withUnsafeMutableBufferPointer { lv in
                    lower.withUnsafeBufferPointer { lowerSigns in
                        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 64) { scratch in
                            var block = ResidualBlockRate(levels: lv.baseAddress!, count: count, scan: scan,
                                                          context: MacroblockWriter.residualContext(n == 4 ? 0 : 1),
                                                          refinement: MacroblockWriter.refinementContext(n == 4 ? 0 : 1),
                                                          lower: lowerSigns.baseAddress!, hidesSigns: hidesSigns, costs: costs.values,
                                                          nonzeroScratch: scratch.baseAddress!)
                            #expect(block.rate == writerRate(Array(lv)))
                            for _ in 0..<12 where block.nonzeroCount > 0 {
                                let last = (0..<count).last { lv[Int(scan[$0])] != 0 }!
                                let i = Int(random.next() % UInt64(last + 1))
                                let old = lv[Int(scan[i])]
                                // Up or down a step, or to zero; a new level only before the last.
                                var new: Int32 = [old + 1, old - 1, 0, -old][Int(random.next() % 4)]
                                if old == 0 && i == last { new = 0 }
                                var moved = Array(lv)
                                moved[Int(scan[i])] = new
                                let move = block.price(i, to: new)
                                #expect(move.rate == writerRate(moved), "trial \(trial): position \(i), \(old) -> \(new)")
                                moves += 1
                                if random.next() % 2 == 0 {
                                    block.apply(move)
                                    #expect(Array(lv) == moved)
                                    #expect(block.rate == writerRate(moved))
                                    #expect(block.nonzeroCount == moved.filter { $0 != 0 }.count)
                                    if block.nonzeroCount == 0 { emptied += 1 }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(moves > 3000 && emptied > 0, "\(moves) moves, \(emptied) blocks emptied")
    }

    /// The macroblock's residual priced with its blocks' rates given (as the quantizer knows them) is
    /// the residual priced bin by bin: coded block patterns, both transform sizes, chroma, empty blocks.
    @Test func knownBlockRatesPriceTheResidualAsTheWriter() {
        var random = SplitMix64(seed: 90)
        var states = [UInt32](repeating: ContextStates.initialState, count: ContextIndex.count)
        for c in states.indices { states[c] = UInt32(300 + random.next() % 32000) << 16 | UInt32(300 + random.next() % 32000) }
        let costs = states.withUnsafeBufferPointer { ContextCosts(states: $0.baseAddress!) }
        let syntax = FrameSyntaxState(geometry: LayerGeometry(width: 32, height: 32), version: 9)
        var compared = 0
        for trial in 0..<200 {
            var mb = MacroblockData()
            mb.mode = trial % 3 == 0 ? .interLayer : .inter
            mb.cbpLuma = Int(random.next() % 16)
            mb.cbpChroma = Int(random.next() % 4)
            mb.transform8x8 = mb.cbpLuma != 0 && trial % 2 == 0
            var levels = [Int32](repeating: 0, count: CoefficientLayout.count)
            for k in levels.indices where random.next() % 5 == 0 { levels[k] = Int32(Int(random.next() % 7) - 3) }
            let categoryBase = mb.mode == .interLayer ? 3 : 0
            // Each block's rate, as the writer prices it alone.
            var luma = [Int32](repeating: 0, count: 16), chroma = [Int32](repeating: 0, count: 8)
            withExtendedLifetime(costs) {
                levels.withUnsafeBufferPointer { l in
                    func rate(_ offset: Int, _ n: Int, _ category: Int) -> Int32 {
                        var estimator = RateEstimator(costs: costs.values)
                        MacroblockWriter.writeBlock(&estimator, l.baseAddress! + offset, n == 16 ? Quantization.zigzag4Scan : Quantization.zigzag8Scan,
                                                    n, MacroblockWriter.residualContext(category), MacroblockWriter.refinementContext(category),
                                                    FrameSyntaxState.noLowerLevels, hidesSigns: syntax.hidesSigns)
                        return Int32(estimator.cost)
                    }
                    for b in 0..<16 { luma[b] = mb.transform8x8 ? (b % 4 == 0 ? rate(CoefficientLayout.luma8x8(b / 4), 64, categoryBase + 1) : 0)
                                                                : rate(CoefficientLayout.luma4x4(b), 16, categoryBase) }
                    for k in 0..<8 { chroma[k] = rate(CoefficientLayout.chroma(k / 4, k % 4), 16, categoryBase + 2) }
                    syntax.reset()
                    var plain = RateEstimator(costs: costs.values)
                    MacroblockWriter.writeResidual(&plain, mb, l.baseAddress!, syntax, 1, 1)
                    syntax.reset()
                    let given = luma.withUnsafeBufferPointer { lr in
                        chroma.withUnsafeBufferPointer { cr in
                            var writer = KnownBlockRates(estimator: RateEstimator(costs: costs.values), levels: l.baseAddress!,
                                                         lumaRates: lr.baseAddress!, chromaRates: cr.baseAddress!)
                            MacroblockWriter.writeResidual(&writer, mb, l.baseAddress!, syntax, 1, 1)
                            return writer.estimator.cost
                        }
                    }
                    #expect(given == plain.cost, "trial \(trial)")
                    if mb.cbpLuma != 0 || mb.cbpChroma != 0 { compared += 1 }
                }
            }
        }
        #expect(compared > 150)
    }

    @Test(arguments: [4, 8])
    func refinementLowersTheCostAndOnlyMovesLevelsTowardZero(size n: Int) {
        var random = SplitMix64(seed: 22)
        let contexts = [UInt32](repeating: ContextStates.initialState, count: ContextIndex.count)
        let costs = contexts.withUnsafeBufferPointer { ContextCosts(states: $0.baseAddress!) }
        let scan = n == 4 ? Quantization.zigzag4 : Quantization.zigzag8
        var lowered = 0
        for trial in 0..<300 {
            let qp = 16 + trial % 24, lambda = MacroblockEncoder.lambda(qp: qp)
            let b = Self.block(size: n, qp: qp, offset: MacroblockEncoder.deadZone, amplitude: 12 + trial % 50, &random)
            var refined = b.levels
            let (nonzero, rate) = withExtendedLifetime(costs) {
                RateDistortionQuantizer.refine(b.coefficients, &refined, count: n * n, qp: qp, scan: scan,
                                               context: MacroblockWriter.residualContext(n == 4 ? 0 : 1),
                                               refinement: MacroblockWriter.refinementContext(n == 4 ? 0 : 1),
                                               lower: FrameSyntaxState.noLowerLevels, hidesSigns: false, costs: costs.values, lambda: lambda)
            }
            #expect(nonzero == refined.filter { $0 != 0 }.count)
            // The rate it returns is the refined block's, as the writer prices it.
            #expect(rate == (nonzero > 0 ? Self.rate(refined, size: n, contexts: contexts) : 0))
            for k in 0..<(n * n) {
                #expect(refined[k].magnitude <= b.levels[k].magnitude && (refined[k] == 0 || refined[k].signum() == b.levels[k].signum()))
            }
            func cost(_ levels: [Int32]) -> Double {
                Self.modelError(b, levels: levels, size: n, qp: qp) + lambda * Double(Self.rate(levels, size: n, contexts: contexts)) / 256
            }
            #expect(cost(refined) <= cost(b.levels) + 1e-6)
            if refined != b.levels { lowered += 1 }
        }
        // Dead-zone levels are not rate-distortion optimal: the refinement must find better ones.
        #expect(lowered > 30)
    }

    @Test func refinementKeepsLevelsWithoutRateWeightAndLowersSmallLevelsUnderHeavyWeight() {
        var random = SplitMix64(seed: 23)
        // Every bin costs one bit in fresh contexts, so each one-step lowering of a level of 1 or 2 saves
        // bits; larger levels are left alone.
        let costs = ContextCosts()
        [UInt32](repeating: ContextStates.initialState, count: ContextIndex.count).withUnsafeBufferPointer { costs.refresh(from: $0.baseAddress!) }
        for trial in 0..<100 {
            let b = Self.block(size: 4, qp: 24, offset: 128, amplitude: 10 + trial % 30, &random)
            for lambda in [0.0, 1e9] {
                var refined = b.levels
                _ = withExtendedLifetime(costs) {
                    RateDistortionQuantizer.refine(b.coefficients, &refined, count: 16, qp: 24, scan: Quantization.zigzag4,
                                                   context: MacroblockWriter.residualContext(0), refinement: MacroblockWriter.refinementContext(0),
                                                   lower: FrameSyntaxState.noLowerLevels, hidesSigns: false, costs: costs.values, lambda: lambda)
                }
                if lambda == 0 {
                    #expect(refined == b.levels)
                } else {
                    for k in 0..<16 {
                        let m = b.levels[k].magnitude
                        #expect(refined[k].magnitude == (m == 0 || m > 2 ? m : m - 1))
                    }
                }
            }
        }
    }
}
