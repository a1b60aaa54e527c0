import Foundation
import Strata
import StrataBench
import StrataHTTP

/// Replays bandwidth traces against the benchmark's layered stream and its matched x264 ladder.
func runABR(traces paths: [String], report: BenchReport, streamDirectory: String) async throws {
    let traces = try paths.map { try BandwidthTrace(contentsOfFile: $0) }
    let reader = try await StreamReader(directory: streamDirectory)
    let manifest = reader.manifest
    let quality = report.layered.operatingPoints.map { $0.vmaf ?? $0.psnrY }
    let layered = LayeredProfile(manifest: manifest, name: "layered", quality: quality)
    let durations = manifest.segments.indices.map { manifest.segmentDuration($0) }
    // The ladder's rungs are single encodes; each segment's share is its duration at the rung's rate.
    let rungs = report.simulcast.rungs.map { rung in
        SimulcastProfile.Rung(kbps: rung.kbps, segmentBytes: durations.map { Int(rung.kbps * 1000 / 8 * $0) },
                              quality: rung.vmaf ?? rung.psnrY)
    }
    let simulcast = SimulcastProfile(name: "x264 ladder", segmentSeconds: durations, rungs: rungs)
    let comparisons = try await ABRSimulation.run(layered: layered, simulcast: simulcast, traces: traces)
    print("")
    print(ABRSimulation.table(comparisons))
}
