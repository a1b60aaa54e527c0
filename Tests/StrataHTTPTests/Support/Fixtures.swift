import Foundation
import Strata
@testable import StrataHTTP

/// A temporary directory removed when the value is dropped.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init(_ label: String) throws {
        let base = FileManager.default.temporaryDirectory.path + "/strata-http-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A small layered stream encoded once for all player tests: a 64x48 synthetic clip, four
/// segments of 8 frames (0.32 s at 25 fps), a half-size base and two enhancement layers (the
/// player's tests name layers and fragments of this plan, whatever the default plan becomes).
/// Small, because debug builds encode slowly; short segments keep real-time sessions short.
enum TestStream {
    static let directory: Task<TemporaryDirectory, any Error> = Task {
        let dir = try TemporaryDirectory("stream")
        let clip = SyntheticClip(width: 64, height: 48, frameCount: 32, seed: 7)
        let output = dir.path + "/stream"
        let plan = LayerPlan(baseDivisor: 2, baseQP: 30, temporalLayers: 3,
                             enhancementLayers: [EnhancementLayerPlan(divisor: 1, qp: 28), EnhancementLayerPlan(divisor: 1, qp: 22)])
        try await StreamEncoder.encode(source: FrameSequenceSource(format: clip.format, frames: clip.frames()), sourceName: "synthetic",
                                       output: output, configuration: EncoderConfiguration(plan: plan, segmentSeconds: 0.32, concurrency: 2))
        return dir
    }

    static func path() async throws -> String { try await directory.value.path + "/stream" }

    static func manifest() async throws -> StreamManifest {
        try await StreamReader(directory: path()).manifest
    }
}

/// Runs `body` with a server on an ephemeral port, always stopping it.
func withServer<T>(_ options: ServerOptions, _ body: (Int) async throws -> T) async throws -> T {
    var options = options
    options.port = 0
    let server = StreamServer(options: options)
    let port = try await server.start()
    do {
        let result = try await body(port)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
