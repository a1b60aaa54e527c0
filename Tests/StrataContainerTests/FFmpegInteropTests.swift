import Foundation
import Testing
@testable import StrataContainer

/// Runs `tool` from PATH with `arguments`; returns its exit status and standard output.
private func run(_ tool: String, _ arguments: [String], in directory: String) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

private func toolExists(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}

/// A small Annex B reader for the test: splits at start codes and groups NAL units into access units.
enum AnnexBTestSplitter {
    static func nalUnits(_ stream: [UInt8]) -> [[UInt8]] {
        var starts: [(code: Int, payload: Int)] = []
        var i = 0
        while i + 2 < stream.count {
            if stream[i] == 0, stream[i + 1] == 0, stream[i + 2] == 1 {
                starts.append((i > 0 && stream[i - 1] == 0 ? i - 1 : i, i + 3))
                i += 3
            } else {
                i += 1
            }
        }
        return starts.enumerated().map { k, s in
            let end = k + 1 < starts.count ? starts[k + 1].code : stream.count
            return Array(stream[s.payload..<end])
        }
    }

    /// Access units: a new one starts at an AUD/SEI/SPS/PPS, or at a slice with first_mb_in_slice = 0,
    /// once the current one holds a slice.
    static func accessUnits(_ units: [[UInt8]]) -> [[[UInt8]]] {
        var result: [[[UInt8]]] = []
        var current: [[UInt8]] = []
        var hasSlice = false
        for nal in units {
            let type = nal[0] & 0x1F
            let isSlice = type == 1 || type == 5
            let startsPicture = isSlice ? (nal.count > 1 && nal[1] & 0x80 != 0) : [6, 7, 8, 9].contains(type)
            if hasSlice && startsPicture {
                result.append(current)
                current = []
                hasSlice = false
            }
            current.append(nal)
            if isSlice { hasSlice = true }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}

@Suite("Interoperability with ffmpeg", .enabled(if: toolExists("ffprobe") && toolExists("ffmpeg")))
struct FFmpegInteropTests {
    @Test func ffmpegPlaysTheBaseLayerThroughFragmentsHLSAndDASH() throws {
        let dir = NSTemporaryDirectory() + "strata-interop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/L0", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/L1", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let encode = try run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=176x144:rate=25", "-frames", "50",
                                        "-pix_fmt", "yuv420p", "-c:v", "libx264", "-bf", "0", "-g", "25", "-f", "h264", "tmp.264"], in: dir)
        try #require(encode.status == 0)
        let stream = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/tmp.264")))
        let units = AnnexBTestSplitter.nalUnits(stream)
        // x264 repeats identical parameter sets at every IDR; avcC carries each once.
        let sps = Array(Set(units.filter { $0[0] & 0x1F == 7 }))
        let pps = Array(Set(units.filter { $0[0] & 0x1F == 8 }))
        let pictures = AnnexBTestSplitter.accessUnits(units).map { $0.filter { ![7, 8, 9].contains($0[0] & 0x1F) } }
        try #require(pictures.count == 50)
        try #require(sps.count == 1 && pps.count == 1)

        let timescale: UInt32 = 12_800
        let base = TrackDescription(trackID: 1, timescale: timescale, width: 176, height: 144, codec: .avc(sps: sps, pps: pps))
        let enhancement = TrackDescription(trackID: 2, timescale: timescale, width: 176, height: 144,
                                           codec: .strata(configuration: [1, 0, 0, 0], layerIndex: 1), dependsOnTrackIDs: [1])
        var layers: [StreamManifest.Layer] = []
        for (track, id) in [(base, "L0"), (enhancement, "L1")] {
            let initBytes = CMAFWriter.initSegment(track)
            try AtomicFile.write(initBytes, to: "\(dir)/\(id)/init.mp4")
            var fragmentBytes: [Int] = []
            for segment in 0..<2 {
                let samples = pictures[segment * 25..<(segment + 1) * 25].enumerated().map { i, nals -> MediaSample in
                    let isSync = nals.contains { $0[0] & 0x1F == 5 }
                    if id == "L0" {
                        return MediaSample.avcSample(nalUnits: nals, duration: 512, isSync: isSync, temporalId: i % 2)
                    }
                    return MediaSample(data: [UInt8](repeating: UInt8(i), count: 40), duration: 512, isSync: isSync, temporalId: i % 2)
                }
                let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: UInt32(segment + 1), baseMediaDecodeTime: UInt64(segment * 25 * 512), samples: samples)
                // The reader gets back exactly what was written.
                #expect(try CMAFReader.parseMediaSegment(bytes, track: track, path: "\(id)/\(segment).m4s").samples == samples)
                try AtomicFile.write(bytes, to: "\(dir)/\(id)/\(segment).m4s")
                fragmentBytes.append(bytes.count)
            }
            let total = initBytes.count + fragmentBytes.reduce(0, +)
            layers.append(StreamManifest.Layer(
                id: id, kind: id == "L0" ? .base : .enhancement, codec: track.codec.codecString, width: 176, height: 144,
                dependsOn: id == "L0" ? [] : ["L0"], bytes: total, kbps: Double(total) * 8 / 2.0 / 1000,
                initSegment: "\(id)/init.mp4", fragments: ["\(id)/0.m4s", "\(id)/1.m4s"], trackID: track.trackID,
                timescale: timescale, temporalLayers: 2, fragmentBytes: fragmentBytes, initBytes: initBytes.count))
        }
        let manifest = StreamManifest(source: .init(width: 176, height: 144, fpsNum: 25, fpsDen: 1, frames: 50), segmentSeconds: 1,
                                      temporalLayers: 2, segments: [.init(index: 0, firstFrame: 0, frames: 25), .init(index: 1, firstFrame: 25, frames: 25)],
                                      layers: layers)
        try manifest.validate(path: "manifest.json")
        try AtomicFile.write(manifest.encoded(), to: dir + "/manifest.json")
        try AtomicFile.write(Array(HLSPlaylist.mediaPlaylist(for: manifest, layer: "L0").utf8), to: dir + "/base.m3u8")
        try AtomicFile.write(Array(DASHManifest.mpd(for: manifest).utf8), to: dir + "/stream.mpd")

        // ffprobe reads init + each fragment concatenated.
        for segment in 0..<2 {
            let joined = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/L0/init.mp4")))
                + Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/L0/\(segment).m4s")))
            try AtomicFile.write(joined, to: "\(dir)/joined\(segment).mp4")
            let probe = try run("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                            "stream=codec_name,profile,width,height,nb_read_frames", "-of", "csv=p=0", "joined\(segment).mp4"], in: dir)
            #expect(probe.status == 0)
            #expect(String(decoding: probe.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "h264,High,176,144,25")
        }

        let frameBytes = 176 * 144 * 3 / 2
        // ffmpeg decodes base.m3u8: all 50 frames at 176x144.
        let hls = try run("ffmpeg", ["-v", "error", "-i", "base.m3u8", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], in: dir)
        #expect(hls.status == 0)
        #expect(hls.output.count == 50 * frameBytes)

        // ffmpeg opens stream.mpd and decodes the base representation.
        let dash = try run("ffmpeg", ["-v", "error", "-i", "stream.mpd", "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], in: dir)
        #expect(dash.status == 0)
        #expect(dash.output.count == 50 * frameBytes)
        // The other direction: ffmpeg's own fragmented MP4 and DASH output read by Strata's readers.
        let fmp4 = try run("ffmpeg", ["-v", "error", "-i", "tmp.264", "-c", "copy", "-f", "mp4",
                                      "-movflags", "frag_keyframe+empty_moov+default_base_moof", "ffmpeg.mp4"], in: dir)
        try #require(fmp4.status == 0)
        let ffmpegFile = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/ffmpeg.mp4")))
        let top = try BoxParser.boxes(in: ffmpegFile, from: 0, to: ffmpegFile.count, path: "ffmpeg.mp4")
        let moov = try #require(top.first { $0.type == "moov" })
        let ffmpegTrack = try CMAFReader.parseInitSegment(Array(ffmpegFile[0..<moov.end]), path: "ffmpeg.mp4")
        #expect(ffmpegTrack.width == 176 && ffmpegTrack.height == 144)
        #expect(ffmpegTrack.codec == .avc(sps: sps, pps: pps))
        // ffmpeg's fragments carry no integrity box, which a Strata reader refuses rather than trusts.
        let moofIndex = try #require(top.firstIndex { $0.type == "moof" })
        try #require(top.count > moofIndex + 1 && top[moofIndex + 1].type == "mdat")
        let firstFragment = Array(ffmpegFile[top[moofIndex].start..<top[moofIndex + 1].end])
        #expect(throws: ContainerError.missingBox(path: "ffmpeg.mp4", box: "scrc", parent: "traf")) {
            try CMAFReader.parseMediaSegment(firstFragment, track: ffmpegTrack, path: "ffmpeg.mp4")
        }
        // Read without the check, its tfhd defaults and first-sample flags give the same pictures.
        let foreign = try CMAFReader.parseMediaSegment(firstFragment, track: ffmpegTrack, path: "ffmpeg.mp4", requireIntegrity: false)
        #expect(foreign.samples.count == 25)
        #expect(foreign.samples.map(\.isSync) == [true] + Array(repeating: false, count: 24))
        let slices = { (nals: [[UInt8]]) in nals.filter { [1, 5].contains($0[0] & 0x1F) } }
        #expect(try foreign.samples.map { slices(try $0.nalUnits()) } == pictures.prefix(25).map(slices))
        try FileManager.default.createDirectory(atPath: dir + "/ffdash", withIntermediateDirectories: true)
        let ffdash = try run("ffmpeg", ["-v", "error", "-i", "../tmp.264", "-c", "copy", "-f", "dash", "-seg_duration", "1", "out.mpd"], in: dir + "/ffdash")
        try #require(ffdash.status == 0)
        let ffmpegMPD = try DASHManifest.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/ffdash/out.mpd")), as: UTF8.self), path: "out.mpd")
        let representation = try #require(ffmpegMPD.representations.first)
        #expect(ffmpegMPD.representations.count == 1)
        #expect(representation.codecs?.hasPrefix("avc1.64") == true)
        #expect(FileManager.default.fileExists(atPath: dir + "/ffdash/" + representation.initialization))
        #expect(representation.segmentCount == 2)
        for k in 0..<representation.segmentCount {
            #expect(FileManager.default.fileExists(atPath: dir + "/ffdash/" + representation.mediaPath(segment: k)), "segment \(k)")
        }

        // The frames are the ones the H.264 stream holds.
        let direct = try run("ffmpeg", ["-v", "error", "-i", "tmp.264", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], in: dir)
        #expect(direct.output == hls.output)
        #expect(direct.output == dash.output)
    }
}
