import StrataTestSupport
import Foundation
import Testing
@testable import StrataContainer

/// Seeded mutation fuzzing of every container parser: init segments, media segments,
/// manifest.json and stream.mpd. Each mutated input must give a result or a typed error,
/// never a trap, a hang or an unbounded allocation.
///
/// Runs about a second per parser in the test suite; `STRATA_FUZZ_SECONDS=60 swift test
/// --filter ContainerFuzzTests` runs longer, and `STRATA_FUZZ_SEED` picks another seed.
/// Inputs that once crashed a parser are kept in `Corpus/regressions` and replayed first.
@Suite("Fuzzing the container parsers")
struct ContainerFuzzTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus").path

    static var secondsPerTarget: Double {
        Double(ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] ?? "") ?? 1.0
    }

    static var seed: UInt64 {
        UInt64(ProcessInfo.processInfo.environment["STRATA_FUZZ_SEED"] ?? "") ?? 0x5354_5241_5441
    }

    /// Committed seed files whose names start with `prefix`, plus the regressions for that parser.
    static func corpus(_ prefix: String) -> [[UInt8]] {
        var files: [[UInt8]] = []
        for dir in [corpusDirectory, corpusDirectory + "/regressions"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
            for name in names {
                if let data = FileManager.default.contents(atPath: dir + "/" + name) { files.append(Array(data)) }
            }
        }
        return files
    }

    /// One random structural or bit-level edit of `input`.
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        let edits = Int.random(in: 1...4, using: &rng)
        for _ in 0..<edits {
            guard !b.isEmpty else { b = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let at = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1: b[at] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                // A 32-bit field (box size, count, offset) set to a boundary value.
                let values: [UInt32] = [0, 1, 7, 8, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, UInt32(b.count), UInt32.random(in: 0...0xFFFF, using: &rng)]
                let v = values[Int.random(in: 0..<values.count, using: &rng)]
                for k in 0..<4 where at + k < b.count { b[at + k] = UInt8(v >> (24 - 8 * UInt32(k)) & 0xFF) }
            case 3: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...16, using: &rng)))
            case 4: b.insert(contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 5: b = Array(b[0..<at])
            case 6:
                let end = min(b.count, at + Int.random(in: 1...64, using: &rng))
                b.insert(contentsOf: b[at..<end], at: Int.random(in: 0...b.count, using: &rng))
            default:
                // Text-oriented edits for JSON and XML: structural characters.
                let chars = Array("<>/\"'=&;:{}[],-0123456789eE.$%".utf8)
                b[at] = chars[Int.random(in: 0..<chars.count, using: &rng)]
            }
        }
        return b
    }

    /// Feeds mutants of `seeds` to `parse` for the time budget; returns (runs, rejected).
    static func fuzz(_ seeds: [[UInt8]], salt: UInt64, _ parse: ([UInt8]) -> Bool) -> (runs: Int, rejected: Int) {
        guard !seeds.isEmpty else {
            Issue.record("fuzz target \(salt) has no seeds")
            return (0, 0)
        }
        var rng = SplitMix64(seed: seed ^ salt)
        let deadline = Date().addingTimeInterval(secondsPerTarget)
        var runs = 0, rejected = 0
        for s in seeds where !parse(s) { rejected += 1 }
        while Date() < deadline || runs < 200 {
            let s = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            if !parse(mutate(s, &rng)) { rejected += 1 }
            runs += 1
        }
        if ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] != nil {
            print("fuzz target \(salt): \(runs) mutants, \(rejected) rejected with a typed error, seed \(seed)")
        }
        return (runs, rejected)
    }

    static func initSeeds() -> [[UInt8]] {
        [CMAFWriter.initSegment(Fixtures.avcTrack()), CMAFWriter.initSegment(Fixtures.strataTrack())] + corpus("init")
    }

    @Test func initSegmentParserSurvivesMutation() {
        let seeds = Self.initSeeds()
        for s in seeds { #expect((try? CMAFReader.parseInitSegment(s, path: "seed")) != nil) }
        let result = Self.fuzz(seeds, salt: 1) { bytes in
            do { _ = try CMAFReader.parseInitSegment(bytes, path: "fuzz"); return true } catch { return false }
        }
        #expect(result.runs >= 200)
        #expect(result.rejected > result.runs / 10)
    }

    @Test func mediaSegmentParserSurvivesMutationAndNeverReturnsDamagedSamples() throws {
        let avc = Fixtures.avcTrack()
        var seeds: [(TrackDescription, [UInt8])] = [
            (avc, CMAFWriter.mediaSegment(avc, sequenceNumber: 3, baseMediaDecodeTime: 1000, samples: Fixtures.samples(12, maxSize: 40))),
            (Fixtures.strataTrack(), CMAFWriter.mediaSegment(Fixtures.strataTrack(), sequenceNumber: 0, baseMediaDecodeTime: 0,
                                                              samples: Fixtures.samples(5, temporalLayers: 2, seed: 3, maxSize: 60))),
        ]
        // Committed real fragments come in pairs: init-<name>.mp4 describes fragment-<name>.m4s.
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: Self.corpusDirectory)) ?? []).sorted() where name.hasPrefix("fragment-") {
            let stem = name.dropFirst("fragment-".count).dropLast(".m4s".count)
            if let f = FileManager.default.contents(atPath: Self.corpusDirectory + "/" + name),
               let i = FileManager.default.contents(atPath: Self.corpusDirectory + "/init-\(stem).mp4") {
                seeds.append((try CMAFReader.parseInitSegment(Array(i), path: "init"), Array(f)))
            }
        }
        let originals = try seeds.map { track, bytes in try CMAFReader.parseMediaSegment(bytes, track: track, path: "seed").samples }
        let known = Set(originals.joined().map(\.data))
        let result = Self.fuzz(seeds.indices.map { [UInt8(truncatingIfNeeded: $0)] + seeds[$0].1 }, salt: 2) { tagged in
            guard let tag = tagged.first else { return false }
            let (track, _) = seeds[Int(tag) % seeds.count]
            do {
                let parsed = try CMAFReader.parseMediaSegment(Array(tagged.dropFirst()), track: track, path: "fuzz")
                // Whatever survives parsing passed its CRC-32, so payloads are the originals
                // (a collision is astronomically unlikely at these sizes).
                if !parsed.samples.allSatisfy({ known.contains($0.data) }) { Issue.record("damaged sample returned") }
                return true
            } catch {
                return false
            }
        }
        #expect(result.runs >= 200)
        #expect(result.rejected > result.runs / 2)
    }

    @Test func manifestReaderSurvivesMutation() {
        let seeds = [Fixtures.manifest().encoded()] + Self.corpus("manifest")
        let result = Self.fuzz(seeds, salt: 3) { bytes in
            do { _ = try StreamManifest.decode(bytes, path: "fuzz"); return true } catch { return false }
        }
        #expect(result.runs >= 200)
        #expect(result.rejected > result.runs / 10)
    }

    @Test func mpdReaderSurvivesMutation() {
        let seeds = [Array(DASHManifest.mpd(for: Fixtures.manifest()).utf8)] + Self.corpus("stream")
        let result = Self.fuzz(seeds, salt: 4) { bytes in
            do { _ = try DASHManifest.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz"); return true } catch { return false }
        }
        #expect(result.runs >= 200)
        #expect(result.rejected > result.runs / 10)
    }

    @Test func nalUnitSplitterSurvivesMutation() {
        let sample = MediaSample.avcSample(nalUnits: [[0x65, 1, 2, 3], [0x06, 4], [0x01, 5, 6, 7, 8, 9]], duration: 1, isSync: true)
        let result = Self.fuzz([sample.data], salt: 5) { bytes in
            (try? MediaSample(data: bytes, duration: 1, isSync: true).nalUnits()) != nil
        }
        #expect(result.rejected > 0)
    }
}
