import Foundation
import Strata

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "strata-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The small plan the stream tests use: a half-size base and two enhancement layers at full size.
let testPlan = LayerPlan(baseDivisor: 2, baseQP: 34,  temporalLayers: 3,
                         enhancementLayers: [EnhancementLayerPlan(divisor: 1, qp: 34), EnhancementLayerPlan(divisor: 1, qp: 26)])

/// A 128x96 clip of 20 frames at 10 fps: two segments of 1 s.
let testClip = SyntheticClip(width: 128, height: 96, frameRate: FrameRate(10), frameCount: 20, seed: 3)

/// Encodes `testClip` into `directory/stream` and returns the manifest.
func encodeTestStream(into directory: String, plan: LayerPlan = testPlan, concurrency: Int = 2, segmentSeconds: Double = 1) async throws -> StreamManifest {
    try await StreamEncoder.encode(source: FrameSequenceSource(format: testClip.format, frames: testClip.frames()),
                                   sourceName: "test clip", output: directory + "/stream",
                                   configuration: EncoderConfiguration(plan: plan, segmentSeconds: segmentSeconds, concurrency: concurrency))
}

/// Decodes a stream at `point` and measures luma PSNR against the test clip at the clip's size.
func decodedQuality(_ directory: String, _ point: OperatingPoint) async throws -> (psnr: Double, summary: DecodeSummary) {
    let reader = try await StreamReader(directory: directory)
    let source = testClip.frames()
    var frames: [Frame] = []
    let summary = try await StreamDecoder.decode(reader: reader, target: point) { frames.append($0) }
    var quality = QualityAccumulator()
    let up = try Scaler(from: summary.width, summary.height, to: testClip.format.width, testClip.format.height, filter: .bicubic)
    let stride = 1 << (reader.manifest.temporalLayers - 1 - point.temporalId)
    var n = 0
    for segment in reader.manifest.segments {
        for i in Swift.stride(from: 0, to: segment.frames, by: stride) {
            let f = frames[n]
            let full = f.width == testClip.format.width ? f : up.scale(f)
            quality.add(reference: source[segment.firstFrame + i], test: full, measureSSIM: false)
            n += 1
        }
    }
    return (quality.psnrY, summary)
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? -1
}
