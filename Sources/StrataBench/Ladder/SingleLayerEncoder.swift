import Foundation
import StrataCore
import StrataBase

/// The single-layer encoders simulcast ladders are built from.
public enum LadderEncoder: Sendable, Hashable {
    /// libx264 at a preset, with a tuning or none, rate-controlled by CRF (searched in steps of 0.25).
    case x264(X264Preset, tune: X264Tune? = nil)
    /// OpenH264 with the layered base's settings (CABAC, four reference frames, high complexity,
    /// the same temporal hierarchy) at a constant QP (integer steps): a single layer of the encoder
    /// the base is made with.
    case openH264(temporalLayers: Int)

    /// Name in the report (`x264`, `openh264`).
    public var name: String {
        switch self {
        case .x264: return "x264"
        case .openH264: return "openh264"
        }
    }

    /// Speed setting named in the report.
    var presetName: String {
        switch self {
        case .x264(let preset, _): return preset.rawValue
        case .openH264(let t): return "constant-qp, \(t) temporal layer\(t == 1 ? "" : "s")"
        }
    }

    /// x264's tuning named in the report; nil for none (and for OpenH264).
    var tuneName: String? {
        if case .x264(_, let tune?) = self { return tune.rawValue }
        return nil
    }

    /// The encoder and its settings in words, e.g. `x264 medium` or `x264 medium, tune psnr`.
    var label: String { "\(name) \(presetName)" + (tuneName.map { ", tune \($0)" } ?? "") }

    /// `crf` or `qp`.
    var parameterName: String {
        switch self {
        case .x264: return "crf"
        case .openH264: return "qp"
        }
    }

    /// Search limits: parameter range, granularity, first guess and first step.
    var searchLimits: (range: ClosedRange<Double>, granularity: Double, start: Double, step: Double) {
        switch self {
        case .x264: return (0...51, 0.25, 23, 4)
        case .openH264: return (0...51, 1, 28, 4)
        }
    }

    /// Encodes `frames` at `parameter` with an IDR every `keyframeInterval` frames (the segment
    /// length, so each rung can be cut into segments like the layered stream) and decodes the
    /// result for measuring. Returns the coded size and the decoded pictures; `encodeSeconds`
    /// counts the encoder alone.
    func encodeAndDecode(frames: [Frame], format: VideoFormat, parameter: Double, keyframeInterval: Int,
                         ffmpeg: String?, workDirectory: String) throws(BenchError) -> (bytes: Int, encodeSeconds: Double, decoded: [Frame]) {
        guard let first = frames.first else { throw .invalidOptions("no frames to encode") }
        let w = first.width, h = first.height
        switch self {
        case .x264(let preset, let tune):
            var stream: [UInt8] = []
            let start = Date()
            do {
                let encoder = try X264Encoder(width: w, height: h, frameRate: format.frameRate, preset: preset, tune: tune,
                                              rateControl: .crf(parameter), threads: 0, keyframeInterval: keyframeInterval)
                for frame in frames { stream += try encoder.encode(frame) }
                stream += try encoder.flush()
            } catch {
                throw .encodeFailed(encoder: name, width: w, height: h, reason: "\(error)")
            }
            let seconds = Date().timeIntervalSince(start)
            guard let ffmpeg else {
                throw .missingTool(name: "ffmpeg", detail: "needed to decode the x264 ladder (x264 writes B-frames, which OpenH264 does not decode)")
            }
            let decoded = try FFmpegDecoder.decode(annexB: stream, ffmpeg: ffmpeg, workDirectory: workDirectory)
            return (stream.count, seconds, decoded)
        case .openH264(let temporalLayers):
            let qp = Int(parameter.rounded())
            var units: [[NALUnit]] = []
            var bytes = 0
            let start = Date()
            do {
                var configuration = BaseEncoderConfiguration(width: w, height: h, frameRate: format.frameRate,
                                                             temporalLayers: temporalLayers, rateControl: .constantQP(qp))
                configuration.prefixNALUnits = false
                let encoder = try OpenH264Encoder(configuration)
                for (i, frame) in frames.enumerated() {
                    let unit = try encoder.encode(frame, forceIDR: i % keyframeInterval == 0)
                    units.append(unit.nalUnits)
                    bytes += unit.nalUnits.reduce(0) { $0 + 4 + $1.bytes.count }
                }
            } catch {
                throw .encodeFailed(encoder: name, width: w, height: h, reason: "\(error)")
            }
            let seconds = Date().timeIntervalSince(start)
            var decoded: [Frame] = []
            do {
                let decoder = try OpenH264Decoder()
                for unit in units { if let frame = try decoder.decode(unit) { decoded.append(frame) } }
                decoded += try decoder.flush()
            } catch {
                throw .encodeFailed(encoder: name, width: w, height: h, reason: "decoding for measurement: \(error)")
            }
            return (bytes, seconds, decoded)
        }
    }
}

/// Decodes an H.264 elementary stream with ffmpeg into frames.
enum FFmpegDecoder {
    static func decode(annexB: [UInt8], ffmpeg: String, workDirectory: String) throws(BenchError) -> [Frame] {
        let streamPath = workDirectory + "/rung.264", picturesPath = workDirectory + "/rung.y4m"
        defer {
            try? FileManager.default.removeItem(atPath: streamPath)
            try? FileManager.default.removeItem(atPath: picturesPath)
        }
        guard FileManager.default.createFile(atPath: streamPath, contents: Data(annexB)) else {
            throw .writeFailed(path: streamPath, reason: "cannot create the file")
        }
        try ExternalTool.runChecked(ffmpeg, ["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "h264", "-i", streamPath,
                                             "-fps_mode", "passthrough", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", picturesPath],
                                    name: "ffmpeg (H.264 decode)")
        do {
            return try Y4MReader(path: picturesPath).readAll()
        } catch {
            throw .unexpectedToolOutput(name: "ffmpeg (H.264 decode)", detail: "\(error)")
        }
    }
}
