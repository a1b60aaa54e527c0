// Encodes generated frames into a layered stream, reads it back at two operating points
// through a custom byte source, and checks that the upper one is better.
import Foundation
import Strata

/// A byte source that counts what it hands out: where an app would plug in its own cache or transport.
final class CountingSource: StreamByteSource, @unchecked Sendable {
    let directory: DirectorySource
    private let lock = NSLock()
    private var count = 0
    init(path: String) { directory = DirectorySource(path: path) }
    var bytesServed: Int { lock.withLock { count } }
    func bytes(at relativePath: String) async throws -> [UInt8] {
        let bytes = try await directory.bytes(at: relativePath)
        lock.withLock { count += bytes.count }
        return bytes
    }
}

let width = 160, height = 96
let format = VideoFormat(width: width, height: height, frameRate: FrameRate(25))
// A moving gradient with a bright square: simple frames an app might produce.
let frames: [Frame] = (0..<25).map { t in
    var frame = Frame(width: width, height: height)
    var luma = [UInt8](repeating: 0, count: width * height)
    for y in 0..<height {
        for x in 0..<width {
            var v = (x * 2 + y + t * 3) & 255
            if x >= 20 + t * 2 && x < 50 + t * 2 && y >= 30 && y < 60 { v = 235 }
            luma[y * width + x] = UInt8(v)
        }
    }
    luma.withUnsafeBytes { frame.luma.fillPacked(from: $0) }
    return frame
}

let output = NSTemporaryDirectory() + "strata-example-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: output) }
let plan = LayerPlan(baseDivisor: 2, baseQP: 36, temporalLayers: 2,
                     enhancementLayers: [EnhancementLayerPlan(divisor: 1, qp: 36), EnhancementLayerPlan(divisor: 1, qp: 28)])
let manifest = try await StreamEncoder.encode(source: FrameSequenceSource(format: format, frames: frames), sourceName: "generated",
                                              output: output, configuration: EncoderConfiguration(plan: plan, segmentSeconds: 0.5))
print("encoded \(manifest.source.frames) frames: \(manifest.layers.map { "\($0.id) \($0.width)x\($0.height) \($0.kbps) kbps" }.joined(separator: ", "))")

let source = CountingSource(path: output)
let reader = try await StreamReader(source: source)
var psnr: [Double] = []
for layers in [1, manifest.layers.count] {
    var decoded: [Frame] = []
    let summary = try await StreamDecoder.decode(reader: reader, target: OperatingPoint(layers: layers, temporalId: 1)) { decoded.append($0) }
    var quality = QualityAccumulator()
    let up = try Scaler(from: summary.width, summary.height, to: width, height)
    for (i, frame) in decoded.enumerated() {
        quality.add(reference: frames[i], test: frame.width == width ? frame : up.scale(frame), measureSSIM: false)
    }
    psnr.append(quality.psnrY)
    print("\(layers) layer(s): \(summary.frames) frames at \(summary.width)x\(summary.height), PSNR-Y \(String(format: "%.2f", quality.psnrY)) dB")
}
print("read \(source.bytesServed) bytes through the custom source")
guard psnr[1] > psnr[0] + 1 else {
    FileHandle.standardError.write(Data("quality did not rise with the enhancement layers\n".utf8))
    exit(1)
}
print("ok: quality rises from \(String(format: "%.2f", psnr[0])) to \(String(format: "%.2f", psnr[1])) dB")
