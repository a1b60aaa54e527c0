import Foundation
import Strata

/// The state of one benchmark run: the source in memory, the quality meter, and every ladder
/// encode measured so far (shared by all operating points, plans of a sweep and the BD-rate
/// sweep, so no encode is ever repeated).
final class BenchRun {
    let options: BenchOptions
    let progressHandler: (@Sendable (BenchProgress) -> Void)?
    let tools: FFmpegTools
    let metric: QualityMetric
    let metricNote: String?
    let clip: String
    let format: VideoFormat
    let source: [Frame]
    let meter: QualityMeter
    let workDirectory: String
    let framesPerSegment: Int

    private var ladderSamples: [String: [LadderSample]] = [:]
    private var ladderEncodes: [String: Int] = [:]
    private var scaledSources: [String: (frames: [Frame], seconds: Double)] = [:]
    private var completed = 0
    private var total = 0

    init(options: BenchOptions, progress: (@Sendable (BenchProgress) -> Void)?) throws(BenchError) {
        self.options = options
        progressHandler = progress
        if let m = options.maxFrames, m < 1 { throw .invalidOptions("max frames must be at least 1, got \(m)") }
        guard options.segmentSeconds > 0 else { throw .invalidOptions("segment length must be positive, got \(options.segmentSeconds)") }

        // Source first: an unreadable input is the most likely mistake and needs no tools.
        let reader: Y4MReader
        do { reader = try Y4MReader(path: options.input) } catch {
            throw .unreadableInput(path: options.input, reason: "\(error)")
        }
        var frames: [Frame] = []
        do {
            while options.maxFrames.map({ frames.count < $0 }) ?? true, let frame = try reader.read() { frames.append(frame) }
        } catch {
            throw .unreadableInput(path: options.input, reason: "\(error)")
        }
        guard !frames.isEmpty else { throw .emptyInput(path: options.input) }
        source = frames
        format = reader.format
        clip = options.input == "-" ? "stdin" : URL(fileURLWithPath: options.input).deletingPathExtension().lastPathComponent
        framesPerSegment = max(1, Int((options.segmentSeconds * format.frameRate.framesPerSecond).rounded()))

        tools = FFmpegTools.locate(explicitPath: options.ffmpegPath)
        switch options.metric {
        case .psnrY:
            metric = .psnrY
            metricNote = "PSNR-Y chosen by the options; VMAF not measured"
        case .psnrYUV:
            metric = .psnrYUV
            metricNote = "PSNR-YUV (Y, Cb, Cr weighted 6:1:1) chosen by the options; VMAF not measured"
        case .vmaf:
            guard tools.vmaf != nil else {
                throw .missingTool(name: "ffmpeg with libvmaf", detail: "VMAF was asked for; tried: "
                                   + (tools.searched.isEmpty ? "no ffmpeg found" : tools.searched.joined(separator: "; ")))
            }
            metric = .vmaf
            metricNote = nil
        case .automatic:
            if tools.vmaf != nil {
                metric = .vmaf
                metricNote = nil
            } else {
                metric = .psnrY
                metricNote = "VMAF unavailable (no ffmpeg with libvmaf found; tried: "
                    + (tools.searched.isEmpty ? "none" : tools.searched.joined(separator: "; "))
                    + "); ladders are matched on PSNR-Y. Install PyPI imageio-ffmpeg or set STRATA_FFMPEG."
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: options.outputDirectory, reason: error.localizedDescription)
        }
        // Scratch files (the source and the pictures VMAF reads, rung streams) live inside the output
        // directory, so a run killed before it could clean up leaves them where the next run into
        // the same directory removes them.
        workDirectory = options.outputDirectory + "/.bench-work"
        try? FileManager.default.removeItem(atPath: workDirectory)
        do { try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true) } catch {
            throw .writeFailed(path: workDirectory, reason: error.localizedDescription)
        }
        meter = QualityMeter(source: frames, format: format, vmafTool: metric == .vmaf ? tools.vmaf : nil, workDirectory: workDirectory)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: workDirectory) }

    // MARK: Progress

    private func notify(_ stage: BenchStage, _ message: String, advance: Int = 0) {
        completed += advance
        total = max(total, completed)
        progressHandler?(BenchProgress(stage: stage, message: message, completed: completed, total: total))
    }

    private func fixed(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }

    private var durationSeconds: Double { Double(source.count) / format.frameRate.framesPerSecond }

    // MARK: Ladders

    private func scaledSource(width: Int, height: Int) throws(BenchError) -> (frames: [Frame], seconds: Double) {
        let key = "\(width)x\(height)"
        if let s = scaledSources[key] { return s }
        if width == format.width && height == format.height { return (source, 0) }
        let start = Date()
        let scaler: Scaler
        // Lanczos, as the layered encoder uses for its lower layers: both sides start from the same
        // kind of downscaled picture (the measuring upscaler stays bicubic).
        do { scaler = try Scaler(from: format.width, format.height, to: width, height, filter: .lanczos) } catch {
            throw .invalidOptions("cannot scale the source to \(width)x\(height): \(error)")
        }
        let frames = source.map { scaler.scale($0) }
        let result = (frames, Date().timeIntervalSince(start))
        scaledSources[key] = result
        return result
    }

    private func sampleKey(_ encoder: LadderEncoder, _ width: Int, _ height: Int) -> String { "\(encoder.label) \(width)x\(height)" }

    /// The rung of `encoder` at `width x height` whose quality matches `target`.
    func matchRung(_ encoder: LadderEncoder, width: Int, height: Int, target: Double, stage: BenchStage) throws -> MatchedRung {
        let key = sampleKey(encoder, width, height)
        let limits = encoder.searchLimits
        let settings = RungSearch.Settings(target: target, metric: metric, tolerance: metric.matchTolerance, range: limits.range,
                                           granularity: limits.granularity, start: limits.start, step: limits.step)
        let scaled = try scaledSource(width: width, height: height)
        let rung = try RungSearch.match(settings, known: ladderSamples[key] ?? []) { parameter in
            let (bytes, seconds, decoded) = try encoder.encodeAndDecode(
                frames: scaled.frames, format: format, parameter: parameter, keyframeInterval: framesPerSegment,
                ffmpeg: tools.decoder, workDirectory: workDirectory)
            let label = "\(encoder.name) \(encoder.parameterName) \(parameter) at \(width)x\(height)"
            let score = try meter.measure(label: label, frames: decoded)
            let sample = LadderSample(parameter: parameter, kbps: Double(bytes) * 8 / durationSeconds / 1000, score: score,
                                      encodeSeconds: seconds + scaled.seconds)
            ladderSamples[key, default: []].append(sample)
            ladderEncodes[encoder.name, default: 0] += 1
            notify(stage, "\(label): \(fixed(sample.kbps, 0)) kbps, \(metric.rawValue) \(fixed(score.value(metric))) (target \(fixed(target)))")
            return sample
        }
        return rung
    }

    private func ladderSummary(_ encoder: LadderEncoder, rungs: [MatchedRung], sizes: [(Int, Int)], seconds: Double) -> LadderSummary {
        let flags = BenchHarness.countedRungs(kbps: rungs.map(\.kbps))
        let results = zip(rungs, sizes).enumerated().map { i, pair in
            let target = pair.0.score.value(metric) - pair.0.qualityError
            let atTarget = RungSearch.rateAtQuality(target, samples: ladderSamples[sampleKey(encoder, pair.1.0, pair.1.1)] ?? [],
                                                    metric: metric)
            return RungResult(width: pair.1.0, height: pair.1.1, kbps: pair.0.kbps, psnrY: pair.0.score.psnrY, ssim: pair.0.score.ssim,
                              vmaf: pair.0.score.vmaf, parameterName: encoder.parameterName, parameter: pair.0.parameter,
                              matchedBy: pair.0.method, qualityError: pair.0.qualityError, encodeSeconds: pair.0.encodeSeconds,
                              counted: flags[i], kbpsAtTarget: pair.0.method == .bound ? nil : atTarget,
                              psnrCb: pair.0.score.psnrCb, psnrCr: pair.0.score.psnrCr)
        }
        var samples: [SampleResult] = []
        for (w, h) in sizes {
            for s in (ladderSamples[sampleKey(encoder, w, h)] ?? []).sorted(by: { $0.parameter < $1.parameter })
            where !samples.contains(where: { $0.width == w && $0.height == h && $0.parameter == s.parameter }) {
                samples.append(SampleResult(width: w, height: h, parameter: s.parameter, kbps: s.kbps, psnrY: s.score.psnrY,
                                            ssim: s.score.ssim, vmaf: s.score.vmaf, psnrCb: s.score.psnrCb, psnrCr: s.score.psnrCr))
            }
        }
        let atTarget = results.filter(\.counted).map(\.kbpsAtTarget)
        return LadderSummary(encoder: encoder.name, preset: encoder.presetName, tune: encoder.tuneName,
                             encodeSeconds: results.reduce(0) { $0 + $1.encodeSeconds }, rungs: results,
                             totalKbps: results.filter(\.counted).reduce(0) { $0 + $1.kbps }, samples: samples,
                             searchEncodes: ladderEncodes[encoder.name] ?? 0, searchSeconds: seconds,
                             totalKbpsAtTarget: atTarget.contains(nil) ? nil : atTarget.reduce(0) { $0 + $1! })
    }

    // MARK: One plan

    private func emptyLadder(_ encoder: LadderEncoder) -> LadderSummary {
        LadderSummary(encoder: encoder.name, preset: encoder.presetName, tune: encoder.tuneName, encodeSeconds: 0, rungs: [], totalKbps: 0,
                      samples: [], searchEncodes: 0, searchSeconds: 0)
    }

    /// Encodes and measures one plan against both ladders, writing the report into `directory`
    /// after every step. Returns the report and the layered points (for the BD-rate step).
    func benchmarkPlan(_ plan: LayerPlan, directory: String) async throws -> BenchReport {
        do { try plan.validate(sourceWidth: format.width, sourceHeight: format.height) } catch {
            throw BenchError.invalidOptions("\(error)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let x264 = LadderEncoder.x264(options.x264Preset, tune: options.x264Tune), openH264 = LadderEncoder.openH264(temporalLayers: plan.temporalLayers)
        var report = BenchReport(
            clip: clip, width: format.width, height: format.height, frames: source.count, fps: format.frameRate.framesPerSecond,
            metric: metric, metricNote: metricNote, status: "partial", plan: plan,
            layered: LayeredSummary(totalKbps: 0, encodeSeconds: 0, operatingPoints: []),
            simulcast: emptyLadder(x264), simulcastOpenH264: emptyLadder(openH264),
            storageRatio: nil, storageRatioOpenH264: nil, topOverhead: nil, topOverheadOpenH264: nil,
            fairComparison: false, fairComparisonOpenH264: false,
            encodeTime: EncodeTimeSummary(layeredSeconds: 0, simulcastSeconds: 0, simulcastOpenH264Seconds: 0, simulcastOverLayered: nil),
            bdRate: nil, tools: ToolSummary(ffmpeg: tools.decoder, vmaf: metric == .vmaf ? tools.vmaf : nil))
        let layerCount = plan.layerCount
        total += 1 + 3 * layerCount

        // Layered stream.
        let streamDirectory = directory + "/stream"
        let frameCount = source.count
        let handler = progressHandler, done = completed, sum = total
        notify(.layeredEncode, "encoding \(BenchHarness.planName(plan)) into \(streamDirectory)")
        let (manifest, encodeSeconds) = try await LayeredSide.encode(
            frames: source, format: format, clip: clip, plan: plan, segmentSeconds: options.segmentSeconds,
            concurrency: options.concurrency, output: streamDirectory) { framesDone in
            handler?(BenchProgress(stage: .layeredEncode, message: "layered encode: \(framesDone)/\(frameCount) frames",
                                   completed: done, total: sum))
        }
        notify(.layeredEncode, "layered encode took \(fixed(encodeSeconds)) s", advance: 1)
        report.layered.encodeSeconds = encodeSeconds
        report.layered.totalKbps = LayeredSide.kbps(manifest, layers: manifest.layers.count)
        report.layered.containerKbps = try await LayeredSide.containerKbps(directory: streamDirectory)
        report.encodeTime.layeredSeconds = encodeSeconds
        try ReportFiles.writeJSON(report, directory: directory)

        var points: [LayeredSide.Point] = []
        for layers in 1...manifest.layers.count {
            let point = try await LayeredSide.measure(directory: streamDirectory, layers: layers, meter: meter)
            points.append(point)
            report.layered.operatingPoints.append(OperatingPointResult(
                layers: layers, width: point.width, height: point.height, kbps: point.kbps, psnrY: point.score.psnrY,
                ssim: point.score.ssim, vmaf: point.score.vmaf, decodeFps: point.decodeFps, counted: false, countedOpenH264: false,
                psnrCb: point.score.psnrCb, psnrCr: point.score.psnrCr))
            notify(.layeredDecode, "L0-L\(layers - 1) (\(point.width)x\(point.height)): \(fixed(point.kbps, 0)) kbps, "
                   + "\(metric.rawValue) \(fixed(point.score.value(metric))), \(fixed(point.decodeFps, 0)) fps decode", advance: 1)
            try ReportFiles.writeJSON(report, directory: directory)
        }

        // Ladders, one rung per operating point, matched on the metric.
        let sizes = points.map { ($0.width, $0.height) }
        for (encoder, stage) in [(x264, BenchStage.x264Ladder), (openH264, .openH264Ladder)] {
            var rungs: [MatchedRung] = []
            let start = Date()
            for point in points {
                let rung = try matchRung(encoder, width: point.width, height: point.height, target: point.score.value(metric), stage: stage)
                rungs.append(rung)
                notify(stage, "\(encoder.name) rung \(point.width)x\(point.height): \(fixed(rung.kbps, 0)) kbps (\(rung.method.rawValue))",
                       advance: 1)
                let summary = ladderSummary(encoder, rungs: rungs, sizes: Array(sizes.prefix(rungs.count)),
                                            seconds: Date().timeIntervalSince(start))
                if case .x264 = encoder { report.simulcast = summary } else { report.simulcastOpenH264 = summary }
                try ReportFiles.writeJSON(report, directory: directory)
            }
        }
        finish(&report)
        try ReportFiles.writeAll(report, directory: directory)
        return report
    }

    /// Fills the ratios, counted flags and times from the ladders.
    private func finish(_ report: inout BenchReport) {
        let total = report.layered.totalKbps
        let x = report.simulcast, o = report.simulcastOpenH264
        for i in report.layered.operatingPoints.indices {
            report.layered.operatingPoints[i].counted = i < x.rungs.count && x.rungs[i].counted
            report.layered.operatingPoints[i].countedOpenH264 = i < o.rungs.count && o.rungs[i].counted
        }
        report.storageRatio = x.totalKbps > 0 ? total / x.totalKbps : nil
        report.storageRatioOpenH264 = o.totalKbps > 0 ? total / o.totalKbps : nil
        report.storageRatioAtEqualQuality = x.totalKbpsAtTarget.flatMap { $0 > 0 ? total / $0 : nil }
        report.storageRatioAtEqualQualityOpenH264 = o.totalKbpsAtTarget.flatMap { $0 > 0 ? total / $0 : nil }
        report.topOverhead = x.rungs.last.map { total / $0.kbps - 1 }
        report.topOverheadOpenH264 = o.rungs.last.map { total / $0.kbps - 1 }
        report.fairComparison = x.rungs.filter(\.counted).count >= 3
        report.fairComparisonOpenH264 = o.rungs.filter(\.counted).count >= 3
        report.encodeTime.simulcastSeconds = x.encodeSeconds
        report.encodeTime.simulcastOpenH264Seconds = o.encodeSeconds
        report.encodeTime.simulcastOverLayered = report.encodeTime.layeredSeconds > 0 ? x.encodeSeconds / report.encodeTime.layeredSeconds : nil
        report.status = "complete"
    }

    // MARK: BD-rate

    /// Top-layer QP offsets of the BD-rate sweep (0 is the plan itself).
    static let bdOffsets = [-6, -3, 0, 3]

    /// The top operating point at four top-layer QPs against x264 at the top size, each x264
    /// point matched to one layered point's quality.
    func bdRate(plan: LayerPlan, main: BenchReport, directory: String) async throws -> BDRateSummary {
        guard let top = main.layered.operatingPoints.last, let topLayer = plan.enhancementLayers.last else {
            throw BenchError.invalidOptions("the BD-rate sweep needs at least one enhancement layer")
        }
        let x264 = LadderEncoder.x264(options.x264Preset, tune: options.x264Tune)
        total += 2 * BenchRun.bdOffsets.count
        var layeredPoints: [RatePoint] = [], qps: [Int] = [], anchorPoints: [RatePoint] = []
        for offset in BenchRun.bdOffsets {
            let qp = min(51, max(0, topLayer.qp + offset))
            guard !qps.contains(qp) else { notify(.bdRate, "top QP \(qp) already measured", advance: 2); continue }
            let quality: Double, kbps: Double
            // A rate-controlled top layer was not coded at its QP: every point is then its own encode.
            if qp == topLayer.qp && topLayer.target == nil {
                quality = top.score.value(metric)
                kbps = main.layered.totalKbps
                notify(.bdRate, "top QP \(qp): from the main encode", advance: 1)
            } else {
                var variant = plan
                variant.enhancementLayers[variant.enhancementLayers.count - 1].qp = qp
                variant.enhancementLayers[variant.enhancementLayers.count - 1].target = nil
                let output = workDirectory + "/bd-\(qp)"
                let (manifest, _) = try await LayeredSide.encode(frames: source, format: format, clip: clip, plan: variant,
                                                                 segmentSeconds: options.segmentSeconds, concurrency: options.concurrency,
                                                                 output: output, progress: nil)
                let point = try await LayeredSide.measure(directory: output, layers: manifest.layers.count, meter: meter)
                try? FileManager.default.removeItem(atPath: output)
                quality = point.score.value(metric)
                kbps = point.kbps
                notify(.bdRate, "top QP \(qp): \(fixed(kbps, 0)) kbps, \(metric.rawValue) \(fixed(quality))", advance: 1)
            }
            layeredPoints.append(RatePoint(kbps: kbps, quality: quality))
            qps.append(qp)
            let rung = try matchRung(x264, width: top.width, height: top.height, target: quality, stage: .bdRate)
            anchorPoints.append(RatePoint(kbps: rung.kbps, quality: rung.score.value(metric)))
            notify(.bdRate, "x264 at the same quality: \(fixed(rung.kbps, 0)) kbps", advance: 1)
        }
        return BDRateSummary(anchor: LadderEncoder.x264(options.x264Preset, tune: options.x264Tune).label, width: top.width, height: top.height, interpolation: "pchip",
                             percent: BjontegaardDelta.rate(anchor: anchorPoints, test: layeredPoints),
                             overlap: BjontegaardDelta.overlap(anchor: anchorPoints, test: layeredPoints),
                             layeredPoints: layeredPoints, layeredTopQPs: qps, anchorPoints: anchorPoints)
    }

    // MARK: The whole run

    func execute() async throws(BenchError) -> BenchReport {
        do {
            return try await executeSteps()
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError.writeFailed(path: options.outputDirectory, reason: "\(error)")
        }
    }

    private func executeSteps() async throws -> BenchReport {
        if let note = metricNote, options.metric == .automatic { notify(.note, note) }
        if metric == .vmaf && options.x264Tune == nil {
            // Said once: the reference is x264 as it ships, which is not x264 at its best in VMAF.
            notify(.note, "x264 ladder untuned: its adaptive quantization and psychovisual optimizations cost it VMAF "
                   + "(4-18% of its rate on the clips in Docs/experiments.md); --tune psnr matches against x264 at its best VMAF")
        }
        notify(.reading, "\(clip): \(format.width)x\(format.height), \(source.count) frames at \(format.frameRate) fps", advance: 1)
        let plan = options.plan ?? .standard(sourceWidth: format.width, sourceHeight: format.height)
        var main = try await benchmarkPlan(plan, directory: options.outputDirectory)
        if options.bdRate && !plan.enhancementLayers.isEmpty {
            main.bdRate = try await bdRate(plan: plan, main: main, directory: options.outputDirectory)
            notify(.writing, "writing \(options.outputDirectory)/\(ReportFiles.reportName)")
            try ReportFiles.writeAll(main, directory: options.outputDirectory)
        }
        if options.sweep {
            try await runSweep(main: main, plan: plan)
            // The sweep's reports list every encode; the main report keeps its own.
        }
        notify(.writing, "done", advance: 1)
        return main
    }

    private func sweepEntry(_ r: BenchReport) -> SweepEntry {
        let top = r.layered.operatingPoints.last
        return SweepEntry(name: BenchHarness.planName(r.plan), plan: r.plan, totalKbps: r.layered.totalKbps,
                          topQuality: top.map { $0.score.value(metric) } ?? 0,
                          storageRatio: r.storageRatio, storageRatioOpenH264: r.storageRatioOpenH264, topOverhead: r.topOverhead,
                          topOverheadOpenH264: r.topOverheadOpenH264, fairComparison: r.fairComparison)
    }

    private func runSweep(main: BenchReport, plan: LayerPlan) async throws {
        let plans = options.sweepPlans.isEmpty ? BenchHarness.defaultSweepPlans(around: plan) : options.sweepPlans
        var summary = SweepSummary(metric: metric, entries: [sweepEntry(main)], best: nil)
        for candidate in plans where candidate != plan {
            let name = BenchHarness.planName(candidate)
            notify(.sweep, "plan \(name)")
            do {
                try candidate.validate(sourceWidth: format.width, sourceHeight: format.height)
            } catch {
                notify(.sweep, "plan \(name) skipped: \(error)")
                continue
            }
            let r = try await benchmarkPlan(candidate, directory: options.outputDirectory + "/sweep/" + name)
            summary.entries.append(sweepEntry(r))
            summary.best = Self.bestPlan(summary.entries)
            var data = try ReportFiles.json(summary)
            data.append(0x0A)
            try ReportFiles.writeAtomically(data, to: options.outputDirectory + "/sweep.json")
        }
        summary.best = Self.bestPlan(summary.entries)
        var data = try ReportFiles.json(summary)
        data.append(0x0A)
        try ReportFiles.writeAtomically(data, to: options.outputDirectory + "/sweep.json")
        if let best = summary.best { notify(.sweep, "lowest storage ratio: \(best)") }
    }

    static func bestPlan(_ entries: [SweepEntry]) -> String? {
        let fair = entries.filter { $0.fairComparison && $0.storageRatio != nil }
        let pool = fair.isEmpty ? entries.filter { $0.storageRatio != nil } : fair
        return pool.min { $0.storageRatio! < $1.storageRatio! }?.name
    }
}
