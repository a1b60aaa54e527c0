import StrataTestSupport
import Foundation
import Testing
import Strata
import StrataCore

/// Seeded mutation fuzzing of the whole reading path: manifest.json, init segments and fragments
/// of a small encoded stream are mutated, and the stream is opened and decoded at every operating
/// point. Every mutant must give frames, a fallback to a lower operating point, or a typed error
/// (``StrataError``, ``ContainerError``): never a trap, a hang, or damaged pictures passed off as
/// good ones.
///
/// About two seconds in the test suite; `STRATA_FUZZ_SECONDS=60 swift test --filter
/// StreamFuzzTests` runs longer and `STRATA_FUZZ_SEED` picks another seed. The committed stream in
/// `Tests/FuzzCorpus/stream` is fuzzed beside a freshly encoded one; inputs that once broke the
/// reader are in its `regressions` folder (one file tree per case) and are replayed first.
@Suite("Fuzzing the stream reader and layered decoder")
struct StreamFuzzTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("FuzzCorpus/stream").path

    static var secondsBudget: Double {
        2 * (Double(ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] ?? "") ?? 1.0)
    }

    static var seed: UInt64 {
        UInt64(ProcessInfo.processInfo.environment["STRATA_FUZZ_SEED"] ?? "") ?? 0x5354_5246_555A
    }

    /// A 64x48 clip of 8 frames at 8 fps: two segments of four frames, three temporal layers,
    /// a 32x24 base and two enhancement layers.
    static let clip = SyntheticClip(width: 64, height: 48, frameRate: FrameRate(8), frameCount: 8, seed: 9)
    static let plan = LayerPlan(baseDivisor: 2, baseQP: 34, temporalLayers: 3,
                                enhancementLayers: [EnhancementLayerPlan(divisor: 1, qp: 36), EnhancementLayerPlan(divisor: 1, qp: 28)])

    /// Every file under `directory`, by path relative to it.
    static func files(under directory: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return files }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = directory + "/" + relative
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
               let data = FileManager.default.contents(atPath: full) {
                files[relative] = Array(data)
            }
        }
        return files
    }

    /// Encodes the clip and returns the stream's files.
    static func encodeStream() async throws -> [String: [UInt8]] {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try await StreamEncoder.encode(source: FrameSequenceSource(format: clip.format, frames: clip.frames()),
                                           sourceName: "fuzz clip", output: dir.path + "/stream",
                                           configuration: EncoderConfiguration(plan: plan, segmentSeconds: 0.5, concurrency: 1))
        return files(under: dir.path + "/stream")
    }

    /// Every operating point of a stream with `layers` layers and `temporalLayers` temporal layers.
    static func operatingPoints(layers: Int, temporalLayers: Int) -> [OperatingPoint] {
        (1...max(1, layers)).flatMap { l in (0..<max(1, temporalLayers)).map { OperatingPoint(layers: l, temporalId: $0) } }
    }

    /// Whether `error` is one of the library's typed errors.
    static func isTyped(_ error: any Error) -> Bool {
        error is StrataError || error is ContainerError
    }

    /// What decoding a stream gave: per segment and operating point, the frames or the error.
    struct Decoded {
        var opened: Bool
        var segments: [[OperatingPoint: Result<DecodedSegment, any Error>]]
    }

    /// Opens the stream in `files` and decodes `segments` (all when nil) at every operating point.
    static func decodeAll(_ files: [String: [UInt8]], segments: [Int]? = nil) async -> Decoded {
        let reader: StreamReader
        let decoder: LayeredDecoder
        do {
            reader = try await StreamReader(source: MemoryStreamSource(files: files))
            decoder = try LayeredDecoder(reader: reader)
        } catch {
            if !isTyped(error) { Issue.record("opening gave an untyped error: \(type(of: error)) \(error)") }
            return Decoded(opened: false, segments: [])
        }
        let manifest = reader.manifest
        var result = Decoded(opened: true, segments: [])
        for segment in segments ?? Array(manifest.segments.indices) where manifest.segments.indices.contains(segment) {
            var fragments: [[UInt8]?] = []
            for layer in manifest.layers.indices { fragments.append(try? await reader.fragment(layer: layer, segment: segment)) }
            var points: [OperatingPoint: Result<DecodedSegment, any Error>] = [:]
            for point in operatingPoints(layers: manifest.layers.count, temporalLayers: manifest.temporalLayers) {
                do {
                    let decoded = try decoder.decodeSegment(segment, fragments: Array(fragments.prefix(point.layers)), target: point)
                    if decoded.built.layers > point.layers || decoded.built.layers < 1 {
                        Issue.record("segment \(segment): built \(decoded.built) for target \(point)")
                    }
                    if (decoded.built.layers < point.layers) != (decoded.fallbackReason != nil) {
                        Issue.record("segment \(segment): built \(decoded.built) for \(point), fallback reason \(decoded.fallbackReason ?? "none")")
                    }
                    points[point] = .success(decoded)
                } catch {
                    if !isTyped(error) { Issue.record("segment \(segment) at \(point): untyped error \(type(of: error)) \(error)") }
                    points[point] = .failure(error)
                }
            }
            result.segments.append(points)
        }
        // The whole-stream decoder, scaling fallbacks to one size, at the top and the lowest point.
        for point in [decoder.topOperatingPoint, OperatingPoint(layers: 1, temporalId: 0)] where segments == nil {
            do {
                var size: (Int, Int)?
                _ = try await StreamDecoder.decode(reader: reader, target: point) { frame in
                    if let size, size != (frame.width, frame.height) { Issue.record("frame sizes change within a decode at \(point)") }
                    size = (frame.width, frame.height)
                }
            } catch {
                if !isTyped(error) { Issue.record("whole-stream decode at \(point): untyped error \(type(of: error)) \(error)") }
            }
        }
        return result
    }

    /// One random byte-level edit of `input`.
    static func mutateBytes(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !b.isEmpty else { b = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let at = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1: b[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            case 2:
                let values: [UInt32] = [0, 1, 8, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt32(b.count), UInt32.random(in: 0...0xFFFF, using: &rng)]
                let v = values[Int.random(in: 0..<values.count, using: &rng)]
                for k in 0..<4 where at + k < b.count { b[at + k] = UInt8(v >> (24 - 8 * UInt32(k)) & 0xFF) }
            case 3: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...16, using: &rng)))
            case 4: b = Array(b[0..<at])
            default: b.insert(contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            }
        }
        return b
    }

    static let numberTokens = ["0", "-1", "1", "2", "3", "7", "8", "9", "63", "64", "65", "255", "4294967295", "4294967296",
                               "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e308", "0.5", "16384",
                               "16385", "1000000", "33", "47", "17"]

    /// An edit of manifest.json that keeps it JSON: a number set to a boundary value, or one
    /// string (a path, an id, a kind) replaced by another of the manifest's strings.
    static func mutateManifest(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var text = input
        for _ in 0..<Int.random(in: 1...2, using: &rng) {
            if Int.random(in: 0..<2, using: &rng) == 0 {
                var numbers: [Range<Int>] = []
                var i = 0
                while i < text.count {
                    let c = text[i]
                    if (c >= 0x30 && c <= 0x39) || (c == 0x2D && i + 1 < text.count && text[i + 1] >= 0x30 && text[i + 1] <= 0x39),
                       i > 0, [0x3A, 0x5B, 0x2C, 0x20].contains(text[i - 1]) {
                        var j = i + 1
                        while j < text.count, (0x30...0x39).contains(text[j]) || text[j] == 0x2E || text[j] == 0x65 || text[j] == 0x2D { j += 1 }
                        numbers.append(i..<j)
                        i = j
                    } else {
                        i += 1
                    }
                }
                guard let range = numbers.randomElement(using: &rng) else { continue }
                text.replaceSubrange(range, with: Array(numberTokens[Int.random(in: 0..<numberTokens.count, using: &rng)].utf8))
            } else {
                var strings: [Range<Int>] = []
                var open: Int?
                for (i, c) in text.enumerated() where c == 0x22 {
                    if let o = open { strings.append(o..<(i + 1)); open = nil } else { open = i }
                }
                guard strings.count >= 2 else { continue }
                let target = strings[Int.random(in: 0..<strings.count, using: &rng)]
                let extra = ["\"../L0/0.m4s\"", "\"/etc/passwd\"", "\"\"", "\"L9/init.mp4\"", "\"base\"", "\"enhancement\""]
                let replacement = Int.random(in: 0..<4, using: &rng) == 0
                    ? Array(extra[Int.random(in: 0..<extra.count, using: &rng)].utf8)
                    : Array(text[strings[Int.random(in: 0..<strings.count, using: &rng)]])
                text.replaceSubrange(target, with: replacement)
            }
        }
        return text
    }

    /// A stream's files with one of them mutated; returns the mutated name.
    static func mutateStream(_ files: [String: [UInt8]], _ rng: inout SplitMix64) -> (String, [String: [UInt8]]) {
        var files = files
        let names = files.keys.filter { $0 == "manifest.json" || $0.hasSuffix(".mp4") || $0.hasSuffix(".m4s") }.sorted()
        let name = Int.random(in: 0..<5, using: &rng) == 0 ? "manifest.json" : names[Int.random(in: 0..<names.count, using: &rng)]
        if Int.random(in: 0..<12, using: &rng) == 0 {
            files[name] = nil
        } else if name == "manifest.json" && Int.random(in: 0..<4, using: &rng) != 0 {
            files[name] = mutateManifest(files[name]!, &rng)
        } else {
            files[name] = mutateBytes(files[name]!, &rng)
        }
        return (name, files)
    }

    /// The segment a fragment path like `L1/3.m4s` belongs to.
    static func segment(of name: String) -> Int? {
        guard name.hasSuffix(".m4s"), let file = name.split(separator: "/").last else { return nil }
        return Int(file.dropLast(4))
    }

    @Test("the clean streams decode at every operating point without fallback")
    func cleanStreamsDecode() async throws {
        let fresh = try await Self.encodeStream()
        #expect(fresh.keys.contains("manifest.json"))
        let decoded = await Self.decodeAll(fresh)
        #expect(decoded.opened)
        #expect(decoded.segments.count == 2)
        for points in decoded.segments {
            #expect(points.count == 9)
            for (point, result) in points {
                guard case .success(let segment) = result else { Issue.record("\(point) failed on the clean stream"); continue }
                #expect(segment.built == point)
                #expect(segment.frames.count == [1, 2, 4][point.temporalId])
            }
        }
        // The committed stream is older than the current encoder: it must open and never trap;
        // its base decodes whatever the enhancement bitstream has become since.
        let committed = Self.files(under: Self.corpusDirectory)
        #expect(committed.keys.contains("manifest.json"))
        let old = await Self.decodeAll(committed.filter { !$0.key.hasPrefix("regressions/") })
        #expect(old.opened)
        for points in old.segments {
            if case .success(let segment) = points[OperatingPoint(layers: 1, temporalId: 2)] { #expect(segment.frames.count == 4) }
            else { Issue.record("the committed stream's base did not decode") }
        }
    }

    @Test("mutated manifests, init segments and fragments give frames, fallbacks or typed errors, never damaged pictures")
    func mutatedStreams() async throws {
        let fresh = try await Self.encodeStream()
        let committed = Self.files(under: Self.corpusDirectory).filter { !$0.key.hasPrefix("regressions/") }
        let streams = [fresh, committed]
        // Regressions: each folder under regressions/ is a whole stream.
        let regressions = Set(Self.files(under: Self.corpusDirectory + "/regressions").keys.filter { $0.contains("/") }.compactMap { $0.split(separator: "/").first.map(String.init) })
        for name in regressions.sorted() {
            _ = await Self.decodeAll(Self.files(under: Self.corpusDirectory + "/regressions/" + name))
        }
        // What each clean segment decodes to, per operating point.
        var clean: [[[OperatingPoint: [Frame]]]] = []
        for stream in streams {
            let decoded = await Self.decodeAll(stream)
            clean.append(decoded.segments.map { points in points.compactMapValues { try? $0.get().frames } })
        }
        var rng = SplitMix64(seed: Self.seed)
        let deadline = Date().addingTimeInterval(Self.secondsBudget)
        var runs = 0, opened = 0, fallbacks = 0, errors = 0, slowest = 0.0
        while Date() < deadline || runs < 30 {
            let s = Int.random(in: 0..<streams.count, using: &rng)
            let (name, files) = Self.mutateStream(streams[s], &rng)
            let segment = Self.segment(of: name)
            let started = Date()
            let decoded = await Self.decodeAll(files, segments: segment.map { [$0] })
            slowest = max(slowest, Date().timeIntervalSince(started))
            runs += 1
            guard decoded.opened else { continue }
            opened += 1
            // A mutated fragment: whatever decodes in full is what the clean stream decodes to,
            // because damage must be detected (the fragment's CRC-32), not decoded into garbage.
            guard let segment, let points = decoded.segments.first else { continue }
            for (point, result) in points {
                switch result {
                case .failure: errors += 1
                case .success(let got):
                    if got.fallbackReason != nil { fallbacks += 1; continue }
                    guard let expected = clean[s][segment][point] else { continue }
                    if got.frames.count != expected.count || !zip(got.frames, expected).allSatisfy({ $0.hasSameSamples(as: $1) }) {
                        Issue.record("mutated \(name) decoded at \(point) without fallback into different pictures (seed \(Self.seed), run \(runs))")
                    }
                }
            }
        }
        if ProcessInfo.processInfo.environment["STRATA_FUZZ_SECONDS"] != nil {
            print("stream fuzz: \(runs) mutated streams, \(opened) opened, \(fallbacks) fallbacks, \(errors) segment errors, slowest \(slowest) s, seed \(Self.seed)")
        }
        #expect(runs >= 30)
        #expect(opened > runs / 4)
        #expect(fallbacks > 0)
        #expect(slowest < 10)
    }

    /// The fresh stream with its manifest changed by `edit`.
    static func withManifest(_ files: [String: [UInt8]], _ edit: (inout StreamManifest) -> Void) throws -> [String: [UInt8]] {
        var manifest = try StreamManifest.decode(files["manifest.json"]!, path: "manifest.json")
        edit(&manifest)
        var files = files
        files["manifest.json"] = manifest.encoded()
        return files
    }

    @Test("regression: a frame rate denominator near Int.max is a typed error at lower frame rates, not an overflow trap")
    func hugeFrameRateDenominator() async throws {
        let files = try Self.withManifest(try await Self.encodeStream()) { m in
            m.source.fpsNum = 5
            m.source.fpsDen = Int.max / 3
        }
        let reader = try await StreamReader(source: MemoryStreamSource(files: files))
        do {
            _ = try await StreamDecoder.decode(reader: reader, target: OperatingPoint(layers: 1, temporalId: 0)) { _ in }
            Issue.record("a frame rate of 5/\(Int.max / 3) halved twice was accepted")
        } catch let error as StrataError {
            #expect("\(error)".contains("frame rate"))
        }
        // The full rate needs no division and decodes.
        let summary = try await StreamDecoder.decode(reader: reader, target: OperatingPoint(layers: 1, temporalId: 2)) { _ in }
        #expect(summary.frames == 8)
    }

    @Test("regression: an odd layer size in the manifest is refused when the stream opens, not trapped on when scaling")
    func oddLayerSize() async throws {
        let files = try Self.withManifest(try await Self.encodeStream()) { $0.layers[0].width = 33 }
        await #expect(throws: StrataError.self) { _ = try await StreamReader(source: MemoryStreamSource(files: files)) }
    }

    @Test("regression: an enhancement configuration record that disagrees with the manifest's sizes is refused before allocating")
    func configurationRecordDisagreesWithManifest() async throws {
        let files = try Self.withManifest(try await Self.encodeStream()) { m in
            m.layers[2].width = 128
            m.layers[2].height = 96
        }
        do {
            _ = try await StreamReader(source: MemoryStreamSource(files: files))
            Issue.record("a 128x96 manifest layer over a 64x48 configuration record was accepted")
        } catch let error as StrataError {
            #expect(error == .unreadable(path: "L2/init.mp4", message:
                "configuration record describes 64x48 over 64x48, the manifest 128x96 over 64x48"))
        }
    }
}

/// Serves a stream from memory, so each mutant is read without touching the disk.
struct MemoryStreamSource: StreamByteSource {
    let files: [String: [UInt8]]

    func bytes(at relativePath: String) async throws -> [UInt8] {
        guard let bytes = files[relativePath] else { throw StrataError.unreadable(path: relativePath, message: "no such file") }
        return bytes
    }
}

