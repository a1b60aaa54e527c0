import Foundation
import Strata
import StrataBench

/// Storage of a layered stream against simulcast ladders matched at equal quality, through the
/// research harness, with a one-screen summary of the figures the product is judged on.
///
/// Arguments: `INPUT.y4m` (default: a generated 640x360 clip of 50 frames), `-o DIR` (default a
/// temporary directory), `--frames N`, `--preset P` (x264, medium), `--metric auto|vmaf|psnr_y|psnr_yuv`,
/// `--sweep`, `--no-bd-rate`.
func runLadderBenchmark(arguments: [String]) async throws {
    var input: String?, output: String?, frames: Int?
    var preset = X264Preset.medium, metric = MetricPreference.automatic
    var sweep = false, bdRate = true
    var i = 0
    while i < arguments.count {
        let value = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch arguments[i] {
        case "-o", "--output": output = value; i += 1
        case "--frames": frames = Int(value); i += 1
        case "--preset":
            guard let p = X264Preset(rawValue: value) else { print("ladder: unknown x264 preset \(value)"); return }
            preset = p; i += 1
        case "--metric":
            guard let m = MetricPreference(rawValue: value) else { print("ladder: metric is one of \(MetricPreference.allCases.map(\.rawValue).joined(separator: ", "))"); return }
            metric = m; i += 1
        case "--sweep": sweep = true
        case "--no-bd-rate": bdRate = false
        case let a where !a.hasPrefix("-") && input == nil: input = a
        default:
            print("ladder: unknown argument \(arguments[i]) (known: INPUT -o DIR --frames --preset --metric --sweep --no-bd-rate)")
            return
        }
        i += 1
    }
    let scratch = NSTemporaryDirectory() + "strata-ladder-\(getpid())"
    if input == nil {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let clip = SyntheticClip(width: 640, height: 360, frameCount: frames ?? 50, seed: 5)
        let path = scratch + "/synthetic-640x360.y4m"
        let writer = try Y4MWriter(path: path, format: clip.format)
        for n in 0..<clip.frameCount { try writer.write(clip.frame(n)) }
        try writer.finish()
        input = path
    }
    let directory = output ?? scratch + "/report"
    let options = BenchOptions(input: input!, outputDirectory: directory, x264Preset: preset, sweep: sweep, metric: metric,
                               maxFrames: frames, bdRate: bdRate)
    let start = Date()
    let report = try await BenchHarness.run(options) { p in
        if p.stage == .note || p.stage == .sweep {
            print("note: \(p.message)")
        } else {
            let line = String(format: "\r[%3.0f%%] %.1fs ", p.fraction * 100, Date().timeIntervalSince(start)) + p.message
            FileHandle.standardError.write(Data((line.count > 110 ? String(line.prefix(110)) : line.padding(toLength: 110, withPad: " ", startingAt: 0)).utf8))
        }
    }
    FileHandle.standardError.write(Data("\n".utf8))
    print(BenchReportTable.render(report))
    print("report: \(directory)/report.json, report.csv, rate-quality.svg")
}
