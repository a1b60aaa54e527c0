import Foundation
import StrataBase
import StrataCore

/// Small generated clips and helpers shared by the base-layer tests.
enum TestClips {
    /// A 176x144 clip with motion, texture and noise.
    static func qcif(frames: Int, seed: UInt64 = 7) -> [Frame] {
        SyntheticClip(width: 176, height: 144, frameCount: frames, seed: seed).frames()
    }

    /// Encodes `frames` with OpenH264, forcing an IDR at frame 0 and at every index in `idrAt`.
    static func encode(_ frames: [Frame], _ configuration: BaseEncoderConfiguration, idrAt: Set<Int> = []) throws -> [AccessUnit] {
        let encoder = try OpenH264Encoder(configuration)
        return try frames.enumerated().map { i, frame in try encoder.encode(frame, forceIDR: i == 0 || idrAt.contains(i)) }
    }

    /// Decodes access units one at a time with OpenH264, feeding only the units of `spatialLayer`.
    static func decode(_ units: [AccessUnit], spatialLayer: Int = 0) throws -> [Frame] {
        let decoder = try OpenH264Decoder()
        var frames: [Frame] = []
        for unit in units {
            if let frame = try decoder.decode(unit.nalUnits(forSpatialLayer: spatialLayer)) { frames.append(frame) }
        }
        return frames + (try decoder.flush())
    }

    /// Luma PSNR of decoded frames against their sources, over the whole clip.
    static func psnrY(_ decoded: [Frame], _ sources: [Frame]) -> Double {
        var accumulator = QualityAccumulator()
        for (d, s) in zip(decoded, sources) { accumulator.add(reference: s, test: d, measureSSIM: false) }
        return accumulator.psnrY
    }
}

/// Runs the system `ffmpeg` when it is installed, to check streams against an independent decoder.
enum FFmpeg {
    /// The path of `ffmpeg` on PATH, or nil.
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isAvailable: Bool { path != nil }

    /// Decodes an Annex B H.264 stream with ffmpeg and returns its frames (packed I420 of `width x height`).
    static func decodeH264(_ stream: [UInt8], width: Int, height: Int) throws -> [Frame] {
        guard let path else { return [] }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-base-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.264"), output = dir.appendingPathComponent("out.yuv")
        try Data(stream).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-nostdin", "-v", "error", "-f", "h264", "-i", input.path,
                             "-f", "rawvideo", "-pix_fmt", "yuv420p", "-y", output.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FFmpegFailure(status: process.terminationStatus) }
        let bytes = [UInt8](try Data(contentsOf: output))
        let size = Frame.packedByteCount(width: width, height: height)
        guard bytes.count % size == 0 else { throw FFmpegFailure(status: -1) }
        return (0..<(bytes.count / size)).map { i in
            bytes.withUnsafeBytes { Frame(width: width, height: height, packedI420: UnsafeRawBufferPointer(rebasing: $0[(i * size)..<((i + 1) * size)])) }
        }
    }

    struct FFmpegFailure: Error { var status: Int32 }
}
