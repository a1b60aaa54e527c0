import StrataTestSupport
@testable import StrataContainer

enum Fixtures {
    /// A Baseline-profile SPS (profile 66, constraint 0xC0, level 31) and a PPS, as OpenH264 writes them.
    static let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x02, 0x80, 0xBF, 0xE5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xCA, 0x3C, 0x60, 0xCA, 0x80]
    static let pps: [UInt8] = [0x68, 0xCE, 0x3C, 0x80]

    static func avcTrack(id: UInt32 = 1) -> TrackDescription {
        TrackDescription(trackID: id, timescale: 12_800, width: 640, height: 360, codec: .avc(sps: [sps], pps: [pps]))
    }

    static func strataTrack(id: UInt32 = 3, layer: Int = 2) -> TrackDescription {
        TrackDescription(trackID: id, timescale: 12_800, width: 1280, height: 720,
                         codec: .strata(configuration: [0x01, 0x02, 0x00, 0x10, 0xFF, 0x7E], layerIndex: layer),
                         dependsOnTrackIDs: [1, 2], language: "eng")
    }

    static func bytes(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// `count` samples with a dyadic temporal structure of `temporalLayers` layers and an IDR first.
    static func samples(_ count: Int, temporalLayers: Int = 3, seed: UInt64 = 7, maxSize: Int = 300) -> [MediaSample] {
        var rng = SplitMix64(seed: seed)
        let period = 1 << (temporalLayers - 1)
        return (0..<count).map { i in
            let phase = i % period
            var tid = 0
            if phase != 0 {
                tid = temporalLayers - 1
                var p = phase
                while p % 2 == 0 { p /= 2; tid -= 1 }
            }
            let size = Int.random(in: 1...maxSize, using: &rng)
            return MediaSample(data: bytes(size, &rng), duration: 512, isSync: i == 0, temporalId: tid)
        }
    }

    /// A three-layer manifest of a 132-frame 25 fps source cut into 2 s segments.
    static func manifest() -> StreamManifest {
        let segments = [StreamManifest.Segment(index: 0, firstFrame: 0, frames: 50),
                        StreamManifest.Segment(index: 1, firstFrame: 50, frames: 50),
                        StreamManifest.Segment(index: 2, firstFrame: 100, frames: 32)]
        func layer(_ k: Int, kind: StreamManifest.LayerKind, codec: String, w: Int, h: Int) -> StreamManifest.Layer {
            let fragmentBytes = [1000 * (k + 1), 900 * (k + 1), 500 * (k + 1)]
            let initBytes = 700
            let bytes = initBytes + fragmentBytes.reduce(0, +)
            return StreamManifest.Layer(
                id: "L\(k)", kind: kind, codec: codec, width: w, height: h,
                dependsOn: (0..<k).map { "L\($0)" }, bytes: bytes, kbps: Double(bytes) * 8 / 5.28 / 1000,
                initSegment: "L\(k)/init.mp4", fragments: (0..<3).map { "L\(k)/\($0).m4s" }, trackID: UInt32(k + 1),
                timescale: 12_800, temporalLayers: 3, fragmentBytes: fragmentBytes, initBytes: initBytes,
                qp: k == 0 ? 30 : nil, targetKbps: k == 0 ? nil : 900)
        }
        return StreamManifest(
            source: .init(width: 1280, height: 720, fpsNum: 25, fpsDen: 1, frames: 132),
            segmentSeconds: 2.0, temporalLayers: 3, segments: segments,
            layers: [layer(0, kind: .base, codec: "avc1.42c01f", w: 640, h: 360),
                     layer(1, kind: .enhancement, codec: "stre.1", w: 960, h: 540),
                     layer(2, kind: .enhancement, codec: "stre.2", w: 1280, h: 720)])
    }
}
