import StrataTestSupport
import Foundation
import Testing
import StrataCore
import StrataEnhancement

/// Seeded mutation fuzzing of the enhancement layer's two parsers: the layer configuration
/// record and the frame payload decoder. Seeds come from ``EnhancementEncoder`` at test time, so
/// they follow the current bitstream; committed records and regressions live in
/// `Tests/FuzzCorpus/enhancement`.
///
/// Every mutant must decode or fail with an ``EnhancementError``: no trap, no hang, no frame of
/// another size. About a second per target in the suite; `STRATA_FUZZ_SECONDS=60 swift test
/// --filter EnhancementFuzzTests` runs longer and `STRATA_FUZZ_SEED` picks another seed.
@Suite("Fuzzing the enhancement layer decoder")
struct EnhancementFuzzTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzCorpus/enhancement").path

    static var secondsPerTarget: Double {
        Double(ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] ?? "") ?? 1.0
    }

    static var seed: UInt64 {
        UInt64(ProcessInfo.processInfo.environment["STRATA_FUZZ_SEED"] ?? "") ?? 0x454E_4846_555A
    }

    static var verbose: Bool { ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] != nil }

    /// Committed files of the corpus and its regressions whose names start with `prefix`.
    static func corpus(_ prefix: String) -> [(name: String, bytes: [UInt8])] {
        var files: [(String, [UInt8])] = []
        for dir in [corpusDirectory, corpusDirectory + "/regressions"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
            for name in names {
                if let data = FileManager.default.contents(atPath: dir + "/" + name) { files.append((name, Array(data))) }
            }
        }
        return files
    }

    /// Temporal id of frame `i` in a dyadic hierarchy of `layers` temporal layers.
    static func temporalId(_ i: Int, layers: Int) -> Int {
        guard layers > 1 else { return 0 }
        var t = layers - 1, k = i % (1 << (layers - 1))
        if k == 0 { return 0 }
        while k % 2 == 0 { k /= 2; t -= 1 }
        return t
    }

    /// A coded sequence of one layer: the payloads the encoder wrote and what they decode to.
    struct CodedSequence {
        var parameters: EnhancementLayerParameters
        var lowers: [Frame]
        var temporalIds: [Int]
        var payloads: [[UInt8]]
        var reconstructions: [Frame]
        /// The lower layer's motion per frame, for layers with inter-layer motion.
        var lowerMotions: [MotionField?] = []
    }

    /// Encodes `frames` frames of a moving clip at the given configuration.
    static func encode(_ parameters: EnhancementLayerParameters, frames: Int, seed: UInt64 = 5) throws -> CodedSequence {
        let clip = SyntheticClip(width: parameters.width, height: parameters.height, frameCount: frames, seed: seed, noise: 2).frames()
        let down = try Scaler(from: parameters.width, parameters.height, to: parameters.referenceWidth, parameters.referenceHeight)
        let encoder = try EnhancementEncoder(parameters: parameters)
        // A layer with inter-layer motion sits on an enhancement layer of its reference size (its own,
        // or half of it), coded here over unrelated pictures so that it predicts with motion.
        let (rw, rh) = (parameters.referenceWidth, parameters.referenceHeight)
        let lowerEncoder = try parameters.interLayerMotion ? EnhancementEncoder(parameters: EnhancementLayerParameters(
            width: rw, height: rh, referenceWidth: rw, referenceHeight: rh, qp: 34, temporalLayers: parameters.temporalLayers)) : nil
        let unrelated = SyntheticClip(width: rw, height: rh, frameCount: frames, seed: seed &+ 99).frames()
        var sequence = CodedSequence(parameters: parameters, lowers: [], temporalIds: [], payloads: [], reconstructions: [])
        for (i, frame) in clip.enumerated() {
            let t = temporalId(i, layers: parameters.temporalLayers)
            var lower = down.scale(frame), lowerMotion: MotionField? = nil
            if let lowerEncoder {
                let coded = try lowerEncoder.encode(source: lower, lower: unrelated[i], temporalId: t)
                (lower, lowerMotion) = (coded.reconstruction, coded.motion)
            }
            let coded = try encoder.encode(source: frame, lower: lower, lowerMotion: lowerMotion, temporalId: t)
            sequence.lowerMotions.append(lowerMotion)
            sequence.lowers.append(lower)
            sequence.temporalIds.append(t)
            sequence.payloads.append(coded.payload)
            sequence.reconstructions.append(coded.reconstruction)
        }
        return sequence
    }

    /// The seed sequences: a 2x layer with three temporal layers, a same-size layer, an odd 3:2 ratio
    /// with a partial macroblock row, a 4x layer, and a same-size and a 2x layer with inter-layer motion.
    static func seedSequences() throws -> [CodedSequence] {
        [
            try encode(EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32, referenceHeight: 24, qp: 30, temporalLayers: 3), frames: 5),
            try encode(EnhancementLayerParameters(width: 48, height: 32, referenceWidth: 48, referenceHeight: 32, qp: 18, temporalLayers: 1), frames: 3),
            try encode(EnhancementLayerParameters(width: 54, height: 38, referenceWidth: 36, referenceHeight: 26, qp: 40, temporalLayers: 2), frames: 3),
            try encode(EnhancementLayerParameters(width: 64, height: 32, referenceWidth: 16, referenceHeight: 8, qp: 24, temporalLayers: 4), frames: 4),
            try encode(EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 64, referenceHeight: 48, qp: 26, temporalLayers: 2,
                                                  interLayerMotion: true), frames: 4),
            try encode(EnhancementLayerParameters(width: 80, height: 48, referenceWidth: 40, referenceHeight: 24, qp: 28, temporalLayers: 2,
                                                  interLayerMotion: true), frames: 4),
        ]
    }

    /// One random edit of `input`: bit flips, boundary values, cuts, insertions, copies, truncation.
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !b.isEmpty else { b = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let at = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1: b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 2: b[at] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF][Int.random(in: 0..<6, using: &rng)]
            case 3:
                // A 16-bit field set to a boundary value.
                let values: [UInt16] = [0, 1, 2, 3, 4, 16, 8190, 8192, 8194, 0x7FFF, 0xFFFF, UInt16.random(in: 0...0x2000, using: &rng)]
                let v = values[Int.random(in: 0..<values.count, using: &rng)]
                b[at] = UInt8(v >> 8)
                if at + 1 < b.count { b[at + 1] = UInt8(v & 0xFF) }
            case 4: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...8, using: &rng)))
            case 5: b.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 6: b = Array(b[0..<at])
            default:
                let end = min(b.count, at + Int.random(in: 1...32, using: &rng))
                b.insert(contentsOf: b[at..<end], at: Int.random(in: 0...b.count, using: &rng))
            }
        }
        return b
    }

    /// Decodes `sequence` with `payloads` in place of its own; returns the frames decoded and the errors met.
    /// Each frame either decodes at the layer's size or fails with a typed error; decoding goes on after an error.
    static func decode(_ decoder: EnhancementDecoder, _ sequence: CodedSequence, payloads: [[UInt8]]) -> (decoded: Int, errors: [EnhancementError]) {
        decoder.beginSegment()
        var decoded = 0
        var errors: [EnhancementError] = []
        for i in payloads.indices {
            do {
                let frame = try decoder.decode(payload: payloads[i], lower: sequence.lowers[i], lowerMotion: sequence.lowerMotions[i],
                                                   temporalId: sequence.temporalIds[i])
                if frame.width != sequence.parameters.width || frame.height != sequence.parameters.height {
                    Issue.record("decoded \(frame.width)x\(frame.height), the layer is \(sequence.parameters.width)x\(sequence.parameters.height)")
                }
                decoded += 1
            } catch {
                errors.append(error)
            }
        }
        return (decoded, errors)
    }

    @Test("seed sequences decode exactly to the encoder's reconstructions")
    func seedsDecodeExactly() throws {
        for sequence in try Self.seedSequences() {
            let decoder = try EnhancementDecoder(parameters: sequence.parameters)
            decoder.beginSegment()
            for i in sequence.payloads.indices {
                let frame = try decoder.decode(payload: sequence.payloads[i], lower: sequence.lowers[i], lowerMotion: sequence.lowerMotions[i],
                                                   temporalId: sequence.temporalIds[i])
                #expect(frame.hasSameSamples(as: sequence.reconstructions[i]))
            }
        }
    }

    @Test("mutated frame payloads decode at the layer's size or fail with a typed error")
    func payloadMutations() throws {
        let sequences = try Self.seedSequences()
        let decoders = try sequences.map { try EnhancementDecoder(parameters: $0.parameters) }
        // Committed regressions: payloads for frame 0 of the first seed sequence.
        for (_, bytes) in Self.corpus("payload") {
            _ = Self.decode(decoders[0], sequences[0], payloads: [bytes])
        }
        var rng = SplitMix64(seed: Self.seed ^ 1)
        let deadline = Date().addingTimeInterval(Self.secondsPerTarget)
        var runs = 0, rejected = 0, slowest = 0.0
        var kinds: [String: Int] = [:]
        while Date() < deadline || runs < 200 {
            let s = Int.random(in: 0..<sequences.count, using: &rng)
            var payloads = sequences[s].payloads
            let k = Int.random(in: 0..<payloads.count, using: &rng)
            if Int.random(in: 0..<16, using: &rng) == 0 {
                // Noise after a valid frame header: the arithmetic decoder meets no structure at all.
                payloads[k] = Array(payloads[k].prefix(2)) + (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                payloads[k] = Self.mutate(payloads[k], &rng)
            }
            let started = Date()
            let result = Self.decode(decoders[s], sequences[s], payloads: payloads)
            slowest = max(slowest, Date().timeIntervalSince(started))
            if !result.errors.isEmpty { rejected += 1 }
            for e in result.errors { kinds["\(e)".prefix(while: { $0 != ":" }).description, default: 0] += 1 }
            // Frames before the damaged one are untouched by it.
            #expect(result.decoded + result.errors.count == payloads.count)
            runs += 1
        }
        if Self.verbose {
            print("enhancement payload fuzz: \(runs) mutated sequences, \(rejected) with typed errors, slowest \(slowest) s, seed \(Self.seed): \(kinds)")
        }
        #expect(runs >= 200)
        #expect(rejected > runs / 4)
        #expect(slowest < 2)
    }

    @Test("mutated configuration records are refused or describe a layer the codec really decodes")
    func configurationRecordMutations() throws {
        let seeds = try Self.seedSequences().map { $0.parameters.serialized() } + Self.corpus("config").map(\.bytes)
        for bytes in Self.corpus("config").map(\.bytes) where !bytes.isEmpty {
            _ = try? EnhancementLayerParameters(serialized: bytes)
        }
        var rng = SplitMix64(seed: Self.seed ^ 2)
        let deadline = Date().addingTimeInterval(Self.secondsPerTarget)
        var runs = 0, accepted = 0, roundTrips = 0
        while Date() < deadline || runs < 300 {
            let bytes = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], &rng)
            runs += 1
            guard let parameters = try? EnhancementLayerParameters(serialized: bytes) else { continue }
            accepted += 1
            // What parses is valid, and writes back as the bytes it came from.
            #expect(throws: Never.self) { try parameters.validate() }
            #expect(parameters.serialized() == Array(bytes.prefix(EnhancementLayerParameters.recordSize(version: parameters.version))))
            // Small accepted layers, however odd their geometry, encode and decode identically.
            if parameters.width * parameters.height <= 96 * 96 && roundTrips < 40 {
                let sequence = try Self.encode(parameters, frames: 2, seed: UInt64(runs))
                let decoder = try EnhancementDecoder(parameters: parameters)
                decoder.beginSegment()
                for i in sequence.payloads.indices {
                    let frame = try decoder.decode(payload: sequence.payloads[i], lower: sequence.lowers[i], lowerMotion: sequence.lowerMotions[i],
                                                   temporalId: sequence.temporalIds[i])
                    #expect(frame.hasSameSamples(as: sequence.reconstructions[i]), "\(parameters)")
                }
                roundTrips += 1
            }
        }
        if Self.verbose {
            print("enhancement configuration fuzz: \(runs) records, \(accepted) accepted, \(roundTrips) decoded, seed \(Self.seed)")
        }
        #expect(runs >= 300)
        #expect(accepted > 0 && accepted < runs)
        #expect(roundTrips > 0)
    }
}

