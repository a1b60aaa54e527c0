import Testing
@testable import StrataHTTP

/// A network whose every download is scripted: a fixed duration per layer, with chosen
/// downloads failing or taking longer, in simulated time.
private final class ScriptedNetwork: PlaybackNetwork {
    var now: Double = 0
    var seconds: [Double]                    // per layer
    var failures: [String: [FetchRecord.Outcome]] = [:]  // "layer/segment" -> outcomes of the first attempts
    var slow: [String: Double] = [:]        // "layer/segment" -> seconds instead of the layer's
    var log: [String] = []

    init(seconds: [Double]) { self.seconds = seconds }

    func fetch(layer: Int, segment: Int, timeout: Double) async -> FetchResult {
        let key = "\(layer)/\(segment)"
        log.append(key)
        if var pending = failures[key], !pending.isEmpty {
            let outcome = pending.removeFirst()
            failures[key] = pending
            now += 0.01
            return .failed(outcome, detail: "scripted", seconds: 0.01)
        }
        let d = slow[key] ?? seconds[layer]
        if d > timeout {
            now += timeout
            return .failed(.late, detail: "scripted", seconds: timeout)
        }
        now += d
        return .arrived(bytes: [UInt8(layer)], count: 1000, seconds: d)
    }

    func sleep(until time: Double) async throws { now = max(now, time) }
}

private func run(_ network: ScriptedNetwork, segments: Int = 6, layers: Int = 3, retries: Int = 2,
                 played: @escaping (DueSegment) -> Void = { _ in }) async throws -> PlaybackReport {
    let layout = StreamLayout(segmentSeconds: Array(repeating: 1, count: segments),
                              fragmentBytes: Array(repeating: Array(repeating: 1000, count: segments), count: layers))
    let settings = SchedulerSettings(bufferTarget: 3, maxLayers: layers, safety: 0.85, decodeMargin: 0, baseRetries: retries,
                                     baseTimeout: 10, startupBudget: 0.25)
    let engine = PlaybackEngine(layout: layout, settings: settings, network: network, names: { "L\($0)/\($1)" }, log: { _ in },
                                play: { played($0) })
    return try await engine.run(streamName: "scripted", trace: nil)
}

@Suite("Playback scheduler")
struct PlaybackEngineTests {
    @Test("hands each segment over in order with only the layers that arrived in time")
    func ordering() async throws {
        let network = ScriptedNetwork(seconds: [0.05, 0.05, 0.05])
        network.failures["2/1"] = [.httpError]
        var seen: [(Int, Int, Int)] = []
        let report = try await run(network) { seen.append(($0.index, $0.layersInTime, $0.fragments.filter { $0 != nil }.count)) }
        #expect(seen.map(\.0) == Array(0..<6))
        #expect(seen.allSatisfy { $0.1 == $0.2 })
        #expect(report.layersPerSegment[1] == 2)
        #expect(report.stallCount == 0)
        // Bases are fetched before any upgrade of a later segment is attempted at startup.
        #expect(network.log.first == "0/0")
    }

    @Test("retries a failing base and plays on")
    func baseRetry() async throws {
        let network = ScriptedNetwork(seconds: [0.05, 0.05, 0.05])
        network.failures["0/3"] = [.transport, .truncated]
        let report = try await run(network)
        let baseFetches = report.segments[3].fetches.filter { $0.layer == 0 }.map(\.outcome)
        #expect(baseFetches == [.transport, .truncated, .arrived])
        #expect(report.layersPerSegment.count == 6)
    }

    @Test("gives up with the segment and the attempts when retries run out")
    func baseGivesUp() async throws {
        let network = ScriptedNetwork(seconds: [0.05, 0.05, 0.05])
        network.failures["0/2"] = [.httpError, .httpError, .httpError]
        await #expect(throws: PlayerError.baseUnavailable(segment: 2, attempts: 3, reason: "scripted")) {
            _ = try await run(network)
        }
    }

    @Test("counts a base that arrives after its play time as one stall of that length")
    func stall() async throws {
        // Bases take 0.9 s on 1 s segments: the buffer hardly grows, and one base of 2.5 s
        // (segment 3) must stall playback.
        let network = ScriptedNetwork(seconds: [0.9, 5, 5])
        network.slow["0/3"] = 2.5
        let report = try await run(network)
        #expect(report.stallCount == 1)
        #expect(report.segments[3].stallSeconds > 0)
        #expect(abs(report.stallSeconds - report.segments[3].stallSeconds) < 1e-9)
        // Upgrades never fit: base only, and none of the abandoned upgrades delayed a base.
        #expect(report.layersPerSegment == Array(repeating: 1, count: 6))
        // Play times advance by the segment durations plus the stall.
        let gaps = zip(report.segments, report.segments.dropFirst()).map { $1.playSeconds - $0.playSeconds }
        #expect(abs(gaps[2] - (1 + report.segments[3].stallSeconds)) < 1e-9)
    }

    @Test("abandons an upgrade that would arrive after its segment's play time")
    func abandonsLateUpgrade() async throws {
        let network = ScriptedNetwork(seconds: [0.05, 0.05, 0.05])
        network.slow["1/2"] = 30
        let report = try await run(network)
        let upgrade = try #require(report.segments[2].fetches.first { $0.layer == 1 })
        #expect(upgrade.outcome == .late)
        #expect(upgrade.endSeconds <= report.segments[2].playSeconds + 1e-9)
        #expect(report.layersPerSegment[2] == 1)
        #expect(report.stallCount == 0)
    }
}
