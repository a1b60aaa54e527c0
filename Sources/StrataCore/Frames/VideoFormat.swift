/// A frame rate as an exact fraction, e.g. 30000/1001.
public struct FrameRate: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Frames per `denominator` seconds.
    public var numerator: Int
    /// Seconds per `numerator` frames.
    public var denominator: Int

    /// Creates a frame rate of `numerator / denominator` frames per second.
    public init(_ numerator: Int, _ denominator: Int = 1) {
        precondition(numerator > 0 && denominator > 0, "frame rate must be positive")
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Frames per second as a floating-point value.
    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}

/// The shape of a video: picture size and frame rate.
public struct VideoFormat: Sendable, Hashable, Codable {
    /// Width in luma samples (even).
    public var width: Int
    /// Height in luma rows (even).
    public var height: Int
    /// Frames per second.
    public var frameRate: FrameRate

    /// Creates a format.
    public init(width: Int, height: Int, frameRate: FrameRate) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
    }
}
