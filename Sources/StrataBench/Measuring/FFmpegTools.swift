import Foundation

/// The ffmpeg binaries a run uses: one that decodes H.264 (to measure x264 rungs, whose B-frames
/// OpenH264's decoder does not take) and, where one exists, one built with libvmaf.
public struct FFmpegTools: Sendable, Equatable {
    /// An ffmpeg that decodes H.264, or nil when none was found.
    public var decoder: String?
    /// An ffmpeg with the `libvmaf` filter, or nil when none was found.
    public var vmaf: String?
    /// Every candidate looked at and what was found, for the report and for error messages.
    public var searched: [String]

    /// Finds ffmpeg: `explicitPath` when given (and nothing else), else `STRATA_FFMPEG`, else the
    /// binary of PyPI's imageio-ffmpeg, else `ffmpeg` on `PATH`. The first candidate that runs is
    /// the decoder; the first whose filter list holds `libvmaf` is the VMAF tool.
    public static func locate(explicitPath: String? = nil) -> FFmpegTools {
        var candidates: [(String, String)] = []
        if let explicitPath {
            candidates.append((explicitPath, "given path"))
        } else {
            if let env = ProcessInfo.processInfo.environment["STRATA_FFMPEG"], !env.isEmpty {
                candidates.append((env, "STRATA_FFMPEG"))
            }
            if let python = ExternalTool.which("python3"),
               let out = try? ExternalTool.run(python, ["-c", "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"], name: "python3"),
               out.status == 0 {
                let path = String(decoding: out.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !path.isEmpty { candidates.append((path, "imageio-ffmpeg")) }
            }
            if let onPath = ExternalTool.which("ffmpeg") { candidates.append((onPath, "PATH")) }
        }
        var tools = FFmpegTools(decoder: nil, vmaf: nil, searched: [])
        for (path, origin) in candidates {
            guard FileManager.default.isExecutableFile(atPath: path),
                  let out = try? ExternalTool.run(path, ["-hide_banner", "-filters"], name: "ffmpeg"), out.status == 0 else {
                tools.searched.append("\(path) (\(origin)): does not run")
                continue
            }
            let hasVMAF = String(decoding: out.standardOutput, as: UTF8.self)
                .split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first == "libvmaf" }
            tools.searched.append("\(path) (\(origin)): \(hasVMAF ? "with libvmaf" : "no libvmaf")")
            if tools.decoder == nil { tools.decoder = path }
            if hasVMAF && tools.vmaf == nil { tools.vmaf = path }
        }
        return tools
    }

    /// The decoder, or ``BenchError/missingTool(name:detail:)`` listing what was tried.
    func requireDecoder() throws(BenchError) -> String {
        guard let decoder else {
            throw .missingTool(name: "ffmpeg", detail: "needed to decode the x264 ladder; tried: "
                               + (searched.isEmpty ? "nothing found (set STRATA_FFMPEG or install ffmpeg)" : searched.joined(separator: "; ")))
        }
        return decoder
    }
}
