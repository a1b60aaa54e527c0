import Foundation
import Strata
import StrataBench
import StrataHTTP

/// The terminal summary of a benchmark report.
enum BenchSummary {
    static func render(_ r: BenchReport) -> String {
        var lines: [String] = []
        lines.append("\(r.clip): \(r.width)x\(r.height), \(r.frames) frames at \(format(r.fps, 2)) fps; quality metric \(r.metric)")
        if let note = r.metricNote { lines.append("note: \(note)") }
        lines.append("")
        lines.append(pad("layered", 10) + pad("size", 11) + lpad("kbps", 10) + lpad("PSNR-Y", 8) + lpad("SSIM", 8) + lpad("VMAF", 7)
                     + lpad("x264 kbps", 11) + lpad("openh264 kbps", 15) + "  counted")
        for (i, p) in r.layered.operatingPoints.enumerated() {
            let x = i < r.simulcast.rungs.count ? format(r.simulcast.rungs[i].kbps, 1) : "-"
            let o = i < r.simulcastOpenH264.rungs.count ? format(r.simulcastOpenH264.rungs[i].kbps, 1) : "-"
            lines.append(pad("\(p.layers) layer" + (p.layers == 1 ? "" : "s"), 10) + pad("\(p.width)x\(p.height)", 11) + lpad(format(p.kbps, 1), 10)
                         + lpad(format(p.psnrY, 2), 8) + lpad(format(p.ssim, 4), 8) + lpad(p.vmaf.map { format($0, 2) } ?? "-", 7)
                         + lpad(x, 11) + lpad(o, 15) + "  " + (p.counted ? "yes" : "no"))
        }
        lines.append("")
        func ratio(_ v: Double?) -> String { v.map { format($0, 3) } ?? "n/a" }
        lines.append("layered total \(format(r.layered.totalKbps, 1)) kbps; x264 \(r.simulcast.preset) ladder \(format(r.simulcast.totalKbps, 1)) kbps; OpenH264 ladder \(format(r.simulcastOpenH264.totalKbps, 1)) kbps")
        lines.append("storage_ratio \(ratio(r.storageRatio)) (x264), \(ratio(r.storageRatioOpenH264)) (OpenH264); top_overhead \(ratio(r.topOverhead)) (x264), \(ratio(r.topOverheadOpenH264)) (OpenH264)")
        if !r.fairComparison { lines.append("the x264 ladder is not a fair comparison: fewer than three counted rungs 1.5x apart") }
        lines.append("encode seconds: layered \(format(r.layered.encodeSeconds, 1)), x264 ladder \(format(r.simulcast.encodeSeconds, 1)), OpenH264 ladder \(format(r.simulcastOpenH264.encodeSeconds, 1))")
        return lines.joined(separator: "\n")
    }
}

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
