/// Why an enhancement layer could not be configured, encoded or decoded.
///
/// Every case carries what a caller needs to locate the fault (field, macroblock, byte offset),
/// so a damaged fragment can be reported and skipped instead of stopping playback.
public enum EnhancementError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The layer configuration record is malformed or names an unsupported version; `reason` says which field.
    case badConfigurationRecord(reason: String)
    /// The parameters describe a layer this codec cannot code (size, ratio, quantizer or temporal layer count).
    case unsupportedParameters(reason: String)
    /// The frame payload ended before its syntax did; `offset` is the payload length at which more bytes were needed.
    case truncatedPayload(offset: Int)
    /// A syntax element holds a value the specification forbids: `element` names it, `macroblock` is the
    /// raster index of the macroblock being decoded (-1 for the frame header), `offset` the byte position reached.
    case invalidSyntax(element: String, macroblock: Int, offset: Int)
    /// A picture handed to the codec does not have the size the layer configuration says it must have.
    case sizeMismatch(picture: String, expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// The temporal id is outside `0..<temporalLayers`.
    case invalidTemporalId(Int, temporalLayers: Int)
    /// A layer with inter-layer motion was given no motion field of the layer below, or one of another size.
    case lowerMotionMismatch(reason: String)
    /// A decoder reading the layer below from that layer's decoder was given one that is not the layer
    /// below, or that has not just decoded the same frame of the segment; or a segment mixed that way
    /// with lower layers given as frames.
    case lowerLayerMismatch(reason: String)
    /// A frame's position in its segment is negative, or a frame of the segment at that position was coded already.
    case invalidPosition(Int)

    /// One line a user can act on: what failed and where.
    public var description: String {
        switch self {
        case .badConfigurationRecord(let reason):
            return "bad enhancement layer configuration record: \(reason)"
        case .unsupportedParameters(let reason):
            return "unsupported enhancement layer parameters: \(reason)"
        case .truncatedPayload(let offset):
            return "enhancement payload truncated: more data needed at byte \(offset)"
        case .invalidSyntax(let element, let macroblock, let offset):
            let place = macroblock < 0 ? "frame header" : "macroblock \(macroblock)"
            return "invalid enhancement syntax element \(element) in \(place) near byte \(offset)"
        case .sizeMismatch(let picture, let ew, let eh, let w, let h):
            return "\(picture) picture is \(w)x\(h), the layer expects \(ew)x\(eh)"
        case .invalidTemporalId(let id, let layers):
            return "temporal id \(id) outside 0..<\(layers)"
        case .lowerMotionMismatch(let reason):
            return "lower layer motion: \(reason)"
        case .lowerLayerMismatch(let reason):
            return "lower layer decoder: \(reason)"
        case .invalidPosition(let position):
            return "frame position \(position) in the segment is negative or was coded already"
        }
    }
}
