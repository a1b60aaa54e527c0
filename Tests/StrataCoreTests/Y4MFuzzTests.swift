import StrataTestSupport
import Foundation
import Testing
import StrataCore

/// Seeded mutation fuzzing of the Y4M reader through a real file: stream headers and frame
/// data are mutated, and every mutant must read as frames of the header's size or fail with a
/// ``Y4MError``, never trap, hang or allocate a frame the file cannot hold.
///
/// About a second per target in the test suite; `STRATA_FUZZ_SECONDS=60 swift test --filter
/// Y4MFuzzTests` runs longer and `STRATA_FUZZ_SEED` picks another seed. Seeds live in
/// `Tests/FuzzCorpus/y4m`; inputs that once broke the reader go to its `regressions` folder
/// and are replayed first.
@Suite("Fuzzing the Y4M reader")
struct Y4MFuzzTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzCorpus/y4m").path

    static var secondsPerTarget: Double {
        Double(ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] ?? "") ?? 1.0
    }

    static var seed: UInt64 {
        UInt64(ProcessInfo.processInfo.environment["STRATA_FUZZ_SEED"] ?? "") ?? 0x5934_4D46_555A
    }

    /// The committed seeds, then the committed regressions.
    static func corpus() -> [[UInt8]] {
        var files: [[UInt8]] = []
        for dir in [corpusDirectory, corpusDirectory + "/regressions"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".y4m") }.sorted()
            for name in names {
                if let data = FileManager.default.contents(atPath: dir + "/" + name) { files.append(Array(data)) }
            }
        }
        return files
    }

    /// How a reading ended: frames read, or the typed error.
    enum Outcome { case frames(Int), rejected(Y4MError) }

    /// Writes `bytes` to `path` and reads every frame, checking what a successful read promises.
    static func read(_ bytes: [UInt8], at path: String) -> Outcome {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        do {
            let reader = try Y4MReader(path: path)
            let w = reader.format.width, h = reader.format.height
            var frame = Frame(width: 2, height: 2)
            var count = 0
            while try reader.read(into: &frame) {
                count += 1
                if frame.width != w || frame.height != h { Issue.record("frame \(count) is \(frame.width)x\(frame.height), header says \(w)x\(h)") }
            }
            // Each frame needed its marker and its samples from the file.
            if count * (Frame.packedByteCount(width: w, height: h) + 6) > bytes.count {
                Issue.record("\(count) frames of \(w)x\(h) read from \(bytes.count) bytes")
            }
            return .frames(count)
        } catch {
            return .rejected(error)
        }
    }

    /// One random byte-level edit of `input`: bit flips, boundary bytes, cuts, insertions, copies.
    static func mutateBytes(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !b.isEmpty else { b = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let at = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 1: b[at] = [0x00, 0x0A, 0x20, 0x3A, 0x46, 0xFF][Int.random(in: 0..<6, using: &rng)]
            case 2: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...16, using: &rng)))
            case 3: b.insert(contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 4: b = Array(b[0..<at])
            case 5:
                let end = min(b.count, at + Int.random(in: 1...64, using: &rng))
                b.insert(contentsOf: b[at..<end], at: Int.random(in: 0...b.count, using: &rng))
            default:
                // A FRAME marker or newline dropped at a random place.
                let pieces: [[UInt8]] = [Array("FRAME\n".utf8), Array("FRAME".utf8), [0x0A], Array("FRAME \n".utf8)]
                b.insert(contentsOf: pieces[Int.random(in: 0..<pieces.count, using: &rng)], at: at)
            }
        }
        return b
    }

    /// Header fields a mutant may gain: boundary sizes and rates, unknown and malformed tags.
    static let headerTokens = [
        "W0", "W-2", "W1", "W3", "W2", "W16384", "W16386", "W99999999999999999999", "W", "H0", "H7", "H2", "H8192", "H16384",
        "H-4", "F0:0", "F1:0", "F-1:1", "F30000:1001", "F1000000:1", "F1000001:1", "F1:1000001", "F9223372036854775807:1",
        "F1:9223372036854775807", "F:", "F1", "F1:2:3", "Ip", "It", "Ib", "I?", "Im", "I", "A0:0", "A", "A1:1", "C420", "C420jpeg",
        "C420p10", "C444", "C422", "Cmono", "Cmono16", "C", "X", "XYSCSS=420JPEG", "Q", "\u{FFFD}", "YUV4MPEG2", "YUV4MPEG",
    ]

    /// Replaces, inserts, drops or repeats fields of the header line and keeps the frames after it.
    static func mutateHeader(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        let newline = input.firstIndex(of: 0x0A) ?? input.count
        var fields = String(decoding: input[0..<newline], as: UTF8.self).split(separator: " ").map(String.init)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let token = headerTokens[Int.random(in: 0..<headerTokens.count, using: &rng)]
            let at = Int.random(in: 0...fields.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where at < fields.count: fields[at] = token
            case 1 where at < fields.count: fields.remove(at: at)
            case 2 where at < fields.count: fields.insert(fields[at], at: at)
            default: fields.insert(token, at: at)
            }
        }
        let separator = Int.random(in: 0..<8, using: &rng) == 0 ? "  " : " "
        return Array(fields.joined(separator: separator).utf8) + input[newline...]
    }

    /// Feeds mutants of the corpus to the reader for the time budget; returns (runs, read, rejected).
    static func fuzz(salt: UInt64, _ mutate: ([UInt8], inout SplitMix64) -> [UInt8]) throws -> (runs: Int, read: Int, rejected: Int) {
        let dir = try TemporaryDirectory()
        let path = dir.path("fuzz.y4m")
        let seeds = corpus()
        try #require(!seeds.isEmpty, "no .y4m seeds in \(corpusDirectory)")
        var rng = SplitMix64(seed: seed ^ salt)
        let deadline = Date().addingTimeInterval(secondsPerTarget)
        var runs = 0, read = 0, rejected = 0
        while Date() < deadline || runs < 300 {
            let input = mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], &rng)
            let started = Date()
            if case .frames = Self.read(input, at: path) { read += 1 } else { rejected += 1 }
            if Date().timeIntervalSince(started) > 2 { Issue.record("a \(input.count)-byte mutant took more than 2 s") }
            runs += 1
        }
        if ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] != nil {
            print("Y4M fuzz target \(salt): \(runs) mutants, \(read) read, \(rejected) rejected with a typed error, seed \(seed)")
        }
        return (runs, read, rejected)
    }

    @Test("every committed seed and regression reads or fails with a typed error; the seeds read cleanly")
    func corpusReads() throws {
        let dir = try TemporaryDirectory()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: Self.corpusDirectory)) ?? []).filter { $0.hasPrefix("seed-") }
        #expect(names.count >= 4)
        var frames = 0
        for name in names {
            guard let data = FileManager.default.contents(atPath: Self.corpusDirectory + "/" + name) else { continue }
            if case .frames(let n) = Self.read(Array(data), at: dir.path("seed.y4m")) { frames += n } else { Issue.record("seed \(name) was rejected") }
        }
        #expect(frames == 6)
        for input in Self.corpus() { _ = Self.read(input, at: dir.path("regression.y4m")) }
    }

    @Test("mutated stream headers give frames of the header's size or a typed error")
    func headerMutations() throws {
        let result = try Self.fuzz(salt: 1, Self.mutateHeader)
        #expect(result.runs >= 300)
        // Both sides are exercised: some mutants stay valid, many are refused.
        #expect(result.read > result.runs / 20)
        #expect(result.rejected > result.runs / 4)
    }

    @Test("mutated frame markers and samples give whole frames or a typed error")
    func byteMutations() throws {
        let result = try Self.fuzz(salt: 2, Self.mutateBytes)
        #expect(result.runs >= 300)
        #expect(result.read > result.runs / 60)
        #expect(result.rejected > result.runs / 4)
    }

    @Test("a header asking for a huge picture is refused, or fails at its first frame without reading it")
    func hugeHeadersAreBounded() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("huge.y4m")
        // Beyond the area limit: refused at the header.
        guard case .rejected(.unsupportedFormat) = Self.read(Array("YUV4MPEG2 W16384 H16384 F25:1\nFRAME\n".utf8), at: path) else {
            Issue.record("a 16384x16384 header was accepted")
            return
        }
        // Within the limit but the file holds 10 bytes of a 96 MiB frame: the error names the
        // end of the file, known before any frame buffer is allocated.
        let header = Array("YUV4MPEG2 W8192 H8192 F25:1\n".utf8)
        let bytes = header + Array("FRAME\n".utf8) + [UInt8](repeating: 7, count: 10)
        guard case .rejected(let error) = Self.read(bytes, at: path) else {
            Issue.record("a truncated 8192x8192 frame was read")
            return
        }
        #expect(error == .truncatedFrame(path: path, frame: 0, byteOffset: bytes.count))
    }

    @Test("frame rates whose terms do not fit the stream's timing are refused at the header")
    func extremeFrameRatesAreRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("rate.y4m")
        for rate in ["F9223372036854775807:1", "F1:9223372036854775807", "F1000001:1", "F1:1000001", "F0:1"] {
            guard case .rejected(.malformedHeader) = Self.read(Array("YUV4MPEG2 W4 H2 \(rate)\n".utf8), at: path) else {
                Issue.record("rate \(rate) was accepted")
                continue
            }
        }
        guard case .frames(0) = Self.read(Array("YUV4MPEG2 W4 H2 F1000000:999999\n".utf8), at: path) else {
            Issue.record("a rate within the limits was refused")
            return
        }
    }
}

