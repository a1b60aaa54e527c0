import Foundation
import StrataCore

/// Measures decoded clips against the source at the source resolution.
///
/// Pictures smaller than the source are upscaled with one fixed bicubic scaler (libswscale,
/// bit-exact mode) before measuring, so every operating point and every rung is judged by the
/// same yardstick. PSNR-Y and SSIM are computed in Swift; VMAF, when enabled, by an ffmpeg with
/// libvmaf reading the upscaled pictures and the source as Y4M files in a private work directory.
final class QualityMeter {
    /// The source pictures, in display order.
    let source: [Frame]
    /// Size and rate of the source.
    let format: VideoFormat
    /// The ffmpeg with libvmaf, nil when VMAF is not measured.
    let vmafTool: String?
    private let workDirectory: String
    private var referencePath: String?
    private var upscalers: [Int: Scaler] = [:]
    /// Clips measured so far (each one a VMAF run when VMAF is on).
    private(set) var measurements = 0

    /// Creates a meter over `source`; `workDirectory` must exist and is used for VMAF's files.
    init(source: [Frame], format: VideoFormat, vmafTool: String?, workDirectory: String) {
        self.source = source
        self.format = format
        self.vmafTool = vmafTool
        self.workDirectory = workDirectory
    }

    /// The fixed measuring upscaler from `width x height` to the source size.
    private func upscaler(width: Int, height: Int) throws(BenchError) -> Scaler {
        let key = width << 32 | height
        if let s = upscalers[key] { return s }
        do {
            let s = try Scaler(from: width, height, to: format.width, format.height, filter: .bicubic)
            upscalers[key] = s
            return s
        } catch {
            throw .invalidOptions("cannot upscale \(width)x\(height) to \(format.width)x\(format.height) for measuring: \(error)")
        }
    }

    /// Measures the clip whose pictures `next` returns one by one (nil at the end); `label` names
    /// the clip in errors. Every source frame must be matched by exactly one picture.
    func measure(label: String, next: () throws -> Frame?) throws -> QualityScore {
        var accumulator = QualityAccumulator()
        let distortedPath = workDirectory + "/distorted.y4m"
        var writer: Y4MWriter?
        if vmafTool != nil {
            do { writer = try Y4MWriter(path: distortedPath, format: format) } catch {
                throw BenchError.writeFailed(path: distortedPath, reason: "\(error)")
            }
        }
        var scaled = Frame(width: format.width, height: format.height)
        var index = 0
        while let picture = try next() {
            guard index < source.count else {
                throw BenchError.frameCountMismatch(what: label, expected: source.count, got: index + 1)
            }
            let full: Frame
            if picture.width == format.width && picture.height == format.height {
                full = picture
            } else {
                try upscaler(width: picture.width, height: picture.height).scale(picture, into: &scaled)
                full = scaled
            }
            accumulator.add(reference: source[index], test: full)
            if let writer {
                do { try writer.write(full) } catch { throw BenchError.writeFailed(path: distortedPath, reason: "\(error)") }
            }
            index += 1
        }
        guard index == source.count else { throw BenchError.frameCountMismatch(what: label, expected: source.count, got: index) }
        measurements += 1
        var vmaf: Double?
        if let tool = vmafTool, let writer {
            do { try writer.finish() } catch { throw BenchError.writeFailed(path: distortedPath, reason: "\(error)") }
            vmaf = try runVMAF(tool: tool, distorted: distortedPath)
            try? FileManager.default.removeItem(atPath: distortedPath)
        }
        return QualityScore(psnrY: accumulator.psnrY, ssim: accumulator.ssim, vmaf: vmaf,
                            psnrCb: accumulator.psnrCb, psnrCr: accumulator.psnrCr)
    }

    /// Measures frames already in memory.
    func measure(label: String, frames: [Frame]) throws -> QualityScore {
        var iterator = frames.makeIterator()
        return try measure(label: label) { iterator.next() }
    }

    private func writeReference() throws(BenchError) -> String {
        if let referencePath { return referencePath }
        let path = workDirectory + "/reference.y4m"
        do {
            let writer = try Y4MWriter(path: path, format: format)
            for frame in source { try writer.write(frame) }
            try writer.finish()
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
        referencePath = path
        return path
    }

    private func runVMAF(tool: String, distorted: String) throws(BenchError) -> Double {
        let reference = try writeReference()
        let logPath = workDirectory + "/vmaf.json"
        let threads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        try ExternalTool.runChecked(tool, ["-hide_banner", "-nostdin", "-v", "error", "-y",
                                           "-i", distorted, "-i", reference,
                                           "-lavfi", "[0:v][1:v]libvmaf=log_path=\(logPath):log_fmt=json:n_threads=\(threads)",
                                           "-f", "null", "-"], name: "ffmpeg libvmaf")
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        guard let data = FileManager.default.contents(atPath: logPath) else {
            throw .unexpectedToolOutput(name: "ffmpeg libvmaf", detail: "no log written at \(logPath)")
        }
        return try Self.pooledMeanVMAF(fromLog: data)
    }

    /// The pooled mean VMAF of a libvmaf JSON log (`pooled_metrics.vmaf.mean`).
    static func pooledMeanVMAF(fromLog data: Data) throws(BenchError) -> Double {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let pooled = object["pooled_metrics"] as? [String: Any],
              let vmaf = pooled["vmaf"] as? [String: Any],
              let mean = (vmaf["mean"] as? NSNumber)?.doubleValue else {
            throw .unexpectedToolOutput(name: "ffmpeg libvmaf", detail: "log has no pooled_metrics.vmaf.mean")
        }
        return mean
    }
}
