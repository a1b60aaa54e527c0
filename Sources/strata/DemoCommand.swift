import ArgumentParser
import Foundation
import Strata

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Encode a built-in clip, split it into fragments, recombine every operating point, print the table.",
        discussion: """
        Needs no arguments and no network: the clip is generated (moving shapes over a
        panning texture with noise). The stream is left in --output for a look with
        `strata info`, `strata decode` or ffmpeg (base.m3u8).
        """)

    @Option(help: "Directory for the demo stream.")
    var output: String = "strata-demo"

    @Option(help: "Width of the built-in clip.")
    var width: Int = 640

    @Option(help: "Height of the built-in clip.")
    var height: Int = 360

    @Option(help: "Frames of the built-in clip (25 fps).")
    var frames: Int = 100

    @OptionGroup var plan: PlanOptions

    func run() async throws {
        guard width >= 64, height >= 64, width % 2 == 0, height % 2 == 0 else {
            throw ValidationError("--width and --height must be even and at least 64")
        }
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1") }
        let clip = SyntheticClip(width: width, height: height, frameCount: frames, seed: 7)
        let line = ProgressLine()
        line.update("making the built-in clip: \(width)x\(height), \(frames) frames")
        let sourceFrames = clip.frames()
        let configuration = try plan.configuration(sourceWidth: width, sourceHeight: height)
        let started = Date()
        let manifest = try await StreamEncoder.encode(
            source: FrameSequenceSource(format: clip.format, frames: sourceFrames), sourceName: "built-in clip",
            output: output, configuration: configuration) { p in
                line.update("encoding: \(p.framesRead)/\(frames) frames read, \(p.segmentsDone) segments written")
            }
        let encodeSeconds = Date().timeIntervalSince(started)
        line.finish()
        let fragmentCount = manifest.layers.reduce(0) { $0 + $1.fragments.count }
        print("encoded the built-in clip (\(width)x\(height), \(frames) frames at 25 fps) in \(format(encodeSeconds, 2)) s")
        print("split into \(fragmentCount) fragments: \(manifest.layers.count) layers x \(manifest.segments.count) segments, in \(output)/")
        print(InfoTable.render(manifest))
        print("")
        print("recombined from the fragment files, quality against the source at \(width)x\(height):")
        print(pad("operating point", 17) + pad("size", 11) + lpad("fps", 7) + lpad("kbps", 10) + lpad("PSNR-Y dB", 11) + lpad("SSIM", 8) + lpad("decode fps", 12))

        let reader = try await StreamReader(directory: output)
        var points: [OperatingPoint] = []
        for layers in 1...manifest.layers.count {
            points.append(OperatingPoint(layers: layers, temporalId: manifest.temporalLayers - 1))
        }
        if manifest.temporalLayers > 1 {
            points.append(OperatingPoint(layers: manifest.layers.count, temporalId: 0))
        }
        let upscalers = ScalerCache()
        for point in points {
            var quality = QualityAccumulator()
            let stride = 1 << (manifest.temporalLayers - 1 - point.temporalId)
            var index = 0
            let t0 = Date()
            let summary = try await StreamDecoder.decode(reader: reader, target: point) { frame in
                let full = try upscalers.toSize(frame, width: width, height: height)
                // Temporal id t frames sit at multiples of 2^(T-1-t) inside each segment.
                quality.add(reference: sourceFrames[frameIndex(index, stride: stride, manifest: manifest)], test: full)
                index += 1
            }
            let seconds = Date().timeIntervalSince(t0)
            let kbps = manifest.layers.prefix(point.layers).reduce(0.0) { $0 + $1.kbps } / Double(stride)
            let fps = Double(manifest.source.fpsNum) / Double(manifest.source.fpsDen) / Double(stride)
            print(pad(point.description, 17) + pad("\(summary.width)x\(summary.height)", 11) + lpad(format(fps, 1), 7)
                  + lpad(format(kbps, 1), 10) + lpad(format(quality.psnrY, 2), 11) + lpad(format(quality.ssim, 4), 8)
                  + lpad(format(Double(summary.frames) / max(seconds, 1e-6), 0), 12))
        }
        print("")
        print("kbps at a lower frame rate is an estimate (the layers' rate divided by the frame-rate ratio).")
    }

    /// The source frame number of the `n`-th frame kept when every `stride`-th frame of each segment is kept.
    private func frameIndex(_ n: Int, stride: Int, manifest: StreamManifest) -> Int {
        var remaining = n
        for segment in manifest.segments {
            let kept = (segment.frames + stride - 1) / stride
            if remaining < kept { return segment.firstFrame + remaining * stride }
            remaining -= kept
        }
        return manifest.source.frames - 1
    }
}

/// Upscalers to the source size, one per picture size met.
final class ScalerCache {
    private var scalers: [String: Scaler] = [:]

    func toSize(_ frame: Frame, width: Int, height: Int) throws -> Frame {
        if frame.width == width && frame.height == height { return frame }
        let key = "\(frame.width)x\(frame.height)"
        let scaler = try scalers[key] ?? Scaler(from: frame.width, frame.height, to: width, height, filter: .bicubic)
        scalers[key] = scaler
        return scaler.scale(frame)
    }
}
