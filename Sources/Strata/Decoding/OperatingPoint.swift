/// A way to watch a layered stream: how many layers (base = 1) and up to which temporal id.
public struct OperatingPoint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Layers used, counting the base (1 = base alone).
    public var layers: Int
    /// Highest temporal id kept (0 = lowest frame rate).
    public var temporalId: Int

    /// Creates an operating point.
    public init(layers: Int, temporalId: Int) {
        self.layers = layers
        self.temporalId = temporalId
    }

    public var description: String { "L0-L\(layers - 1)@T\(temporalId)" }
}

/// The frames of one segment as built, and what was built.
public struct DecodedSegment: Sendable {
    /// Segment index.
    public var index: Int
    /// Decoded pictures in display order, at the size of the highest layer built.
    public var frames: [Frame]
    /// The operating point actually built (at most the target).
    public var built: OperatingPoint
    /// Why fewer layers than asked were built (nil when the target was met).
    public var fallbackReason: String?
}
