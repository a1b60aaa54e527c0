import Foundation
import Testing
import Strata

/// Runs a tool and returns its exit status and combined output, or nil when it is not installed.
func runTool(_ name: String, _ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 127 { return nil }
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

let ffmpegAvailable = runTool("ffmpeg", ["-version"])?.status == 0

@Suite("The base layer plays in ffmpeg", .enabled(if: ffmpegAvailable))
struct FFmpegInteropTests {
    @Test("ffmpeg decodes base.m3u8 and stream.mpd's base to every frame at the base size")
    func baseDecodesInFFmpeg() async throws {
        let dir = TemporaryDirectory(); defer { dir.cleanup() }
        _ = try await encodeTestStream(into: dir.path)
        let stream = dir.path + "/stream"
        for input in ["base.m3u8", "stream.mpd"] {
            let out = dir.path + "/\(input).yuv"
            let result = try #require(runTool("ffmpeg", ["-v", "error", "-y", "-i", stream + "/" + input, "-map", "0:v:0",
                                                         "-f", "rawvideo", "-pix_fmt", "yuv420p", out]))
            #expect(result.status == 0, "\(input): \(result.output)")
            #expect(fileSize(out) == 20 * Frame.packedByteCount(width: 64, height: 48), "\(input)")
        }
    }
}
