/// One download the client made, for the per-segment log and the report.
public struct FetchRecord: Sendable, Codable, Hashable {
    /// How a download ended.
    public enum Outcome: String, Sendable, Codable, Hashable {
        /// The whole fragment arrived.
        case arrived
        /// The server answered with an error status (e.g. 404).
        case httpError = "http-error"
        /// The body ended before its announced length.
        case truncated
        /// The connection failed (refused, reset).
        case transport
        /// Abandoned because it could not arrive before the segment's play time.
        case late
    }

    /// Layer index (0 = base).
    public var layer: Int
    /// Session seconds when the request was sent.
    public var startSeconds: Double
    /// Session seconds when it ended (arrived, failed or was abandoned).
    public var endSeconds: Double
    /// Bytes received (0 unless it arrived).
    public var bytes: Int
    /// How it ended.
    public var outcome: Outcome
    /// Why it failed, when it did.
    public var detail: String?
    /// Throughput estimate in kbit/s when the request was decided (nil before any sample).
    public var estimateKbps: Double?
}

/// What happened to one segment: what was fetched, what arrived in time, what was shown.
public struct SegmentRecord: Sendable, Codable, Hashable {
    /// Segment index.
    public var index: Int
    /// Session seconds at which the segment started playing (after any stall before it).
    public var playSeconds: Double
    /// Seconds it plays.
    public var durationSeconds: Double
    /// Session seconds at which each layer arrived (nil: never, or not in time), index = layer.
    public var arrivalSeconds: [Double?]
    /// Consecutive layers from the base that arrived before the play time.
    public var layersInTime: Int
    /// Layers of the operating point actually built (by the decoder, or in simulation the layers in time).
    public var builtLayers: Int
    /// Highest temporal id built (nil in simulation).
    public var builtTemporalId: Int?
    /// Why the decoder built less than what arrived, if it did.
    public var fallbackReason: String?
    /// Seconds playback stalled waiting for this segment's base.
    public var stallSeconds: Double
    /// Every download made for this segment, in order.
    public var fetches: [FetchRecord]
}

/// Quality of experience of one playback session, real or simulated.
public struct PlaybackReport: Sendable, Codable, Hashable {
    /// The stream played (URL, or a profile name in simulation).
    public var stream: String
    /// Bandwidth trace name in simulation; nil for a real session.
    public var trace: String?
    /// Seconds from the first request to the first frame shown.
    public var startupDelaySeconds: Double
    /// Times playback stopped for lack of data after it had started.
    public var stallCount: Int
    /// Total seconds of those stops.
    public var stallSeconds: Double
    /// Mean layers shown, weighted by segment duration (1 = base only).
    public var meanOperatingPoint: Double
    /// Mean quality shown (e.g. VMAF or PSNR-Y of each operating point), weighted by
    /// duration; nil when no quality table was given.
    public var meanQuality: Double?
    /// Changes of the shown operating point between consecutive segments.
    public var switches: Int
    /// Bytes received, including those that arrived too late to be shown.
    public var bytesFetched: Int
    /// Bytes received that were not shown (late, or above a layer that failed).
    public var bytesWasted: Int
    /// Seconds of content played.
    public var playedSeconds: Double
    /// Session seconds from the first request to the end of the last segment.
    public var sessionSeconds: Double
    /// Layers shown per segment, in order (a compact view of ``segments``).
    public var layersPerSegment: [Int]
    /// Every segment in detail.
    public var segments: [SegmentRecord]

    /// How many segments were shown with exactly `layers` layers (a histogram bin of the session's quality).
    public func segmentsAt(layers: Int) -> Int { layersPerSegment.filter { $0 == layers }.count }
}
