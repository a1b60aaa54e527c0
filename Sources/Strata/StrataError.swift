/// Why a layered encode, read or decode failed, naming the file, segment or layer.
public enum StrataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The layer plan cannot be encoded (the message says which field and why).
    case invalidPlan(String)
    /// The input video has no frames.
    case emptyInput(path: String)
    /// The segment duration is not usable (too short for one frame, or not positive).
    case invalidSegmentLength(String)
    /// The base layer encoder or decoder failed for a segment.
    case baseLayer(segment: Int, message: String)
    /// An enhancement layer failed to encode or decode.
    case enhancementLayer(layer: String, segment: Int, message: String)
    /// A file of the stream could not be read or parsed.
    case unreadable(path: String, message: String)
    /// Writing the output failed; nothing half-written was left in place.
    case writeFailed(path: String, message: String)
    /// The base fragment of a segment is missing or damaged, so nothing can be shown for it.
    case baseFragmentUnusable(segment: Int, path: String, message: String)
    /// An operating point outside what the stream has was asked for.
    case invalidOperatingPoint(String)
    /// The input video could not be read.
    case input(String)

    public var description: String {
        switch self {
        case let .invalidPlan(m): return "invalid layer plan: \(m)"
        case let .emptyInput(path): return "\(path): the input has no frames"
        case let .invalidSegmentLength(m): return "invalid segment length: \(m)"
        case let .baseLayer(segment, m): return "segment \(segment): base layer: \(m)"
        case let .enhancementLayer(layer, segment, m): return "segment \(segment): layer \(layer): \(m)"
        case let .unreadable(path, m): return "\(path): \(m)"
        case let .writeFailed(path, m): return "\(path): write failed: \(m)"
        case let .baseFragmentUnusable(segment, path, m): return "segment \(segment): base fragment \(path) is unusable: \(m)"
        case let .invalidOperatingPoint(m): return "invalid operating point: \(m)"
        case let .input(m): return m
        }
    }
}
