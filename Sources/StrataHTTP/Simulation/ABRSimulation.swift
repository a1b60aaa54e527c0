/// A layered stream as the simulation sees it: when and how large each fragment is, and the
/// quality of each operating point (e.g. VMAF or PSNR-Y measured by the benchmark).
public struct LayeredProfile: Sendable, Codable, Hashable {
    /// A name for reports.
    public var name: String
    /// Segment durations and fragment sizes per layer.
    public var layout: StreamLayout
    /// Quality shown with 1, 2, ... layers (index 0 = base alone).
    public var quality: [Double]

    /// Creates a profile; `quality` has one entry per layer.
    public init(name: String, layout: StreamLayout, quality: [Double]) {
        self.name = name
        self.layout = layout
        self.quality = quality
    }
}

/// A simulcast ladder as the simulation sees it: independent encodes, one per rung, each
/// segment fetched from exactly one rung.
public struct SimulcastProfile: Sendable, Codable, Hashable {
    /// One rung of the ladder.
    public struct Rung: Sendable, Codable, Hashable {
        /// The bitrate the ladder advertises for the rung (what the rate rule compares against).
        public var kbps: Double
        /// Size of each segment of this rung in bytes.
        public var segmentBytes: [Int]
        /// Quality of the rung.
        public var quality: Double

        /// Creates a rung.
        public init(kbps: Double, segmentBytes: [Int], quality: Double) {
            self.kbps = kbps
            self.segmentBytes = segmentBytes
            self.quality = quality
        }
    }

    /// A name for reports.
    public var name: String
    /// Segment durations in seconds (shared by every rung).
    public var segmentSeconds: [Double]
    /// Rungs from lowest to highest bitrate.
    public var rungs: [Rung]

    /// Creates a profile; every rung lists one size per segment.
    public init(name: String, segmentSeconds: [Double], rungs: [Rung]) {
        self.name = name
        self.segmentSeconds = segmentSeconds
        self.rungs = rungs.sorted { $0.kbps < $1.kbps }
    }
}

/// Client settings shared by both simulated players, so they differ only in what they fetch.
public struct SimulationOptions: Sendable, Codable, Hashable {
    /// Seconds of content each client keeps ahead.
    public var bufferTargetSeconds: Double
    /// Round-trip time added to every request, in seconds.
    public var requestLatencySeconds: Double
    /// Fraction of the estimated throughput the layered scheduler counts on.
    public var layeredSafety: Double
    /// The classic rate rule: the highest rung below this fraction of the estimate.
    public var simulcastRateFraction: Double
    /// Extra seconds the layered client may wait after the first base for more layers of the first segment.
    public var startupBudgetSeconds: Double

    /// Creates options; the defaults are those of `strata play`.
    public init(bufferTargetSeconds: Double = 6, requestLatencySeconds: Double = 0.04, layeredSafety: Double = 0.85,
                simulcastRateFraction: Double = 0.9, startupBudgetSeconds: Double = 0.25) {
        self.bufferTargetSeconds = bufferTargetSeconds
        self.requestLatencySeconds = requestLatencySeconds
        self.layeredSafety = layeredSafety
        self.simulcastRateFraction = simulcastRateFraction
        self.startupBudgetSeconds = startupBudgetSeconds
    }
}

/// The outcome of one trace: the layered client and the simulcast client side by side.
public struct ABRComparison: Sendable, Codable, Hashable {
    /// The trace's name.
    public var trace: String
    /// The layered stream played by Strata's progressive scheduler.
    public var layered: PlaybackReport
    /// The simulcast ladder played with the classic rate rule.
    public var simulcast: PlaybackReport
}

/// Replays bandwidth traces against a layered stream and a simulcast ladder in simulated time
/// (no real waiting), so policies can be compared over minutes of traces in milliseconds.
///
/// The layered side runs the same scheduler as ``ProgressivePlayer`` over a simulated link;
/// the simulcast side is the classic throughput rule (highest rung whose advertised bitrate is
/// below 90% of the estimate, lowest rung first), with the same buffer target, estimator and
/// latency. Neither side abandons a base or rung download once started.
public enum ABRSimulation {
    /// Runs every trace against both profiles.
    public static func run(layered: LayeredProfile, simulcast: SimulcastProfile, traces: [BandwidthTrace],
                           options: SimulationOptions = SimulationOptions()) async throws -> [ABRComparison] {
        var out: [ABRComparison] = []
        for trace in traces {
            let l = try await playLayered(layered, trace: trace, options: options)
            let s = playSimulcast(simulcast, trace: trace, options: options)
            out.append(ABRComparison(trace: trace.name, layered: l, simulcast: s))
        }
        return out
    }

    /// Plays the layered profile over `trace` with the progressive scheduler.
    public static func playLayered(_ profile: LayeredProfile, trace: BandwidthTrace, options: SimulationOptions,
                                   log: @escaping (String) -> Void = { _ in }) async throws -> PlaybackReport {
        let network = SimulatedNetwork(trace: trace, latency: options.requestLatencySeconds, sizes: profile.layout.fragmentBytes)
        let settings = SchedulerSettings(bufferTarget: options.bufferTargetSeconds, maxLayers: profile.layout.layerCount,
                                         safety: options.layeredSafety, decodeMargin: 0, baseRetries: 0, baseTimeout: 3600,
                                         startupBudget: options.startupBudgetSeconds)
        let engine = PlaybackEngine(layout: profile.layout, settings: settings, network: network,
                                    names: { "L\($0)/\($1)" }, log: log, play: { _ in })
        var report = try await engine.run(streamName: profile.name, trace: trace.name)
        report.recomputeFigures(quality: profile.quality)
        return report
    }

    /// Plays the simulcast profile over `trace` with the classic rate rule.
    public static func playSimulcast(_ profile: SimulcastProfile, trace: BandwidthTrace, options: SimulationOptions) -> PlaybackReport {
        var now = 0.0
        var estimator = ThroughputEstimator()
        var nextPlay = 0.0, started = false, startup = 0.0
        var stalls = 0, stallTotal = 0.0
        var segments: [SegmentRecord] = []
        var fetched = 0
        let count = profile.segmentSeconds.count
        for s in 0..<count {
            // `nextPlay` is where the buffered content ends; wait while the buffer is above target.
            let bufferAhead = started ? max(0, nextPlay - now) : 0
            if bufferAhead > options.bufferTargetSeconds { now = nextPlay - options.bufferTargetSeconds }
            var rung = 0
            if let e = estimator.kbps {
                for (i, r) in profile.rungs.enumerated() where r.kbps < options.simulcastRateFraction * e { rung = i }
            }
            let size = profile.rungs[rung].segmentBytes[s]
            let start = now
            let seconds = options.requestLatencySeconds + trace.transferTime(bytes: Double(size), startingAt: now + options.requestLatencySeconds)
            guard seconds.isFinite else { break }
            now += seconds
            estimator.add(bytes: size, seconds: seconds)
            fetched += size
            var stall = 0.0
            if !started {
                started = true
                startup = now
                nextPlay = now
            } else if now > nextPlay {
                stall = now - nextPlay
                stalls += 1
                stallTotal += stall
                nextPlay = now
            }
            let fetch = FetchRecord(layer: rung, startSeconds: start, endSeconds: now, bytes: size, outcome: .arrived, detail: nil,
                                    estimateKbps: nil)
            segments.append(SegmentRecord(index: s, playSeconds: nextPlay, durationSeconds: profile.segmentSeconds[s],
                                          arrivalSeconds: [now], layersInTime: rung + 1, builtLayers: rung + 1, builtTemporalId: nil,
                                          fallbackReason: nil, stallSeconds: stall, fetches: [fetch]))
            nextPlay += profile.segmentSeconds[s]
        }
        var report = PlaybackReport(stream: profile.name, trace: trace.name, startupDelaySeconds: startup, stallCount: stalls,
                                    stallSeconds: stallTotal, meanOperatingPoint: 0, meanQuality: nil, switches: 0, bytesFetched: fetched,
                                    bytesWasted: 0, playedSeconds: segments.reduce(0) { $0 + $1.durationSeconds }, sessionSeconds: nextPlay,
                                    layersPerSegment: [], segments: segments)
        report.recomputeFigures(quality: profile.rungs.map(\.quality))
        return report
    }
}

/// A link that follows a trace in simulated time: a download of `n` bytes takes the request
/// latency plus the time the trace needs to carry `n` bytes from then.
final class SimulatedNetwork: PlaybackNetwork {
    private let trace: BandwidthTrace
    private let latency: Double
    private let sizes: [[Int]]
    private(set) var now: Double = 0

    init(trace: BandwidthTrace, latency: Double, sizes: [[Int]]) {
        self.trace = trace
        self.latency = latency
        self.sizes = sizes
    }

    func fetch(layer: Int, segment: Int, timeout: Double) async -> FetchResult {
        let size = sizes[layer][segment]
        let seconds = latency + trace.transferTime(bytes: Double(size), startingAt: now + latency)
        if seconds > timeout {
            now += timeout
            return .failed(.late, detail: "would take \(fmt(seconds, 3)) s", seconds: timeout)
        }
        now += seconds
        return .arrived(bytes: nil, count: size, seconds: seconds)
    }

    func sleep(until time: Double) async throws { now = max(now, time) }
}

extension ABRSimulation {
    /// A plain-text table of the comparisons, one row per trace and client, for terminals and logs.
    public static func table(_ comparisons: [ABRComparison]) -> String {
        var lines = ["trace        client     startup_s  stalls  stall_s  mean_layers  mean_quality  switches  MB"]
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        for c in comparisons {
            for (label, r) in [("layered", c.layered), ("simulcast", c.simulcast)] {
                lines.append(pad(c.trace, 13) + pad(label, 11) + pad(fmt(r.startupDelaySeconds, 2), 11) + pad("\(r.stallCount)", 8)
                             + pad(fmt(r.stallSeconds, 2), 9) + pad(fmt(r.meanOperatingPoint, 2), 13)
                             + pad(r.meanQuality.map { fmt($0, 2) } ?? "-", 14) + pad("\(r.switches)", 10)
                             + fmt(Double(r.bytesFetched) / 1_000_000, 2))
            }
        }
        return lines.joined(separator: "\n")
    }
}
