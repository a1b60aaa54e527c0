/// One measured single-layer encode of a ladder: the encoder's quality parameter (x264 CRF or
/// OpenH264 QP) and what it gave.
public struct LadderSample: Sendable, Hashable, Codable {
    /// CRF or QP the encode used.
    public var parameter: Double
    /// Bitrate of the encoded clip in kbit/s.
    public var kbps: Double
    /// Quality against the source at the source resolution.
    public var score: QualityScore
    /// Wall time of the encode (scaling the source to the rung's size included).
    public var encodeSeconds: Double

    /// Creates a sample.
    public init(parameter: Double, kbps: Double, score: QualityScore, encodeSeconds: Double) {
        self.parameter = parameter
        self.kbps = kbps
        self.score = score
        self.encodeSeconds = encodeSeconds
    }
}

/// How a matched rung was found.
public enum MatchMethod: String, Sendable, Codable {
    /// A real encode whose quality lies within the tolerance of the target.
    case search
    /// No parameter step lands within the tolerance (OpenH264's integer QP can step past it), so
    /// rate and quality are interpolated between the two encodes that bracket the target, rate
    /// linearly in its logarithm.
    case interpolation
    /// The target lies outside what the encoder reaches in its parameter range; the nearest end
    /// is reported and the rung does not match.
    case bound
}

/// The ladder rung matched to one quality target.
public struct MatchedRung: Sendable, Hashable, Codable {
    /// Parameter of the rung (interpolated for ``MatchMethod/interpolation``).
    public var parameter: Double
    /// Bitrate in kbit/s.
    public var kbps: Double
    /// Quality of the rung.
    public var score: QualityScore
    /// Encode time of the rung in seconds.
    public var encodeSeconds: Double
    /// How the rung was found.
    public var method: MatchMethod
    /// Rung quality minus the target, in the matching metric.
    public var qualityError: Double
    /// Encodes this search ran (earlier runs' encodes, given as known samples, are free).
    public var evaluations: Int
}
