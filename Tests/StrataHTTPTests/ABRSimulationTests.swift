import Testing
@testable import StrataHTTP

/// A layered stream and a simulcast ladder of the same qualities: 30 segments of 2 s; the
/// layered operating points at 500, 1200 and 2400 kbit/s in total, the ladder's rungs at 500,
/// 1100 and 2100 kbit/s (layering costs about 15% over the top rung).
private func profiles() -> (LayeredProfile, SimulcastProfile) {
    let seconds = Array(repeating: 2.0, count: 30)
    func bytes(_ kbps: Double) -> [Int] { Array(repeating: Int(kbps * 250), count: 30) }
    let layered = LayeredProfile(name: "layered", layout: StreamLayout(segmentSeconds: seconds, fragmentBytes: [bytes(500), bytes(700), bytes(1200)]),
                                 quality: [80, 88, 94])
    let ladder = SimulcastProfile(name: "simulcast", segmentSeconds: seconds, rungs: [
        .init(kbps: 500, segmentBytes: bytes(500), quality: 80),
        .init(kbps: 1100, segmentBytes: bytes(1100), quality: 88),
        .init(kbps: 2100, segmentBytes: bytes(2100), quality: 94),
    ])
    return (layered, ladder)
}

@Suite("ABR simulation")
struct ABRSimulationTests {
    @Test("a fast steady link plays the top quality on both sides")
    func steady() async throws {
        let (layered, ladder) = profiles()
        let result = try await ABRSimulation.run(layered: layered, simulcast: ladder, traces: [.constant(kbps: 6000)])
        let r = try #require(result.first)
        #expect(r.layered.stallCount == 0 && r.simulcast.stallCount == 0)
        #expect(r.layered.meanOperatingPoint > 2.9)
        #expect(r.simulcast.meanOperatingPoint > 2.8)
        #expect(r.layered.meanQuality! > 93.5)
        // Startup on a fast link is one base fragment plus the first segment's upgrades.
        #expect(r.layered.startupDelaySeconds < 1.0)
    }

    @Test("a link just above the base keeps the layered client on the base without stalls")
    func justAboveBase() async throws {
        let (layered, ladder) = profiles()
        let result = try await ABRSimulation.run(layered: layered, simulcast: ladder, traces: [.constant(kbps: 600)])
        let r = try #require(result.first)
        #expect(r.layered.stallCount == 0)
        #expect(r.layered.meanOperatingPoint < 1.2)
        #expect(r.simulcast.meanOperatingPoint == 1)
    }

    @Test("after a step down the layered client drops layers instead of stalling")
    func stepDown() async throws {
        let (layered, ladder) = profiles()
        let trace = try BandwidthTrace(name: "down", parsing: "0 4000\n20 700\n")
        let r = try #require(try await ABRSimulation.run(layered: layered, simulcast: ladder, traces: [trace]).first)
        #expect(r.layered.stallSeconds == 0)
        // Before the drop the top layer plays (after a base-only start); well after it, the base.
        #expect(r.layered.layersPerSegment[2..<10].allSatisfy { $0 == 3 })
        #expect(r.layered.layersPerSegment.suffix(8).allSatisfy { $0 == 1 })
        // The simulcast client had a top-rung segment in flight at the drop and stalls.
        #expect(r.simulcast.stallSeconds > r.layered.stallSeconds)
    }

    @Test("after a step up the layered client upgrades segments it has already buffered")
    func stepUp() async throws {
        let (layered, _) = profiles()
        let trace = try BandwidthTrace(name: "up", parsing: "0 700\n20 6000\n")
        let report = try await ABRSimulation.playLayered(layered, trace: trace, options: SimulationOptions())
        #expect(report.stallCount == 0)
        // Some segment whose base arrived before the step was upgraded after it.
        let upgraded = report.segments.contains { seg in
            guard let base = seg.arrivalSeconds[0], base < 20 else { return false }
            return seg.builtLayers == 3 && seg.fetches.contains { $0.layer > 0 && $0.startSeconds >= 20 }
        }
        #expect(upgraded)
        #expect(report.layersPerSegment.suffix(5).allSatisfy { $0 == 3 })
    }

    @Test("the same inputs give the same report")
    func deterministic() async throws {
        let (layered, ladder) = profiles()
        let trace = try BandwidthTrace(name: "m", parsing: "0 2000\n3 400\n7 5000\n12 0\n13 1500\n")
        let a = try await ABRSimulation.run(layered: layered, simulcast: ladder, traces: [trace])
        let b = try await ABRSimulation.run(layered: layered, simulcast: ladder, traces: [trace])
        #expect(a == b)
    }
}
