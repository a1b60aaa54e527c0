import Strata

/// `DIR/report.json` of `strata bench`: the keys of the product contract's "Benchmark report",
/// plus the detail a reader needs to trust them (how each rung was matched, every encode the
/// searches ran, tool paths). Numbers not yet measured in a partial report are `null`.
public struct BenchReport: Sendable, Codable {
    /// Name of the input clip (file name without extension).
    public var clip: String
    /// Source width in luma samples.
    public var width: Int
    /// Source height in luma rows.
    public var height: Int
    /// Frames measured.
    public var frames: Int
    /// Frames per second of the source.
    public var fps: Double
    /// The metric ladders were matched on.
    public var metric: QualityMetric
    /// Why the metric is not VMAF, when it is not; nil otherwise.
    public var metricNote: String?
    /// `partial` while the run is under way (or after it was interrupted), `complete` at the end.
    public var status: String
    /// The layer plan of the layered stream.
    public var plan: LayerPlan
    /// The layered stream and its operating points.
    public var layered: LayeredSummary
    /// The x264 simulcast ladder matched to the operating points.
    public var simulcast: LadderSummary
    /// The OpenH264 single-layer simulcast ladder matched to the operating points.
    public var simulcastOpenH264: LadderSummary
    /// Layered total kbps over the x264 ladder's total (counted rungs); lower is better.
    public var storageRatio: Double?
    /// Layered total kbps over the OpenH264 ladder's total (counted rungs).
    public var storageRatioOpenH264: Double?
    /// ``storageRatio`` with every counted rung's rate taken at exactly the operating point's quality
    /// (``LadderSummary/totalKbpsAtTarget``): the same comparison without the matching tolerance's noise.
    public var storageRatioAtEqualQuality: Double? = nil
    /// The same against the OpenH264 ladder.
    public var storageRatioAtEqualQualityOpenH264: Double? = nil
    /// Layered total kbps over the top x264 rung's kbps, minus 1: the cost of layering.
    public var topOverhead: Double?
    /// Layered total kbps over the top OpenH264 rung's kbps, minus 1.
    public var topOverheadOpenH264: Double?
    /// True when at least three operating points were counted against the x264 ladder.
    public var fairComparison: Bool
    /// True when at least three operating points were counted against the OpenH264 ladder.
    public var fairComparisonOpenH264: Bool
    /// Encode times measured in this run.
    public var encodeTime: EncodeTimeSummary
    /// BD-rate of the top operating point against x264 at the same size; nil when not run.
    public var bdRate: BDRateSummary?
    /// The ffmpeg binaries used.
    public var tools: ToolSummary

    enum CodingKeys: String, CodingKey {
        case clip, width, height, frames, fps, metric, status, plan, layered, simulcast, tools
        case metricNote = "metric_note"
        case simulcastOpenH264 = "simulcast_openh264"
        case storageRatio = "storage_ratio"
        case storageRatioOpenH264 = "storage_ratio_openh264"
        case storageRatioAtEqualQuality = "storage_ratio_at_equal_quality"
        case storageRatioAtEqualQualityOpenH264 = "storage_ratio_at_equal_quality_openh264"
        case topOverhead = "top_overhead"
        case topOverheadOpenH264 = "top_overhead_openh264"
        case fairComparison = "fair_comparison"
        case fairComparisonOpenH264 = "fair_comparison_openh264"
        case encodeTime = "encode_time"
        case bdRate = "bd_rate"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clip, forKey: .clip)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(frames, forKey: .frames)
        try c.encode(fps, forKey: .fps)
        try c.encode(metric, forKey: .metric)
        try c.encode(metricNote, forKey: .metricNote)
        try c.encode(status, forKey: .status)
        try c.encode(plan, forKey: .plan)
        try c.encode(layered, forKey: .layered)
        try c.encode(simulcast, forKey: .simulcast)
        try c.encode(simulcastOpenH264, forKey: .simulcastOpenH264)
        try c.encode(storageRatio, forKey: .storageRatio)
        try c.encode(storageRatioOpenH264, forKey: .storageRatioOpenH264)
        try c.encode(storageRatioAtEqualQuality, forKey: .storageRatioAtEqualQuality)
        try c.encode(storageRatioAtEqualQualityOpenH264, forKey: .storageRatioAtEqualQualityOpenH264)
        try c.encode(topOverhead, forKey: .topOverhead)
        try c.encode(topOverheadOpenH264, forKey: .topOverheadOpenH264)
        try c.encode(fairComparison, forKey: .fairComparison)
        try c.encode(fairComparisonOpenH264, forKey: .fairComparisonOpenH264)
        try c.encode(encodeTime, forKey: .encodeTime)
        try c.encode(bdRate, forKey: .bdRate)
        try c.encode(tools, forKey: .tools)
    }
}

/// The layered stream's side of the report.
public struct LayeredSummary: Sendable, Codable {
    /// Bitrate of all layers together (the stored stream), kbit/s.
    public var totalKbps: Double
    /// Wall time of the layered encode, seconds.
    public var encodeSeconds: Double
    /// Every operating point at the full frame rate, base first.
    public var operatingPoints: [OperatingPointResult]
    /// Of ``totalKbps``, what is not coded pictures: the init segments and, in each fragment, the boxes
    /// around its samples (`styp`, `moof`, the `mdat` header). The ladders are counted as elementary
    /// streams, without any. Nil in reports written before it was measured.
    public var containerKbps: Double?

    public init(totalKbps: Double, encodeSeconds: Double, operatingPoints: [OperatingPointResult], containerKbps: Double? = nil) {
        self.totalKbps = totalKbps
        self.encodeSeconds = encodeSeconds
        self.operatingPoints = operatingPoints
        self.containerKbps = containerKbps
    }

    enum CodingKeys: String, CodingKey {
        case totalKbps = "total_kbps"
        case encodeSeconds = "encode_seconds"
        case operatingPoints = "operating_points"
        case containerKbps = "container_kbps"
    }
}

/// A result that carries a clip's measured quality: PSNR-Y, SSIM, VMAF and the chroma PSNRs.
public protocol MeasuredQuality {
    /// Luma PSNR against the source at the source resolution, dB.
    var psnrY: Double { get }
    /// Mean luma SSIM.
    var ssim: Double { get }
    /// Pooled VMAF, nil when not measured.
    var vmaf: Double? { get }
    /// Cb PSNR, dB, nil when not measured.
    var psnrCb: Double? { get }
    /// Cr PSNR, dB, nil when not measured.
    var psnrCr: Double? { get }
}

extension MeasuredQuality {
    /// The measured quality as a score (for a metric's value).
    public var score: QualityScore { QualityScore(psnrY: psnrY, ssim: ssim, vmaf: vmaf, psnrCb: psnrCb, psnrCr: psnrCr) }
}

/// One operating point of the layered stream (layers 1...k at the full frame rate).
public struct OperatingPointResult: Sendable, Codable, MeasuredQuality {
    /// Layers decoded, base included.
    public var layers: Int
    /// Picture width of the operating point.
    public var width: Int
    /// Picture height of the operating point.
    public var height: Int
    /// Bitrate of the fragments of layers 0...layers-1, kbit/s.
    public var kbps: Double
    /// Luma PSNR against the source at the source resolution, dB.
    public var psnrY: Double
    /// Mean luma SSIM against the source.
    public var ssim: Double
    /// Pooled VMAF, nil when VMAF was not measured.
    public var vmaf: Double?
    /// Frames per second the layered decoder built this operating point at (fragments in memory).
    public var decodeFps: Double
    /// Counted in the x264 comparison (its matched rung is at least 1.5x the rate of the counted rung below).
    public var counted: Bool
    /// Counted in the OpenH264 comparison.
    public var countedOpenH264: Bool

    /// Cb and Cr PSNR against the source at the source resolution, dB (nil when not measured).
    public var psnrCb: Double? = nil, psnrCr: Double? = nil

    enum CodingKeys: String, CodingKey {
        case layers, width, height, kbps, ssim, vmaf, counted
        case psnrY = "psnr_y"
        case psnrCb = "psnr_cb"
        case psnrCr = "psnr_cr"
        case decodeFps = "decode_fps"
        case countedOpenH264 = "counted_openh264"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers, forKey: .layers)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(kbps, forKey: .kbps)
        try c.encode(psnrY, forKey: .psnrY)
        try c.encode(ssim, forKey: .ssim)
        try c.encode(vmaf, forKey: .vmaf)
        try c.encode(psnrCb, forKey: .psnrCb)
        try c.encode(psnrCr, forKey: .psnrCr)
        try c.encode(decodeFps, forKey: .decodeFps)
        try c.encode(counted, forKey: .counted)
        try c.encode(countedOpenH264, forKey: .countedOpenH264)
    }
}

/// One simulcast ladder: the matched rungs and every encode the searches ran.
public struct LadderSummary: Sendable, Codable {
    /// `x264` or `openh264`.
    public var encoder: String
    /// The encoder's speed setting (x264 preset; OpenH264's complexity mode).
    public var preset: String
    /// x264's tuning (`psnr`, `film`, ...); absent when none was asked for.
    public var tune: String? = nil
    /// Sum of the matched rungs' encode times, seconds (the cost of encoding the ladder once).
    public var encodeSeconds: Double
    /// One rung per operating point, same order.
    public var rungs: [RungResult]
    /// Sum of the counted rungs' kbps.
    public var totalKbps: Double
    /// Every encode measured while searching, by size then parameter.
    public var samples: [SampleResult]
    /// Encodes run for this ladder in this run (cache hits excluded), and their total seconds.
    public var searchEncodes: Int
    /// Wall time spent searching (encodes, decodes and measurements), seconds.
    public var searchSeconds: Double
    /// Sum of the counted rungs' ``RungResult/kbpsAtTarget``; nil when one of them has none.
    public var totalKbpsAtTarget: Double? = nil

    /// The preset and the tuning in words: `medium`, or `medium, tune psnr`.
    public var settings: String { preset + (tune.map { ", tune \($0)" } ?? "") }

    enum CodingKeys: String, CodingKey {
        case encoder, preset, tune, rungs, samples
        case totalKbpsAtTarget = "total_kbps_at_target"
        case encodeSeconds = "encode_seconds"
        case totalKbps = "total_kbps"
        case searchEncodes = "search_encodes"
        case searchSeconds = "search_seconds"
    }
}

/// One matched rung of a simulcast ladder.
public struct RungResult: Sendable, Codable, MeasuredQuality {
    /// Picture width of the rung (the operating point's).
    public var width: Int
    /// Picture height of the rung.
    public var height: Int
    /// Bitrate, kbit/s.
    public var kbps: Double
    /// Luma PSNR against the source at the source resolution, dB.
    public var psnrY: Double
    /// Mean luma SSIM.
    public var ssim: Double
    /// Pooled VMAF, nil when not measured.
    public var vmaf: Double?
    /// `crf` (x264) or `qp` (OpenH264).
    public var parameterName: String
    /// The CRF or QP of the rung (interpolated when `matched_by` is `interpolation`).
    public var parameter: Double
    /// `search`, `interpolation` or `bound` (see ``MatchMethod``).
    public var matchedBy: MatchMethod
    /// Rung quality minus the operating point's, in the report's metric.
    public var qualityError: Double
    /// Encode time of the rung, seconds.
    public var encodeSeconds: Double
    /// Counted in this ladder's total (1.5x spacing rule).
    public var counted: Bool
    /// The rate at exactly the operating point's quality: interpolated, linearly in the logarithm of
    /// the rate, between the two encodes of this size that bracket it (``RungSearch/rateAtQuality``);
    /// nil when none do. Free of the up-to-tolerance quality error of ``kbps``.
    public var kbpsAtTarget: Double? = nil

    /// Cb and Cr PSNR against the source at the source resolution, dB (nil when not measured).
    public var psnrCb: Double? = nil, psnrCr: Double? = nil

    enum CodingKeys: String, CodingKey {
        case width, height, kbps, ssim, vmaf, parameter, counted
        case kbpsAtTarget = "kbps_at_target"
        case psnrY = "psnr_y"
        case psnrCb = "psnr_cb"
        case psnrCr = "psnr_cr"
        case parameterName = "parameter_name"
        case matchedBy = "matched_by"
        case qualityError = "quality_error"
        case encodeSeconds = "encode_seconds"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(kbps, forKey: .kbps)
        try c.encode(psnrY, forKey: .psnrY)
        try c.encode(ssim, forKey: .ssim)
        try c.encode(vmaf, forKey: .vmaf)
        try c.encode(psnrCb, forKey: .psnrCb)
        try c.encode(psnrCr, forKey: .psnrCr)
        try c.encode(parameterName, forKey: .parameterName)
        try c.encode(parameter, forKey: .parameter)
        try c.encode(matchedBy, forKey: .matchedBy)
        try c.encode(qualityError, forKey: .qualityError)
        try c.encode(encodeSeconds, forKey: .encodeSeconds)
        try c.encode(counted, forKey: .counted)
        try c.encode(kbpsAtTarget, forKey: .kbpsAtTarget)
    }
}

/// One measured encode of a ladder search.
public struct SampleResult: Sendable, Codable, MeasuredQuality {
    /// Picture width.
    public var width: Int
    /// Picture height.
    public var height: Int
    /// CRF or QP.
    public var parameter: Double
    /// Bitrate, kbit/s.
    public var kbps: Double
    /// Luma PSNR, dB.
    public var psnrY: Double
    /// Mean luma SSIM.
    public var ssim: Double
    /// Pooled VMAF, nil when not measured.
    public var vmaf: Double?

    /// Cb and Cr PSNR against the source at the source resolution, dB (nil when not measured).
    public var psnrCb: Double? = nil, psnrCr: Double? = nil

    enum CodingKeys: String, CodingKey {
        case width, height, parameter, kbps, ssim, vmaf
        case psnrY = "psnr_y"
        case psnrCb = "psnr_cb"
        case psnrCr = "psnr_cr"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(parameter, forKey: .parameter)
        try c.encode(kbps, forKey: .kbps)
        try c.encode(psnrY, forKey: .psnrY)
        try c.encode(ssim, forKey: .ssim)
        try c.encode(vmaf, forKey: .vmaf)
        try c.encode(psnrCb, forKey: .psnrCb)
        try c.encode(psnrCr, forKey: .psnrCr)
    }
}

/// Encode times measured in the same run.
public struct EncodeTimeSummary: Sendable, Codable {
    /// The layered stream, seconds.
    public var layeredSeconds: Double
    /// The x264 ladder's matched rungs, seconds.
    public var simulcastSeconds: Double
    /// The OpenH264 ladder's matched rungs, seconds.
    public var simulcastOpenH264Seconds: Double
    /// x264 ladder time over layered time (above 1: the layered stream was faster to make).
    public var simulcastOverLayered: Double?

    enum CodingKeys: String, CodingKey {
        case layeredSeconds = "layered_seconds"
        case simulcastSeconds = "simulcast_seconds"
        case simulcastOpenH264Seconds = "simulcast_openh264_seconds"
        case simulcastOverLayered = "simulcast_over_layered"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layeredSeconds, forKey: .layeredSeconds)
        try c.encode(simulcastSeconds, forKey: .simulcastSeconds)
        try c.encode(simulcastOpenH264Seconds, forKey: .simulcastOpenH264Seconds)
        try c.encode(simulcastOverLayered, forKey: .simulcastOverLayered)
    }
}

/// BD-rate of the layered stream's top operating point against single-layer x264 at its size.
public struct BDRateSummary: Sendable, Codable {
    /// The anchor, e.g. `x264 medium`.
    public var anchor: String
    /// Width of the compared pictures.
    public var width: Int
    /// Height of the compared pictures.
    public var height: Int
    /// `pchip`.
    public var interpolation: String
    /// BD-rate in percent (negative: the layered stream needs fewer bits); nil when the curves do
    /// not overlap.
    public var percent: Double?
    /// Share of the quality range both curves cover (0...1).
    public var overlap: Double
    /// The layered stream's top operating point at each quality setting (total kbps).
    public var layeredPoints: [RatePoint]
    /// The top-layer QPs of those settings.
    public var layeredTopQPs: [Int]
    /// x264 single-layer points at the same size.
    public var anchorPoints: [RatePoint]

    enum CodingKeys: String, CodingKey {
        case anchor, width, height, interpolation, percent, overlap
        case layeredPoints = "layered_points"
        case layeredTopQPs = "layered_top_qps"
        case anchorPoints = "anchor_points"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(anchor, forKey: .anchor)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(interpolation, forKey: .interpolation)
        try c.encode(percent, forKey: .percent)
        try c.encode(overlap, forKey: .overlap)
        try c.encode(layeredPoints, forKey: .layeredPoints)
        try c.encode(layeredTopQPs, forKey: .layeredTopQPs)
        try c.encode(anchorPoints, forKey: .anchorPoints)
    }
}

/// Which external tools a run used.
public struct ToolSummary: Sendable, Codable {
    /// The ffmpeg that decoded the x264 ladder.
    public var ffmpeg: String?
    /// The ffmpeg that measured VMAF, nil when VMAF was not measured.
    public var vmaf: String?

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ffmpeg, forKey: .ffmpeg)
        try c.encode(vmaf, forKey: .vmaf)
    }

    enum CodingKeys: String, CodingKey { case ffmpeg, vmaf }
}
