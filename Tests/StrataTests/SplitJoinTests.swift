import Foundation
import Testing
import Strata
import StrataBase

/// An OpenH264 elementary stream of `SplitJoinTests.clip` (128x96, 40 frames at 10 fps) with an
/// IDR every `idrEvery` frames: two spatial layers (64x48 under 128x96) or one plain AVC layer.
private func encodeElementaryStream(spatial: Bool, idrEvery: Int, temporalLayers: Int = 3, prefixNALUnits: Bool = true) throws -> [UInt8] {
    let clip = SplitJoinTests.clip
    var layers = [SpatialLayerSpec(width: 128, height: 96, rateControl: .constantQP(30))]
    if spatial { layers.insert(SpatialLayerSpec(width: 64, height: 48, rateControl: .constantQP(30)), at: 0) }
    var configuration = BaseEncoderConfiguration(spatialLayers: layers, frameRate: clip.format.frameRate, temporalLayers: temporalLayers)
    configuration.prefixNALUnits = prefixNALUnits
    let encoder = try OpenH264Encoder(configuration)
    var units: [NALUnit] = []
    for i in 0..<clip.frameCount {
        units += try encoder.encode(clip.frame(i), forceIDR: i % idrEvery == 0).nalUnits
    }
    return AnnexB.serialize(units)
}

/// Decodes whole access units with OpenH264 (which outputs the highest spatial layer it is fed).
private func openH264Frames(_ accessUnits: [[NALUnit]]) throws -> [[UInt8]] {
    let decoder = try OpenH264Decoder()
    var frames: [[UInt8]] = []
    for unit in accessUnits {
        if let frame = try decoder.decode(unit) { frames.append(frame.packedI420()) }
    }
    frames += try decoder.flush().map { $0.packedI420() }
    return frames
}

private func write(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

private func read(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Expects `body` to throw a ``SplitJoinError`` and returns it.
private func splitError(_ body: () throws -> Void) -> SplitJoinError? {
    do { try body() } catch let error as SplitJoinError { return error } catch { Issue.record("unexpected error \(error)") }
    return nil
}

@Suite("Split and join of elementary streams")
struct SplitJoinTests {
    static let clip = SyntheticClip(width: 128, height: 96, frameRate: FrameRate(10), frameCount: 40, seed: 11)

    @Test("an SVC stream splits into one fragment per layer per segment holding exactly the input's NAL units")
    func splitSVCStream() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let input = try encodeElementaryStream(spatial: true, idrEvery: 20)
        try write(input, dir.path + "/in.264")
        let manifest = try StreamSplitter.split(annexB: dir.path + "/in.264", output: dir.path + "/out", segmentSeconds: 2,
                                                frameRate: FrameRate(10), segmentAtIDRs: false)
        #expect(manifest.layers.map(\.kind) == [.base, .spatial])
        #expect(manifest.layers.map { "\($0.width)x\($0.height)" } == ["64x48", "128x96"])
        #expect(manifest.layers[0].codec.hasPrefix("avc3."))
        #expect(manifest.layers[1].codec == "stsv.1")
        #expect(manifest.segments.map(\.frames) == [20, 20])
        #expect(manifest.temporalLayers == 3)
        #expect(manifest.source.width == 128 && manifest.source.frames == 40)
        for name in ["manifest.json", "stream.mpd", "base.m3u8"] {
            #expect(FileManager.default.fileExists(atPath: dir.path + "/out/" + name), "\(name)")
        }

        let inputUnits = try AnnexB.parse(input)
        let expectedTemporalIds = AnnexB.accessUnits(inputUnits).map(\.temporalId)
        let reader = try await StreamReader(directory: dir.path + "/out")
        var payload = [0, 0]
        var unitCounts = [0, 0]
        var sampleCounts = [0, 0]
        for layer in 0..<2 {
            var temporalIds: [Int] = []
            for segment in 0..<2 {
                let path = dir.path + "/out/" + manifest.layers[layer].fragments[segment]
                #expect(fileSize(path) == manifest.layers[layer].fragmentBytes[segment])
                let fragment = try CMAFReader.parseMediaSegment(try read(path), track: reader.tracks[layer], path: path)
                #expect(fragment.samples.count == 20)
                #expect(fragment.samples.first?.isSync == true)
                temporalIds += fragment.samples.map(\.temporalId)
                for sample in fragment.samples {
                    payload[layer] += sample.data.count
                    sampleCounts[layer] += 1
                    if layer == 0 {
                        unitCounts[0] += try sample.nalUnits().count
                    } else {
                        unitCounts[1] += Int(sample.data[0]) << 8 | Int(sample.data[1])
                    }
                }
            }
            #expect(temporalIds == expectedTemporalIds, "layer \(layer)")
        }
        #expect(unitCounts[0] + unitCounts[1] == inputUnits.count)
        #expect(unitCounts[1] > 0 && unitCounts[0] > unitCounts[1])
        // Sample bytes are the NAL bytes plus the 4-byte lengths, and in the spatial layer a
        // 2-byte count per sample and a 2-byte position per unit.
        let nalBytes = inputUnits.reduce(0) { $0 + $1.bytes.count }
        #expect(payload[0] + payload[1] == nalBytes + 4 * inputUnits.count + 2 * sampleCounts[1] + 2 * unitCounts[1])
    }

    @Test("joining all layers gives the input's NAL units back byte for byte, and OpenH264 decodes the same frames")
    func joinAllLayersRoundTrips() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let input = try encodeElementaryStream(spatial: true, idrEvery: 20)
        try write(input, dir.path + "/in.264")
        try StreamSplitter.split(annexB: dir.path + "/in.264", output: dir.path + "/out", segmentSeconds: 2,
                                 frameRate: FrameRate(10), segmentAtIDRs: false)
        let summary = try await StreamJoiner.join(stream: dir.path + "/out", layers: 2, temporalId: 2, output: dir.path + "/all.264")
        #expect(summary.frames == 40 && summary.width == 128 && summary.format == .annexB)
        let joined = try read(dir.path + "/all.264")
        let inputUnits = try AnnexB.parse(input).map(\.bytes)
        let joinedUnits = try AnnexB.parse(joined).map(\.bytes)
        #expect(joinedUnits.count == inputUnits.count)
        #expect(joinedUnits == inputUnits)

        let original = try openH264Frames(AnnexB.accessUnits(try AnnexB.parse(input)).map(\.nalUnits))
        let rejoined = try openH264Frames(AnnexB.accessUnits(try AnnexB.parse(joined)).map(\.nalUnits))
        #expect(original.count == 40)
        #expect(original.first?.count == Frame.packedByteCount(width: 128, height: 96))
        #expect(rejoined == original)

        // The stream decodes through the layered decoder too: layer 2 is OpenH264's top layer,
        // layer 1 its base.
        let reader = try await StreamReader(directory: dir.path + "/out")
        var top: [[UInt8]] = []
        let topSummary = try await StreamDecoder.decode(reader: reader, target: OperatingPoint(layers: 2, temporalId: 2)) { top.append($0.packedI420()) }
        #expect(topSummary.fallbacks.isEmpty)
        #expect(top == original)
        var base: [[UInt8]] = []
        _ = try await StreamDecoder.decode(reader: reader, target: OperatingPoint(layers: 1, temporalId: 2)) { base.append($0.packedI420()) }
        let originalBase = try openH264Frames(AnnexB.accessUnits(try AnnexB.parse(input)).map { $0.nalUnits(forSpatialLayer: 0) })
        #expect(base.count == 40)
        #expect(base == originalBase)
    }

    @Test("joining the base alone gives an Annex B stream and an MP4 that ffmpeg decodes to every frame at the base size",
          .enabled(if: ffmpegAvailable))
    func baseJoinDecodesInFFmpeg() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        try write(try encodeElementaryStream(spatial: true, idrEvery: 20), dir.path + "/in.264")
        try StreamSplitter.split(annexB: dir.path + "/in.264", output: dir.path + "/out", segmentSeconds: 2,
                                 frameRate: FrameRate(10), segmentAtIDRs: false)
        for name in ["base.264", "base.mp4", "all.mp4"] {
            let layers = name == "all.mp4" ? 2 : 1
            let summary = try await StreamJoiner.join(stream: dir.path + "/out", layers: layers, temporalId: 2, output: dir.path + "/" + name)
            #expect(summary.frames == 40)
            let yuv = dir.path + "/\(name).yuv"
            let result = try #require(runTool("ffmpeg", ["-v", "error", "-y", "-i", dir.path + "/" + name, "-map", "0:v:0",
                                                         "-f", "rawvideo", "-pix_fmt", "yuv420p", yuv]))
            #expect(result.status == 0, "\(name): \(result.output)")
            #expect(fileSize(yuv) == 40 * Frame.packedByteCount(width: 64, height: 48), "\(name)")
        }
        // Temporal id 1 keeps half the frames.
        let half = try await StreamJoiner.join(stream: dir.path + "/out", layers: 1, temporalId: 1, output: dir.path + "/half.264")
        #expect(half.frames == 20)
    }

    @Test("a plain AVC stream splits into a base alone and joins back byte for byte")
    func plainAVCStream() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let input = try encodeElementaryStream(spatial: false, idrEvery: 20, temporalLayers: 1, prefixNALUnits: false)
        try write(input, dir.path + "/in.264")
        let manifest = try StreamSplitter.split(annexB: dir.path + "/in.264", output: dir.path + "/out", segmentSeconds: 2,
                                                frameRate: FrameRate(10), segmentAtIDRs: false)
        #expect(manifest.layers.count == 1)
        #expect(manifest.layers[0].width == 128 && manifest.layers[0].height == 96)
        #expect(manifest.temporalLayers == 1 && manifest.segments.count == 2)
        try await StreamJoiner.join(stream: dir.path + "/out", layers: 1, temporalId: 0, output: dir.path + "/back.264")
        #expect(try AnnexB.parse(read(dir.path + "/back.264")).map(\.bytes) == AnnexB.parse(input).map(\.bytes))
    }

    @Test("malformed Annex B input gives a typed error naming the byte offset")
    func malformedInput() throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let valid = try encodeElementaryStream(spatial: false, idrEvery: 20, temporalLayers: 1)
        func split(_ bytes: [UInt8]) -> SplitJoinError? {
            splitError {
                try write(bytes, dir.path + "/bad.264")
                try StreamSplitter.split(annexB: dir.path + "/bad.264", output: dir.path + "/out", segmentSeconds: 2,
                                         frameRate: FrameRate(10), segmentAtIDRs: false)
            }
        }
        guard case let .malformedAnnexB(_, offset, _) = split([0x67, 0x42, 0x00, 0x1F, 0xAB, 0xCD, 0x00, 0x68]) else {
            Issue.record("no start codes: expected malformedAnnexB"); return
        }
        #expect(offset == 0)

        // A prefix unit (type 14) cut to two bytes after a valid stream.
        guard case let .malformedAnnexB(_, truncatedAt, reason) = split(valid + [0, 0, 0, 1, 0x6E, 0x80]) else {
            Issue.record("truncated unit: expected malformedAnnexB"); return
        }
        #expect(truncatedAt == valid.count + 4)
        #expect(reason.contains("truncated"))

        // forbidden_zero_bit set in the header of the second unit.
        var damaged = valid
        var second = 5
        while second + 2 < valid.count && !(valid[second] == 0 && valid[second + 1] == 0 && valid[second + 2] == 1) { second += 1 }
        second += 3
        #expect(second < valid.count)
        damaged[second] |= 0x80
        guard case let .malformedAnnexB(_, forbiddenAt, forbiddenReason) = split(damaged) else {
            Issue.record("forbidden bit: expected malformedAnnexB"); return
        }
        #expect(forbiddenAt == second)
        #expect(forbiddenReason.contains("forbidden_zero_bit"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
    }

    @Test("IDRs off the segment boundaries give a clear error, or with segmentAtIDRs segments that start at the IDRs")
    func segmentsAtIDRs() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        let input = try encodeElementaryStream(spatial: true, idrEvery: 16)
        try write(input, dir.path + "/in.264")
        let error = splitError {
            try StreamSplitter.split(annexB: dir.path + "/in.264", output: dir.path + "/out", segmentSeconds: 2,
                                     frameRate: FrameRate(10), segmentAtIDRs: false)
        }
        #expect(error == .noIDRAtSegmentStart(segment: 1, frame: 20, previousIDR: 16, nextIDR: 32))
        #expect(error?.description.contains("frame 20") == true)

        let manifest = try StreamSplitter.split(annexB: dir.path + "/in.264", output: dir.path + "/out", segmentSeconds: 2,
                                                frameRate: FrameRate(10), segmentAtIDRs: true)
        #expect(manifest.segments.map(\.firstFrame) == [0, 32])
        #expect(manifest.segments.map(\.frames) == [32, 8])
        try await StreamJoiner.join(stream: dir.path + "/out", layers: 2, temporalId: 2, output: dir.path + "/back.264")
        #expect(try AnnexB.parse(read(dir.path + "/back.264")).map(\.bytes) == AnnexB.parse(input).map(\.bytes))
    }
}
