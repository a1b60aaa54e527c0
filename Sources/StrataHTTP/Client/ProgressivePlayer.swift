import AsyncHTTPClient
import Foundation
import Strata

/// How the progressive client plays a stream.
public struct PlayerOptions: Sendable {
    /// The stream's URL: its directory or its manifest.json.
    public var url: String
    /// Seconds of content the client tries to keep ahead of the play position.
    public var bufferTargetSeconds: Double
    /// Most layers to fetch (1 = base only); nil fetches every layer the stream has.
    public var maxLayers: Int?
    /// Highest temporal id to decode; nil decodes every frame.
    public var temporalId: Int?
    /// Writes the played video here as Y4M (`-` for standard output), every segment scaled to
    /// the size of the highest layer the session may fetch; nil writes nothing.
    public var outputPath: String?
    /// Fraction of the estimated throughput a download plan may count on.
    public var safetyFactor: Double
    /// Extra attempts for a base fragment before playback stops with an error.
    public var baseRetries: Int
    /// Seconds one base or manifest download may take.
    public var requestTimeoutSeconds: Double
    /// Extra seconds startup may wait after the first base for more layers of the first segment.
    public var startupBudgetSeconds: Double
    /// The HTTP client; nil uses the process-wide shared client.
    public var client: HTTPClient?

    /// Creates options with the defaults of `strata play`.
    public init(url: String, bufferTargetSeconds: Double = 6, maxLayers: Int? = nil, temporalId: Int? = nil,
                outputPath: String? = nil, safetyFactor: Double = 0.85, baseRetries: Int = 2,
                requestTimeoutSeconds: Double = 10, startupBudgetSeconds: Double = 0.25, client: HTTPClient? = nil) {
        self.url = url
        self.bufferTargetSeconds = bufferTargetSeconds
        self.maxLayers = maxLayers
        self.temporalId = temporalId
        self.outputPath = outputPath
        self.safetyFactor = safetyFactor
        self.baseRetries = baseRetries
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.startupBudgetSeconds = startupBudgetSeconds
        self.client = client
    }
}

/// The progressive client: plays a served layered stream in real time, fetching each
/// segment's base first and enhancement layers while buffer and bandwidth allow, and
/// recombines each segment at the best operating point that arrived before its play time.
///
/// Downloads and decoding run side by side: the scheduler (see `PlaybackEngine`) hands each
/// segment to the decoder when its play time comes, with only the fragments that arrived by
/// then, so a slow decoder never makes a late fragment count.
public enum ProgressivePlayer {
    /// Plays the stream at `options.url` to the end; `log` receives one line per decision and
    /// per segment shown. Throws ``PlayerError`` when the manifest or a base fragment cannot
    /// be had, or a segment cannot be decoded even at the base.
    public static func play(_ options: PlayerOptions, log: @escaping @Sendable (String) -> Void) async throws -> PlaybackReport {
        // Fetching and scheduling run on the delivery thread, so a busy decoder (or anything
        // else on the default executor) cannot delay a download or a play time.
        try await onDeliveryExecutor { try await session(options, log: log) }
    }

    private static func session(_ options: PlayerOptions, log: @escaping @Sendable (String) -> Void) async throws -> PlaybackReport {
        let clock = ContinuousClock()
        let origin = clock.now
        let client = options.client ?? HTTPClient.shared
        let source: HTTPSource
        do {
            source = try HTTPSource(baseURL: options.url, client: client, timeoutSeconds: options.requestTimeoutSeconds)
        } catch {
            throw PlayerError.manifestUnavailable(url: options.url, reason: "\(error)")
        }
        let reader: StreamReader
        do {
            reader = try await StreamReader(source: source)
        } catch {
            throw PlayerError.manifestUnavailable(url: source.baseURL + "/manifest.json", reason: "\(error)")
        }
        let manifest = reader.manifest
        guard !manifest.segments.isEmpty, !manifest.layers.isEmpty else { throw PlayerError.emptyStream(url: source.baseURL) }
        let layout = StreamLayout(segmentSeconds: manifest.segments.indices.map { manifest.segmentDuration($0) },
                                  fragmentBytes: manifest.layers.map(\.fragmentBytes))
        let maxLayers = max(1, min(options.maxLayers ?? manifest.layers.count, manifest.layers.count))
        let temporalId = max(0, min(options.temporalId ?? (manifest.temporalLayers - 1), manifest.temporalLayers - 1))
        log("stream \(source.baseURL): \(manifest.segments.count) segments, layers "
            + manifest.layers.prefix(maxLayers).map { "\($0.id) \($0.width)x\($0.height) \(fmt($0.kbps, 0)) kbps" }.joined(separator: ", ")
            + "; buffer target \(fmt(options.bufferTargetSeconds, 1)) s")

        let settings = SchedulerSettings(bufferTarget: options.bufferTargetSeconds, maxLayers: maxLayers, safety: options.safetyFactor,
                                         decodeMargin: 0.05, baseRetries: max(0, options.baseRetries),
                                         baseTimeout: options.requestTimeoutSeconds, startupBudget: max(0, options.startupBudgetSeconds))
        let network = HTTPPlaybackNetwork(fetcher: HTTPFetcher(client: client), baseURL: source.baseURL,
                                          paths: manifest.layers.map(\.fragments), origin: origin)
        let (dueSegments, continuation) = AsyncStream<DueSegment>.makeStream()
        let top = manifest.layers[maxLayers - 1]
        let output = options.outputPath

        enum Part: Sendable { case report(PlaybackReport), decoded([DecodedRecord]) }

        var engineReport: PlaybackReport?
        var decoded: [DecodedRecord] = []
        try await withThrowingTaskGroup(of: Part.self) { group in
            group.addTask {
                defer { continuation.finish() }
                let engine = PlaybackEngine(layout: layout, settings: settings, network: network,
                                            names: { manifest.layers[$0].fragments[$1] }, log: log,
                                            play: { _ = continuation.yield($0) })
                return .report(try await engine.run(streamName: source.baseURL, trace: nil))
            }
            let present: @Sendable () async throws -> Part = {
                .decoded(try await SegmentPresenter.present(dueSegments, reader: reader, maxLayers: maxLayers, temporalId: temporalId,
                                                      width: top.width, height: top.height, outputPath: output, log: log))
            }
            // Decoding is heavy and not timing-critical: it goes back to the default executor.
            if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *) {
                group.addTask(executorPreference: globalConcurrentExecutor, operation: present)
            } else {
                group.addTask(operation: present)
            }
            do {
                while let part = try await group.next() {
                    switch part {
                    case let .report(r): engineReport = r
                    case let .decoded(d): decoded = d
                    }
                }
            } catch {
                group.cancelAll()
                continuation.finish()
                throw error
            }
        }
        guard var report = engineReport else { throw PlayerError.schedulerStuck(segment: 0) }
        for d in decoded where report.segments.indices.contains(d.index) {
            report.segments[d.index].builtLayers = d.built.layers
            report.segments[d.index].builtTemporalId = d.built.temporalId
            report.segments[d.index].fallbackReason = d.reason
        }
        report.recomputeFigures()
        log("startup \(fmt(report.startupDelaySeconds, 3)) s, \(report.stallCount) stalls (\(fmt(report.stallSeconds, 3)) s), "
            + "mean operating point \(fmt(report.meanOperatingPoint, 2)) layers, \(report.switches) switches, "
            + "\(report.bytesFetched) bytes fetched (\(report.bytesWasted) unused)")
        return report
    }
}

/// What the decoder built for one segment.
struct DecodedRecord: Sendable {
    var index: Int
    var built: OperatingPoint
    var reason: String?
}

/// Decodes segments as their play time comes and writes them, all at one picture size.
enum SegmentPresenter {
    static func present(_ segments: AsyncStream<DueSegment>, reader: StreamReader, maxLayers: Int, temporalId: Int,
                        width: Int, height: Int, outputPath: String?, log: @Sendable (String) -> Void) async throws -> [DecodedRecord] {
        let decoder: LayeredDecoder
        do { decoder = try LayeredDecoder(reader: reader) } catch {
            throw PlayerError.decodeFailed(segment: 0, reason: "\(error)")
        }
        let manifest = reader.manifest
        let source = manifest.source
        // Dropping temporal layers divides the frame rate by two per layer dropped.
        let dropped = manifest.temporalLayers - 1 - temporalId
        let rate = FrameRate(source.fpsNum, source.fpsDen << dropped)
        var writer: Y4MWriter?
        if let outputPath {
            do { writer = try Y4MWriter(path: outputPath, format: VideoFormat(width: width, height: height, frameRate: rate)) } catch {
                throw PlayerError.outputFailed(path: outputPath, reason: "\(error)")
            }
        }
        var scalers: [String: Scaler] = [:]
        var records: [DecodedRecord] = []
        for await due in segments {
            let target = OperatingPoint(layers: max(1, min(due.layersInTime, maxLayers)), temporalId: temporalId)
            let segment: DecodedSegment
            do { segment = try decoder.decodeSegment(due.index, fragments: due.fragments, target: target) } catch {
                throw PlayerError.decodeFailed(segment: due.index, reason: "\(error)")
            }
            records.append(DecodedRecord(index: due.index, built: segment.built, reason: segment.fallbackReason))
            log("segment \(due.index): shown at \(segment.built) (\(due.layersInTime) of \(maxLayers) layers in time)"
                + (segment.fallbackReason.map { "; fell back: \($0)" } ?? ""))
            guard let writer else { continue }
            for frame in segment.frames {
                var shown = frame
                if frame.width != width || frame.height != height {
                    let key = "\(frame.width)x\(frame.height)"
                    if scalers[key] == nil {
                        do { scalers[key] = try Scaler(from: frame.width, frame.height, to: width, height) } catch {
                            throw PlayerError.outputFailed(path: writer.path, reason: "\(error)")
                        }
                    }
                    shown = scalers[key]!.scale(frame)
                }
                do { try writer.write(shown) } catch { throw PlayerError.outputFailed(path: writer.path, reason: "\(error)") }
            }
        }
        if let writer {
            do { try writer.finish() } catch { throw PlayerError.outputFailed(path: writer.path, reason: "\(error)") }
        }
        return records
    }
}

/// The engine's network over HTTP and the wall clock.
final class HTTPPlaybackNetwork: PlaybackNetwork, Sendable {
    private let fetcher: HTTPFetcher
    private let baseURL: String
    private let paths: [[String]]
    private let origin: ContinuousClock.Instant

    init(fetcher: HTTPFetcher, baseURL: String, paths: [[String]], origin: ContinuousClock.Instant) {
        self.fetcher = fetcher
        self.baseURL = baseURL
        self.paths = paths
        self.origin = origin
    }

    var now: Double {
        let d = ContinuousClock().now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    func fetch(layer: Int, segment: Int, timeout: Double) async -> FetchResult {
        let start = now
        do {
            let body = try await fetcher.get(StreamURL.join(baseURL, paths[layer][segment]), timeout: timeout)
            return .arrived(bytes: body.bytes, count: body.bytes.count, seconds: body.seconds)
        } catch {
            let seconds = now - start
            switch error {
            case .status: return .failed(.httpError, detail: error.description, seconds: seconds)
            case .truncated: return .failed(.truncated, detail: error.description, seconds: seconds)
            case .transport, .invalidURL: return .failed(.transport, detail: error.description, seconds: seconds)
            case .timedOut: return .failed(.late, detail: error.description, seconds: seconds)
            case .tooLarge: return .failed(.httpError, detail: error.description, seconds: seconds)
            }
        }
    }

    func sleep(until time: Double) async throws {
        let d = time - now
        if d > 0 { try await deliverySleep(seconds: d) }
    }
}
