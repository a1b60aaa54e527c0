import ArgumentParser
import Foundation
import Strata
import StrataBench

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Research harness: storage of the layered stream against simulcast ladders at matched quality.",
        discussion: """
        Encodes INPUT with Strata, measures every operating point (kbps, PSNR-Y, SSIM, VMAF
        when an ffmpeg with libvmaf is found, decode fps), searches x264 and OpenH264
        single-layer rungs of equal quality at each operating point's resolution, and writes
        DIR/report.json, DIR/report.csv and DIR/rate-quality.svg. VMAF uses $STRATA_FFMPEG,
        else PyPI imageio-ffmpeg's binary, else an ffmpeg on PATH built with libvmaf.
        """)

    @Argument(help: "Input .y4m file, or - for standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Output directory for the report, CSV, plot and stream.")
    var output: String

    @OptionGroup var plan: PlanOptions

    @Option(help: "x264 preset of the simulcast ladder.")
    var preset: String = "medium"

    @Option(help: "x264 tuning of the simulcast ladder (film, animation, grain, stillimage, psnr, ssim, fastdecode, zerolatency); none by default. psnr gives x264 its best VMAF.")
    var tune: String?

    @Option(help: "Quality metric to match rungs on: auto, vmaf, psnr_y or psnr_yuv (Y, Cb and Cr PSNR weighted 6:1:1).")
    var metric: String = "auto"

    @Option(help: "Use only the first N frames of the input.")
    var frames: Int?

    @Option(help: "ffmpeg binary to decode x264 rungs and compute VMAF.")
    var ffmpeg: String?

    @Flag(help: "Also try several layer plans and report the one with the lowest storage ratio.")
    var sweep = false

    @Flag(help: "Skip the BD-rate sweep of the top operating point.")
    var noBdRate = false

    @Option(help: ArgumentHelp("Replay these bandwidth trace files (comma-separated) against the layered stream and the matched x264 ladder.", valueName: "traces"))
    var abr: String?

    func run() async throws {
        guard let x264Preset = X264Preset(rawValue: preset) else {
            throw ValidationError("--preset must be one of \(X264Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let x264Tune = try tune.map { name throws(ValidationError) -> X264Tune in
            guard let t = X264Tune(rawValue: name) else {
                throw ValidationError("--tune must be one of \(X264Tune.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return t
        }
        guard let preference = MetricPreference(rawValue: metric) else {
            throw ValidationError("--metric must be one of \(MetricPreference.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // Without plan flags the harness picks the default plan for the source's size. With some, the
        // rest come from that default too: the size is read from the file's header (a pipe cannot be
        // read twice, so there the default for large sources stands in).
        let chosenPlan: LayerPlan?
        if plan.isDefault {
            chosenPlan = nil
        } else if input == "-" {
            chosenPlan = try plan.plan(sourceWidth: .max / 2, sourceHeight: .max / 2)
        } else {
            let format: VideoFormat
            do { format = try Y4MFileSource(path: input).format } catch { throw StrataError.input("\(error)") }
            chosenPlan = try plan.plan(sourceWidth: format.width, sourceHeight: format.height)
        }
        let options = BenchOptions(input: input, outputDirectory: output, plan: chosenPlan, x264Preset: x264Preset, x264Tune: x264Tune,
                                   sweep: sweep, metric: preference, ffmpegPath: ffmpeg, maxFrames: frames,
                                   segmentSeconds: plan.segmentSeconds, bdRate: !noBdRate, concurrency: plan.jobs)
        let line = ProgressLine()
        let report = try await BenchHarness.run(options) { p in
            line.update(String(format: "[%3.0f%%] %@: %@", p.fraction * 100, p.stage.rawValue, p.message))
            if p.stage == .note { line.finish(); printError(p.message) }
        }
        line.finish()
        print(BenchReportTable.render(report))
        if let abr {
            try await runABR(traces: abr.split(separator: ",").map(String.init), report: report, streamDirectory: output + "/stream")
        }
        print("wrote \(output)/report.json, report.csv, rate-quality.svg")
    }
}
