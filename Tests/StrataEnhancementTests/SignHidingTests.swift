import StrataCore
import StrataTestSupport
import Testing
@testable import StrataEnhancement

/// Sign hiding (bitstream version 6): which sign a block hides, that blocks written without it read
/// back exactly, and that the encoder's quantizer leaves every hidden sign given by its parity.
@Suite struct SignHidingTests {
    /// Levels at scan positions `levels` (position: level) of an `n`-coefficient block, raster order.
    static func block(_ n: Int, _ levels: [Int: Int32]) -> [Int32] {
        let scan = n == 16 ? Quantization.zigzag4 : Quantization.zigzag8
        var block = [Int32](repeating: 0, count: n)
        for (i, v) in levels { block[Int(scan[i])] = v }
        return block
    }

    static func hidden(_ block: [Int32], lower: [Int8]? = nil) -> SIMD4<Int32> {
        let n = block.count
        let scan = n == 16 ? Quantization.zigzag4 : Quantization.zigzag8
        var last = n - 1
        while last > 0 && block[Int(scan[last])] == 0 { last -= 1 }
        let lower = lower ?? [Int8](repeating: 0, count: n)
        return scan.withUnsafeBufferPointer { SignHiding.hiddenPositions(block, $0.baseAddress!, last: last, lower) }
    }

    @Test func theFirstBypassSignOfASegmentSpanningFourPositionsIsHidden() {
        #expect(Self.hidden(Self.block(16, [2: 3, 6: -1])) == SIMD4(2, -1, -1, -1))
        #expect(Self.hidden(Self.block(16, [2: 3, 5: -1])) == SIMD4(-1, -1, -1, -1), "a span of 3")
        #expect(Self.hidden(Self.block(16, [9: 1])) == SIMD4(-1, -1, -1, -1), "a single level")
        // A level whose lower level is not zero has a context-coded sign: the next one is hidden.
        // (Lower signs are kept in scan order.)
        var lower = [Int8](repeating: 0, count: 16)
        lower[1] = -1
        #expect(Self.hidden(Self.block(16, [1: 2, 3: 1, 8: 1]), lower: lower) == SIMD4(3, -1, -1, -1))
        #expect(Self.hidden(Self.block(16, [1: 2, 3: 1, 6: 1]), lower: lower) == SIMD4(-1, -1, -1, -1))
        // 64 coefficients: four segments of 16 scan positions, each on its own.
        #expect(Self.hidden(Self.block(64, [0: 5, 4: 1, 17: 2, 20: 1, 40: -1, 47: 1, 50: 1])) == SIMD4(0, -1, 40, -1))
    }

    /// The tracker the writer and reader run along the significance map hides the signs the
    /// whole-block rule names, on random blocks and lower signs.
    @Test(arguments: [16, 64])
    func theTrackerFollowsTheWholeBlockRule(size n: Int) {
        var random = SplitMix64(seed: 7 + UInt64(n))
        let scan = n == 16 ? Quantization.zigzag4 : Quantization.zigzag8
        for _ in 0..<500 {
            let density = Int.random(in: 2...8, using: &random)
            var block = (0..<n).map { _ in Int.random(in: 0..<density, using: &random) == 0 ? Int32.random(in: -3...3, using: &random) : 0 }
            if !block.contains(where: { $0 != 0 }) { block[Int(scan[Int.random(in: 0..<n, using: &random)])] = 2 }
            let lower = (0..<n).map { _ in Int.random(in: 0..<3, using: &random) == 0 ? Int8.random(in: -1...1, using: &random) : 0 }
            var tracker = SignHiding.Tracker()
            for i in 0..<n where block[Int(scan[i])] != 0 { tracker.significant(i, bypassSign: lower[i] == 0) }
            let mask = tracker.finish()
            let hidden = Self.hidden(block, lower: lower)
            let expected = (0..<4).reduce(UInt64(0)) { m, g in hidden[g] >= 0 ? m | 1 << UInt64(hidden[g]) : m }
            #expect(mask == expected)
        }
    }

    /// Random blocks whose hidden signs agree with their parity are read back exactly, and cost fewer
    /// bins than with every sign coded.
    @Test(arguments: [16, 64])
    func blocksWithHiddenSignsReadBackExactly(size n: Int) throws {
        var random = SplitMix64(seed: UInt64(n))
        let scan = n == 16 ? Quantization.zigzag4 : Quantization.zigzag8
        let base = MacroblockWriter.residualContext(n == 16 ? 0 : 1), refinement = MacroblockWriter.refinementContext(n == 16 ? 0 : 1)
        var hiddenCount = 0
        for _ in 0..<300 {
            var block = [Int32](repeating: 0, count: n)
            for k in 0..<n where Int.random(in: 0..<3, using: &random) == 0 {
                block[k] = Int32.random(in: 1...4, using: &random) * (Bool.random(using: &random) ? 1 : -1)
            }
            if !block.contains(where: { $0 != 0 }) { block[0] = 1 }
            let lower = (0..<n).map { _ in Int8.random(in: -1...1, using: &random) * (Int.random(in: 0..<4, using: &random) == 0 ? 1 : 0) }
            // Make each hidden sign what its segment's parity says.
            let hidden = Self.hidden(block, lower: lower)
            for g in 0..<(n / 16) where hidden[g] >= 0 {
                let odd = (g * 16..<(g * 16 + 16)).reduce(0) { $0 + Int(block[Int(scan[$1])].magnitude) } & 1 == 1
                let k = Int(scan[Int(hidden[g])])
                block[k] = odd ? -Int32(block[k].magnitude) : Int32(block[k].magnitude)
                hiddenCount += 1
            }
            var hidingStates = [UInt32](repeating: ContextStates.initialState, count: ContextIndex.count)
            var plainStates = hidingStates
            let costs = hidingStates.withUnsafeBufferPointer { h in
                plainStates.withUnsafeBufferPointer { p in
                    let hidingCosts = ContextCosts(states: h.baseAddress!), plainCosts = ContextCosts(states: p.baseAddress!)
                    return withExtendedLifetime((hidingCosts, plainCosts)) {
                        var hiding = RateEstimator(costs: hidingCosts.values), plain = RateEstimator(costs: plainCosts.values)
                        MacroblockWriter.writeBlock(&hiding, block, scan, n, base, refinement, lower, hidesSigns: true)
                        MacroblockWriter.writeBlock(&plain, block, scan, n, base, refinement, lower, hidesSigns: false)
                        return (hiding: hiding.cost, plain: plain.cost)
                    }
                }
            }
            #expect(costs.plain - costs.hiding == 256 * hidden.indices.filter { hidden[$0] >= 0 }.count)
            let payload = hidingStates.withUnsafeMutableBufferPointer { states in
                var writer = ArithmeticBinWriter(encoder: RangeEncoder(capacity: 256), states: states.baseAddress!)
                MacroblockWriter.writeBlock(&writer, block, scan, n, base, refinement, lower, hidesSigns: true)
                writer.encoder.finish(short: false)
                return writer.encoder.bytes
            }
            var decoded = [Int32](repeating: 0, count: n)
            let ok = payload.withUnsafeBufferPointer { bytes in
                plainStates.withUnsafeMutableBufferPointer { states in
                    var reader = ArithmeticBinReader(decoder: RangeDecoder(data: bytes.baseAddress!, count: bytes.count, start: 0),
                                                     states: states.baseAddress!)
                    return MacroblockReader.readBlock(&reader, &decoded, scan, n, base, refinement, lower, hidesSigns: true)
                }
            }
            #expect(ok && decoded == block)
        }
        #expect(hiddenCount > 100)
    }

    /// After the rate-distortion quantizer, every hidden sign is the one its segment's parity gives,
    /// each segment moved at most one level by one step to get there, and over many blocks the bits
    /// saved are worth more than the distortion added (D + lambda R lower).
    @Test(arguments: [4, 8])
    func theQuantizerLeavesEveryHiddenSignGivenByItsParity(size n: Int) {
        var random = SplitMix64(seed: 41 + UInt64(n))
        let count = n * n
        let scan = n == 4 ? Quantization.zigzag4 : Quantization.zigzag8
        let costs = ContextCosts()
        [UInt32](repeating: ContextStates.initialState, count: ContextIndex.count).withUnsafeBufferPointer { costs.refresh(from: $0.baseAddress!) }
        let lower = [Int8](repeating: 0, count: count)
        var adjusted = 0
        var costPlain = 0.0, costHiding = 0.0
        for trial in 0..<200 {
            let qp = 20 + trial % 16
            let b = RateDistortionQuantizerTests.block(size: n, qp: qp, offset: MacroblockEncoder.deadZone, amplitude: 12 + trial % 50, &random)
            var plain = b.levels, hiding = b.levels
            let lambda = 0.6 * Double(1 << max(0, (qp - 12) / 3))
            let (plainRate, hidingRate) = withExtendedLifetime(costs) {
                (RateDistortionQuantizer.refine(b.coefficients, &plain, count: count, qp: qp, scan: scan,
                                                   context: MacroblockWriter.residualContext(n == 4 ? 0 : 1),
                                                   refinement: MacroblockWriter.refinementContext(n == 4 ? 0 : 1),
                                                   lower: lower, hidesSigns: false, costs: costs.values, lambda: lambda).rate,
                 RateDistortionQuantizer.refine(b.coefficients, &hiding, count: count, qp: qp, scan: scan,
                                                context: MacroblockWriter.residualContext(n == 4 ? 0 : 1),
                                                refinement: MacroblockWriter.refinementContext(n == 4 ? 0 : 1),
                                                lower: lower, hidesSigns: true, costs: costs.values, lambda: lambda).rate)
            }
            costPlain += RateDistortionQuantizerTests.modelError(b, levels: plain, size: n, qp: qp) + lambda * Double(plainRate) / 256
            costHiding += RateDistortionQuantizerTests.modelError(b, levels: hiding, size: n, qp: qp) + lambda * Double(hidingRate) / 256
            guard hiding.contains(where: { $0 != 0 }) else { continue }
            let hidden = Self.hidden(hiding)
            for g in 0..<(count / 16) {
                let segment = (g * 16..<(g * 16 + 16)).map { Int(scan[$0]) }
                if hidden[g] >= 0 {
                    let odd = segment.reduce(0) { $0 + Int(hiding[$1].magnitude) } & 1 == 1
                    #expect(odd == (hiding[Int(scan[Int(hidden[g])])] < 0))
                }
                let steps = segment.reduce(0) { $0 + Int((hiding[$1] - plain[$1]).magnitude) }
                #expect(steps <= 1)
                adjusted += steps
            }
        }
        #expect(adjusted > 20)
        #expect(costHiding < costPlain, "\(costHiding) against \(costPlain)")
    }
}
