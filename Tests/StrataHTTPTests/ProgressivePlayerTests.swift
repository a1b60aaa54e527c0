import Foundation
import Strata
import Testing
@testable import StrataHTTP

/// Real-time sessions against a real server on 127.0.0.1; serialized so that pacing and
/// deadlines are not disturbed by other sessions running at the same time. The time limit catches a
/// session that hangs; it also covers the encoding of the shared test stream, which the first test to
/// ask for it waits for (291 s on a machine whose two cores three other builds were sharing).
@Suite("Progressive player", .serialized, .timeLimit(.minutes(5)))
struct ProgressivePlayerTests {
    private func play(_ server: ServerOptions, _ options: (Int) -> PlayerOptions) async throws -> PlaybackReport {
        try await withServer(server) { port async throws in
            try await ProgressivePlayer.play(options(port), log: { _ in })
        }
    }

    @Test("shows every layer of every segment on a fast link, and writes the video at the top size")
    func fastLink() async throws {
        let path = try await TestStream.path()
        let manifest = try await TestStream.manifest()
        let out = try TemporaryDirectory("played")
        let y4m = out.path + "/played.y4m"
        let report = try await play(ServerOptions(directory: path)) { port in
            PlayerOptions(url: "http://127.0.0.1:\(port)/manifest.json", bufferTargetSeconds: 2, outputPath: y4m)
        }
        #expect(report.layersPerSegment == Array(repeating: manifest.layers.count, count: manifest.segments.count))
        #expect(report.meanOperatingPoint == Double(manifest.layers.count))
        #expect(report.stallCount == 0)
        #expect(report.startupDelaySeconds < 1.5)
        #expect(report.bytesFetched == manifest.layers.reduce(0) { $0 + $1.fragmentBytes.reduce(0, +) })
        #expect(report.segments.allSatisfy { $0.fallbackReason == nil && $0.builtTemporalId == manifest.temporalLayers - 1 })
        let frames = try Y4MReader(path: y4m).readAll()
        #expect(frames.count == manifest.source.frames)
        #expect(frames.first.map { ($0.width, $0.height) } ?? (0, 0) == (manifest.source.width, manifest.source.height))
    }

    @Test("stays on the base on a link just above the base's bitrate, without stalling")
    func slowLink() async throws {
        let path = try await TestStream.path()
        let manifest = try await TestStream.manifest()
        // The fastest segment of the base sets the rate, with a margin of 40%.
        let baseKbps = manifest.layers[0].fragmentBytes.indices.map {
            Double(manifest.layers[0].fragmentBytes[$0]) * 8 / 1000 / manifest.segmentDuration($0)
        }.max()!
        let link = baseKbps * 1.4
        // The first enhancement layer must not fit beside the base, or the test shows nothing.
        #expect(link * 0.85 < manifest.layers[0].kbps + manifest.layers[1].kbps)
        let out = try TemporaryDirectory("slow")
        let y4m = out.path + "/played.y4m"
        let report = try await play(ServerOptions(directory: path, trace: .constant(kbps: link))) { port in
            PlayerOptions(url: "http://127.0.0.1:\(port)", bufferTargetSeconds: 2, outputPath: y4m)
        }
        #expect(report.layersPerSegment == Array(repeating: 1, count: manifest.segments.count))
        #expect(report.stallSeconds < 0.25, "stalled \(report.stallSeconds) seconds")
        // Base-only pictures are scaled up, so the file has one size throughout.
        let frames = try Y4MReader(path: y4m).readAll()
        #expect(frames.count == manifest.source.frames)
        #expect(frames.allSatisfy { $0.width == manifest.source.width && $0.height == manifest.source.height })
    }

    @Test("falls back without stalling when enhancement fragments fail (404, truncated, reset)")
    func enhancementFaults() async throws {
        let path = try await TestStream.path()
        let manifest = try await TestStream.manifest()
        #expect(manifest.segments.count == 4 && manifest.layers.count == 3)
        let faults = try ["L2/1.m4s=404", "L1/2.m4s=truncate:0.5", "L1/3.m4s=reset"].map { try FaultRule(parsing: $0) }
        let report = try await play(ServerOptions(directory: path, faults: faults)) { port in
            PlayerOptions(url: "http://127.0.0.1:\(port)", bufferTargetSeconds: 2)
        }
        #expect(report.layersPerSegment == [3, 2, 1, 1])
        #expect(report.stallCount == 0)
        let outcomes = report.segments.flatMap(\.fetches).filter { $0.outcome != .arrived }.map { "\($0.layer):\($0.outcome.rawValue)" }
        #expect(outcomes.sorted() == ["1:transport", "1:truncated", "2:http-error"])
        // Nothing is fetched above a layer that failed.
        #expect(!report.segments[2].fetches.contains { $0.layer == 2 })
    }

    @Test("stops with a clear error when a base fragment is unreachable")
    func baseUnreachable() async throws {
        let path = try await TestStream.path()
        let report: Result<PlaybackReport, any Error> = await Result(catching: {
            try await play(ServerOptions(directory: path, faults: [FaultRule(pattern: "L0/2.m4s", action: .notFound)])) { port in
                PlayerOptions(url: "http://127.0.0.1:\(port)", bufferTargetSeconds: 2, baseRetries: 1)
            }
        })
        guard case let .failure(error) = report, let playerError = error as? PlayerError,
              case let .baseUnavailable(segment, attempts, reason) = playerError else {
            Issue.record("expected baseUnavailable, got \(report)")
            return
        }
        #expect(segment == 2 && attempts == 2)
        #expect(reason.contains("404"))
        #expect(playerError.description.contains("segment 2"))
    }

    @Test("reports an unreachable server as a manifest error")
    func serverDown() async throws {
        // Bind and release a port so that nothing listens on it.
        let dir = try TemporaryDirectory("down")
        let port = try await withServer(ServerOptions(directory: dir.path)) { $0 }
        await #expect {
            _ = try await ProgressivePlayer.play(PlayerOptions(url: "http://127.0.0.1:\(port)", requestTimeoutSeconds: 1), log: { _ in })
        } throws: { error in
            guard case .manifestUnavailable = error as? PlayerError else { return false }
            return true
        }
    }

    @Test("reads a stream over HTTP with the same bytes as from its directory")
    func httpSource() async throws {
        let path = try await TestStream.path()
        try await withServer(ServerOptions(directory: path)) { port async throws in
            let remote = try await StreamReader(source: HTTPSource(baseURL: "http://127.0.0.1:\(port)/"))
            let local = try await StreamReader(directory: path)
            #expect(remote.manifest == local.manifest)
            #expect(try await remote.fragment(layer: 2, segment: 3) == local.fragment(layer: 2, segment: 3))
        }
        #expect(throws: HTTPSourceError.invalidURL("ftp://x")) { try HTTPSource(baseURL: "ftp://x") }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
