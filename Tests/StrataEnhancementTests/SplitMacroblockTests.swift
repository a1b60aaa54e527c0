import StrataCore
import Testing
@testable import StrataEnhancement

/// Split macroblocks (bitstream version 2): a vector per 8x8 quadrant, its prediction rules, and
/// what it buys on motion that varies inside a macroblock.
@Suite struct SplitMacroblockTests {
    /// A noise texture whose 8x8 blocks each move by their own whole-sample vector every frame, so
    /// the quadrants of most macroblocks move differently.
    static func quadrantMotionClip(width: Int = 128, height: Int = 96, frames: Int = 5) -> [Frame] {
        @inline(__always) func texture(_ x: Int, _ y: Int) -> UInt8 {
            var h = UInt64(bitPattern: Int64(x &* 73_856_093 ^ y &* 19_349_663))
            h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
            return UInt8(48 + (h >> 58) * 2 + (h >> 40) % 40)
        }
        return (0..<frames).map { t in
            Fixtures.frame(width: width, height: height) { x, y in
                let bx = x / 8, by = y / 8
                let vx = (bx * 7 + by * 3) % 3 - 1, vy = (bx * 3 + by * 5) % 3 - 1
                return texture(x - vx * t + 64, y - vy * t + 64)
            }
        }
    }

    /// Bytes of the frames after the first (which has no reference), mean PSNR, and whether the decoder agrees.
    static func encode(_ source: [Frame], _ lower: [Frame], version: UInt8) throws -> (bytes: Int, psnr: Double, decodedMatches: Bool) {
        let parameters = EnhancementLayerParameters(width: source[0].width, height: source[0].height, referenceWidth: lower[0].width,
                                                    referenceHeight: lower[0].height, qp: 26, temporalLayers: 1, version: version)
        let encoder = try EnhancementEncoder(parameters: parameters), decoder = try EnhancementDecoder(parameters: parameters)
        var bytes = 0, reconstructions: [Frame] = [], matches = true
        for i in source.indices {
            let coded = try encoder.encode(source: source[i], lower: lower[i], temporalId: 0)
            if i > 0 { bytes += coded.payload.count }
            reconstructions.append(coded.reconstruction)
            matches = try matches && decoder.decode(payload: coded.payload, lower: lower[i], temporalId: 0).hasSameSamples(as: coded.reconstruction)
        }
        return (bytes, Fixtures.psnr(source, reconstructions), matches)
    }

    @Test func quadrantMotionCodesSmallerWithSplitMacroblocks() throws {
        let source = Self.quadrantMotionClip()
        let lower = source.map { Fixtures.lowerLayer($0) }
        let unsplit = try Self.encode(source, lower, version: 1), split = try Self.encode(source, lower, version: 2)
        #expect(unsplit.decodedMatches && split.decodedMatches)
        // Exact per-quadrant vectors replace residual: a clear saving at no loss of quality.
        #expect(Double(split.bytes) < 0.9 * Double(unsplit.bytes), "version 2: \(split.bytes) bytes, version 1: \(unsplit.bytes)")
        #expect(split.psnr > unsplit.psnr - 0.2, "version 2: \(split.psnr) dB, version 1: \(unsplit.psnr) dB")
    }

    @Test func vectorPredictionUsesQuadrantNeighbours() {
        // 3x2 macroblocks; (0, 0) is split, (1, 0) and (0, 1) carry one vector each, (2, 0) none.
        let state = FrameSyntaxState(mbWide: 3, mbHigh: 2)
        var split = MacroblockData()
        split.mode = .inter
        split.split = true
        split.quadrantMotion = SIMD8(4, 0, 8, 0, 12, 0, 16, 0)
        split.mvx = 4
        state.record(0, 0, split, hasReference: true)
        var inter = MacroblockData()
        inter.mode = .inter
        inter.mvx = 40; inter.mvy = 40
        state.record(1, 0, inter, hasReference: true)
        var intra = MacroblockData()
        intra.mode = .interLayer
        state.record(2, 0, intra, hasReference: true)
        // Macroblock (1, 1): A = quadrant 3 of (0, 1) (not yet recorded: no vector), B = (1, 0)'s bottom-left
        // unit, C = (2, 0), which carries no vector: only B counts.
        #expect(state.predictedMotion(1, 1) == (40, 40))
        // Macroblock (0, 1): A outside, B = quadrant 2 of (0, 0), C = bottom-left of (1, 0): median with (0, 0) for A.
        #expect(state.predictedMotion(0, 1) == (12, 0))
        // Quadrant 3 of a split (1, 1): A = quadrant 2 and B = quadrant 1 of the same macroblock,
        // C (in (2, 1), not yet decoded) falls back to D = quadrant 0.
        let inner = SIMD8<Int32>(100, 0, 200, 0, 300, 0, 0, 0)
        #expect(state.predictedMotion(1, 1, quadrant: 3, inner: inner) == (200, 0))
        // Quadrant 1 of (1, 1): A = quadrant 0, B = bottom-right of (1, 0), C = bottom-left of (2, 0) (no vector).
        #expect(state.predictedMotion(1, 1, quadrant: 1, inner: inner) == (40, 0))
        // Deblocking reads the per-unit vectors of the split macroblock.
        #expect(state.motion8[2 * 1] == 8 && state.motion8[2 * (6 + 1)] == 16 && state.motion8[2 * 2] == 40)
    }
}
