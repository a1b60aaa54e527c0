@_exported import enum StrataBase.X264Preset
@_exported import enum StrataBase.X264Tune
import Strata

/// What `strata bench` runs.
public struct BenchOptions: Sendable {
    /// The source: a `.y4m` file, or `-` for Y4M on standard input.
    public var input: String
    /// Where report.json, report.csv, rate-quality.svg and the layered stream (`stream/`) go.
    public var outputDirectory: String
    /// The layer plan; nil means the default for the source's size (``LayerPlan/standard(sourceWidth:sourceHeight:)``).
    public var plan: LayerPlan?
    /// x264's preset for the x264 ladder (medium is the reference).
    public var x264Preset: X264Preset
    /// x264's tuning for the x264 ladder; nil (the reference) tunes nothing. `psnr` turns off the
    /// adaptive quantization and psychovisual optimizations that cost x264 VMAF.
    public var x264Tune: X264Tune?
    /// Also run the plans of ``sweepPlans`` and report which gives the lowest storage ratio.
    public var sweep: Bool
    /// Plans tried by the sweep; empty means ``BenchHarness/defaultSweepPlans``.
    public var sweepPlans: [LayerPlan]
    /// Which metric to match ladders on.
    public var metric: MetricPreference
    /// An ffmpeg to use for decoding and VMAF instead of searching for one.
    public var ffmpegPath: String?
    /// Measure only the first frames of the input; nil means all.
    public var maxFrames: Int?
    /// Segment length of the layered stream; also the keyframe interval of the ladders.
    public var segmentSeconds: Double
    /// Run the four-setting BD-rate comparison of the top operating point against x264.
    public var bdRate: Bool
    /// Segments the layered encoder codes at once (nil: one per core).
    public var concurrency: Int?

    /// Creates options with the defaults of the command line.
    public init(input: String, outputDirectory: String, plan: LayerPlan? = nil, x264Preset: X264Preset = .medium,
                x264Tune: X264Tune? = nil, sweep: Bool = false, sweepPlans: [LayerPlan] = [], metric: MetricPreference = .automatic,
                ffmpegPath: String? = nil, maxFrames: Int? = nil, segmentSeconds: Double = 2, bdRate: Bool = true,
                concurrency: Int? = nil) {
        self.input = input
        self.outputDirectory = outputDirectory
        self.plan = plan
        self.x264Preset = x264Preset
        self.x264Tune = x264Tune
        self.sweep = sweep
        self.sweepPlans = sweepPlans
        self.metric = metric
        self.ffmpegPath = ffmpegPath
        self.maxFrames = maxFrames
        self.segmentSeconds = segmentSeconds
        self.bdRate = bdRate
        self.concurrency = concurrency
    }
}

/// The long steps of a run, in order.
public enum BenchStage: String, Sendable, CaseIterable {
    /// Reading the input.
    case reading
    /// A note for the user (for example that VMAF is unavailable); said once.
    case note
    /// Encoding the layered stream.
    case layeredEncode = "layered encode"
    /// Decoding and measuring the operating points.
    case layeredDecode = "layered decode"
    /// Searching the x264 ladder.
    case x264Ladder = "x264 ladder"
    /// Searching the OpenH264 ladder.
    case openH264Ladder = "openh264 ladder"
    /// The BD-rate sweep of the top operating point.
    case bdRate = "bd-rate"
    /// One plan of a sweep starts.
    case sweep
    /// Writing report.json, CSV and plot.
    case writing
}

/// Progress of a run, for a progress bar.
public struct BenchProgress: Sendable {
    /// The step under way.
    public var stage: BenchStage
    /// What is being done, e.g. `x264 crf 23.5 at 640x360: VMAF 84.1 (target 85.0)`.
    public var message: String
    /// Work units finished in the run so far.
    public var completed: Int
    /// Work units the run is expected to take (grows when a search needs more encodes).
    public var total: Int
    /// `completed / total`, 0...1.
    public var fraction: Double { total > 0 ? min(1, Double(completed) / Double(total)) : 0 }
}
