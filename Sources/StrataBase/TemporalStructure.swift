/// The dyadic temporal-layer hierarchy of the base layer, which every Strata layer follows.
///
/// With `layers` temporal layers the pattern repeats every `period = 2^(layers-1)` frames and
/// restarts at each IDR: the first frame of a period is T0, the middle one T1, and so on, so
/// dropping every frame above `Tj` leaves one frame in `2^(layers-1-j)`. This is the pattern
/// OpenH264 writes into the SVC headers; the tests check the two agree frame by frame.
public struct TemporalStructure: Sendable, Hashable, Codable {
    /// Number of temporal layers, 1...4 (OpenH264's limit).
    public var layers: Int
    /// Frames per repetition of the pattern, `2^(layers-1)`.
    public var period: Int { 1 << (layers - 1) }

    /// Creates the hierarchy for `layers` temporal layers (1...4).
    public init(layers: Int) {
        precondition((1...4).contains(layers), "temporal layers must be 1...4, got \(layers)")
        self.layers = layers
    }

    /// The temporal id of frame `indexInSegment`, counted from the last IDR.
    public func temporalId(ofFrame indexInSegment: Int) -> Int {
        precondition(indexInSegment >= 0, "frame index must not be negative")
        let position = indexInSegment % period
        if position == 0 { return 0 }
        return layers - 1 - position.trailingZeroBitCount
    }

    /// How many of the `frameCount` frames after an IDR have a temporal id of at most `maxTemporalId`.
    public func frameCount(_ frameCount: Int, atMostTemporalId maxTemporalId: Int) -> Int {
        (0..<max(frameCount, 0)).count { temporalId(ofFrame: $0) <= maxTemporalId }
    }

    /// Frame-rate divisor of the operating point that keeps temporal ids `0...maxTemporalId`.
    public func frameRateDivisor(maxTemporalId: Int) -> Int {
        1 << max(0, layers - 1 - max(0, maxTemporalId))
    }
}
