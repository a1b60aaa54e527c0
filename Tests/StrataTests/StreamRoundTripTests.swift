import Foundation
import Testing
@testable import Strata

@Suite("Layered stream on disk")
struct StreamRoundTripTests {
    @Test("every layer of every segment is one fragment file, and the manifest's sizes are the files' sizes")
    func layoutAndSizes() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let manifest = try await encodeTestStream(into: dir.path)
        #expect(manifest.segments.count == 2)
        #expect(manifest.layers.map(\.id) == ["L0", "L1", "L2"])
        #expect(manifest.layers.map(\.kind) == [.base, .enhancement, .enhancement])
        #expect(manifest.layers[0].width == 64 && manifest.layers[0].height == 48)
        #expect(manifest.layers[2].width == 128 && manifest.layers[2].height == 96)
        #expect(manifest.layers[2].dependsOn == ["L0", "L1"])
        for layer in manifest.layers {
            var total = fileSize(dir.path + "/stream/" + layer.initSegment)
            #expect(total == layer.initBytes)
            for (i, fragment) in layer.fragments.enumerated() {
                let size = fileSize(dir.path + "/stream/" + fragment)
                #expect(size == layer.fragmentBytes[i], "\(fragment)")
                total += size
            }
            #expect(total == layer.bytes, "\(layer.id)")
            #expect(layer.kbps > 0)
        }
        for name in ["manifest.json", "stream.mpd", "base.m3u8"] {
            #expect(fileSize(dir.path + "/stream/" + name) > 0, "\(name)")
        }
        let onDisk = try StreamManifest.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path + "/stream/manifest.json"))), path: "manifest.json")
        #expect(onDisk == manifest)
    }

    @Test("quality rises with every layer, and dropping temporal layers keeps the matching frames")
    func qualityRisesWithLayers() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        _ = try await encodeTestStream(into: dir.path)
        let stream = dir.path + "/stream"
        var previous = 0.0
        for layers in 1...3 {
            let (psnr, summary) = try await decodedQuality(stream, OperatingPoint(layers: layers, temporalId: 2))
            #expect(summary.frames == 20)
            #expect(summary.fallbacks.isEmpty)
            #expect(psnr > previous + 0.5, "layers \(layers): \(psnr) dB after \(previous) dB")
            previous = psnr
        }
        let (_, t0) = try await decodedQuality(stream, OperatingPoint(layers: 3, temporalId: 0))
        #expect(t0.frames == 6) // frames 0, 4, 8 of each 10-frame segment
        #expect(t0.frameRate == FrameRate(10, 4) || t0.frameRate.framesPerSecond == 2.5)
    }

    @Test("a chroma weight other than 1 is recorded on the enhancement layers, spends more bytes, and decodes the usual way")
    func chromaWeightIsRecorded() async throws {
        let plain = TemporaryDirectory(), colourful = TemporaryDirectory()
        defer { plain.cleanup(); colourful.cleanup() }
        var plan = testPlan
        plan.chromaWeight = 4
        let a = try await encodeTestStream(into: plain.path), b = try await encodeTestStream(into: colourful.path, plan: plan)
        #expect(a.layers.allSatisfy { $0.chromaWeight == nil })
        #expect(b.layers.map(\.chromaWeight) == [nil, 4, 4])
        #expect(b.layers[0].bytes == a.layers[0].bytes && b.layers[2].bytes > a.layers[2].bytes)
        let reader = try await StreamReader(directory: colourful.path + "/stream")
        #expect(reader.manifest.layers[2].chromaWeight == 4)
        let (_, summary) = try await decodedQuality(colourful.path + "/stream", OperatingPoint(layers: 3, temporalId: 2))
        #expect(summary.fallbacks.isEmpty)
    }

    @Test("the output is byte-identical whatever the concurrency")
    func deterministicAcrossConcurrency() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        for sub in ["a", "b"] { try FileManager.default.createDirectory(atPath: dir.path + "/" + sub, withIntermediateDirectories: true) }
        let a = try await encodeTestStream(into: dir.path + "/a", concurrency: 1)
        let b = try await encodeTestStream(into: dir.path + "/b", concurrency: 3)
        #expect(a == b)
        for layer in a.layers {
            for path in [layer.initSegment] + layer.fragments {
                let x = FileManager.default.contents(atPath: dir.path + "/a/stream/" + path)
                let y = FileManager.default.contents(atPath: dir.path + "/b/stream/" + path)
                #expect(x != nil && x == y, "\(path)")
            }
        }
    }

    @Test("decoding hands on the same frames, fallbacks, progress and errors whatever the number of segments decoded at once")
    func decodeDeterministicAcrossConcurrency() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        // Four segments of 5 frames; segment 2 has no L2 fragment, so it falls back.
        let manifest = try await encodeTestStream(into: dir.path, segmentSeconds: 0.5)
        #expect(manifest.segments.count == 4)
        let stream = dir.path + "/stream"
        try FileManager.default.removeItem(atPath: stream + "/" + manifest.layers[2].fragments[2])
        let reader = try await StreamReader(directory: stream)
        let target = OperatingPoint(layers: 3, temporalId: 2)
        var results: [(frames: [Frame], summary: DecodeSummary, order: [Int])] = []
        for concurrency in [1, 3] {
            let order = ProgressRecorder()
            var frames: [Frame] = []
            let summary = try await StreamDecoder.decode(reader: reader, target: target, concurrency: concurrency,
                                                         progress: { segment, _ in order.record(segment) }) { frames.append($0) }
            results.append((frames, summary, order.segments))
        }
        let (one, three) = (results[0], results[1])
        #expect(one.frames.count == 20 && three.frames.count == 20)
        #expect(zip(one.frames, three.frames).allSatisfy { $0.hasSameSamples(as: $1) })
        #expect(one.summary.built == three.summary.built)
        #expect(three.summary.built[2] == OperatingPoint(layers: 2, temporalId: 2) && three.summary.built[3] == target)
        #expect(one.summary.fallbacks == three.summary.fallbacks && three.summary.fallbacks.keys.sorted() == [2])
        #expect(one.order == [0, 1, 2, 3] && three.order == [0, 1, 2, 3])
        // A segment that fails (a damaged base) is reported after the frames of the segments before it.
        let basePath = stream + "/" + manifest.layers[0].fragments[2]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: basePath)))
        bytes.removeLast(bytes.count / 3)
        try Data(bytes).write(to: URL(fileURLWithPath: basePath))
        for concurrency in [1, 3] {
            var handed = 0
            await #expect {
                try await StreamDecoder.decode(reader: reader, target: target, concurrency: concurrency) { _ in handed += 1 }
            } throws: { error in
                guard case let StrataError.baseFragmentUnusable(segment, _, _) = error else { return false }
                return segment == 2
            }
            #expect(handed == 10, "concurrency \(concurrency)")
        }
    }

    @Test("a missing or damaged enhancement fragment makes only that segment fall back")
    func upperLayerFallback() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let manifest = try await encodeTestStream(into: dir.path)
        let stream = dir.path + "/stream"
        try FileManager.default.removeItem(atPath: stream + "/" + manifest.layers[2].fragments[0])
        var damaged = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stream + "/" + manifest.layers[1].fragments[1])))
        damaged[damaged.count - 5] ^= 0x40
        try Data(damaged).write(to: URL(fileURLWithPath: stream + "/" + manifest.layers[1].fragments[1]))
        let (_, summary) = try await decodedQuality(stream, OperatingPoint(layers: 3, temporalId: 2))
        #expect(summary.frames == 20)
        #expect(summary.built == [OperatingPoint(layers: 2, temporalId: 2), OperatingPoint(layers: 1, temporalId: 2)])
        #expect(summary.fallbacks[0]?.contains("L2") == true)
        #expect(summary.fallbacks[1]?.contains("L1") == true)
    }

    @Test("a layer payload that fails mid-segment (its checksums intact) drops that layer for the whole segment")
    func upperLayerFailsMidSegment() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let manifest = try await encodeTestStream(into: dir.path)
        let stream = dir.path + "/stream"
        let clean = try await Self.frames(stream, OperatingPoint(layers: 2, temporalId: 2))
        // Frame 3 of L2 in segment 0 cut to its two header bytes: the fragment parses, the frame does not decode.
        let initBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: stream + "/" + manifest.layers[2].initSegment)))
        let track = try CMAFReader.parseInitSegment(initBytes, path: "init")
        let path = stream + "/" + manifest.layers[2].fragments[0]
        var fragment = try CMAFReader.parseMediaSegment(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), track: track, path: path)
        fragment.samples[3].data = Array(fragment.samples[3].data.prefix(2))
        try Data(CMAFWriter.mediaSegment(track, sequenceNumber: fragment.sequenceNumber, baseMediaDecodeTime: fragment.baseMediaDecodeTime,
                                         samples: fragment.samples)).write(to: URL(fileURLWithPath: path))
        let reader = try await StreamReader(directory: stream)
        var frames: [Frame] = []
        let summary = try await StreamDecoder.decode(reader: reader, target: OperatingPoint(layers: 3, temporalId: 2)) { frames.append($0) }
        #expect(summary.built.first == OperatingPoint(layers: 2, temporalId: 2))
        #expect(summary.fallbacks[0]?.contains("L2") == true)
        // Segment 0 is L0-L1 throughout, the frames before the failure included.
        let first = manifest.segments[0].frames
        #expect(frames.count == clean.count)
        #expect(zip(frames.prefix(first), clean.prefix(first)).allSatisfy { $0.hasSameSamples(as: $1) })
    }

    static func frames(_ stream: String, _ point: OperatingPoint) async throws -> [Frame] {
        let reader = try await StreamReader(directory: stream)
        var frames: [Frame] = []
        _ = try await StreamDecoder.decode(reader: reader, target: point) { frames.append($0) }
        return frames
    }

    @Test("a damaged base fragment is an error naming the segment")
    func damagedBase() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let manifest = try await encodeTestStream(into: dir.path)
        let stream = dir.path + "/stream"
        let path = stream + "/" + manifest.layers[0].fragments[1]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.removeLast(bytes.count / 3)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        await #expect {
            try await decodedQuality(stream, OperatingPoint(layers: 1, temporalId: 2))
        } throws: { error in
            guard case let StrataError.baseFragmentUnusable(segment, _, _) = error else { return false }
            return segment == 1
        }
    }

    @Test("re-encoding into an existing output replaces it whole")
    func reencodeReplacesWhole() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        _ = try await encodeTestStream(into: dir.path, segmentSeconds: 0.5)
        #expect(fileSize(dir.path + "/stream/L0/3.m4s") > 0)
        let second = try await encodeTestStream(into: dir.path, segmentSeconds: 1)
        #expect(second.segments.count == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/stream/L0/3.m4s"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "stream" }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("a plan that cannot be coded is refused before anything is written")
    func invalidPlanRefused() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let bad = LayerPlan(baseDivisor: 2, baseQP: 30, temporalLayers: 5, enhancementLayers: [])
        await #expect(throws: StrataError.self) { try await encodeTestStream(into: dir.path, plan: bad) }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/stream"))
    }

    @Test("the default plan has a quarter-size base and five rungs where the source allows one, else the half-size plan")
    func defaultPlanFollowsTheSourceSize() throws {
        let hd = LayerPlan.standard(sourceWidth: 1280, sourceHeight: 720)
        #expect(hd == .standard && hd.layerCount == 5)
        let sizes = (0..<5).map { k in hd.size(ofLayer: k, sourceWidth: 1280, sourceHeight: 720) }.map { [$0.width, $0.height] }
        #expect(sizes == [[320, 180], [640, 360], [1280, 720], [1280, 720], [1280, 720]])
        // 64 samples give the smallest base OpenH264 codes (16); below that the half-size plan.
        #expect(LayerPlan.standard(sourceWidth: 64, sourceHeight: 64) == .standard)
        let small = LayerPlan.standard(sourceWidth: 176, sourceHeight: 62)
        #expect(small == .halfSizeBase && small.layerCount == 4)
        try small.validate(sourceWidth: 176, sourceHeight: 62)
        #expect(throws: StrataError.self) { try LayerPlan.standard.validate(sourceWidth: 176, sourceHeight: 62) }
        #expect(LayerPlan.standard(baseDivisor: 2) == .halfSizeBase && LayerPlan.standard(baseDivisor: 4) == .standard)
        // What a caller chose replaces the default's: a divisor brings its own layers; layers at the
        // source size under no chosen divisor get a half-size base they fit.
        #expect(LayerPlan.standard(sourceWidth: 1280, sourceHeight: 720, baseDivisor: nil, layers: nil) == .standard)
        #expect(LayerPlan.standard(sourceWidth: 1280, sourceHeight: 720, baseDivisor: 2, layers: nil) == .halfSizeBase)
        let full = [EnhancementLayerPlan(divisor: 1, qp: 30), EnhancementLayerPlan(divisor: 1, qp: 24)]
        let fitted = LayerPlan.standard(sourceWidth: 1280, sourceHeight: 720, baseDivisor: nil, layers: full)
        #expect(fitted.baseDivisor == 2 && fitted.enhancementLayers == full)
        let half = [EnhancementLayerPlan(divisor: 2, qp: 30), EnhancementLayerPlan(divisor: 1, qp: 24)]
        #expect(LayerPlan.standard(sourceWidth: 1280, sourceHeight: 720, baseDivisor: nil, layers: half).baseDivisor == 4)
    }
}

/// The segments a decode's progress reported, in the order it reported them.
final class ProgressRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func record(_ segment: Int) { lock.withLock { list.append(segment) } }
    var segments: [Int] { lock.withLock { list } }
}
