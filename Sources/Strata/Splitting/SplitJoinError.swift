/// Why taking an elementary stream apart (`strata split`) or putting layers back together
/// (`strata join`) failed, naming the byte offset, frame, segment or layer a user can look at.
public enum SplitJoinError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input file could not be read.
    case unreadableInput(path: String, message: String)
    /// The input is not a valid Annex B stream at `byteOffset` (no start code, a truncated NAL
    /// unit, a set `forbidden_zero_bit`); `reason` says which.
    case malformedAnnexB(path: String, byteOffset: Int, reason: String)
    /// The input holds no coded picture.
    case noPictures(path: String)
    /// A parameter set the layers need could not be read (its NAL unit starts at `byteOffset`).
    case malformedParameterSet(path: String, byteOffset: Int, detail: String)
    /// The first access unit is not an IDR picture, so no segment can start there.
    case firstFrameNotIDR(path: String, byteOffset: Int)
    /// A segment must start at `frame` (every `framesPerSegment` frames) but that frame is not an
    /// IDR; the nearest IDRs around it are named. Splitting with IDR-aligned segments cuts at the
    /// IDRs the stream has instead.
    case noIDRAtSegmentStart(segment: Int, frame: Int, previousIDR: Int?, nextIDR: Int?)
    /// A split option is out of range (segment length, frame rate).
    case invalidArgument(String)
    /// The asked operating point is not in the stream (layer count or temporal id).
    case invalidOperatingPoint(String)
    /// A layer cannot be written into the chosen output (e.g. a Strata enhancement layer into an
    /// Annex B `.264` file, which only carries H.264).
    case unsupportedLayer(layer: String, detail: String)
    /// The output name ends neither in `.264`/`.h264` nor in `.mp4`.
    case unsupportedOutput(path: String)
    /// A fragment of the stream is missing or damaged, so the join stops at it.
    case fragmentUnusable(segment: Int, layer: String, path: String, message: String)
    /// Writing the output failed; nothing half-written was left in place.
    case writeFailed(path: String, message: String)

    public var description: String {
        switch self {
        case let .unreadableInput(path, m): return "\(path): \(m)"
        case let .malformedAnnexB(path, offset, reason): return "\(path): not a valid Annex B stream at byte \(offset): \(reason)"
        case let .noPictures(path): return "\(path): the stream holds no coded picture"
        case let .malformedParameterSet(path, offset, detail): return "\(path): parameter set at byte \(offset) is malformed: \(detail)"
        case let .firstFrameNotIDR(path, offset):
            return "\(path): the first picture (byte \(offset)) is not an IDR, so the first segment cannot start there"
        case let .noIDRAtSegmentStart(segment, frame, previous, next):
            let around = [previous.map { "previous IDR at frame \($0)" }, next.map { "next IDR at frame \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
            return "segment \(segment) must start at frame \(frame), which is not an IDR (\(around.isEmpty ? "no other IDR" : around)); "
                + "choose a segment length matching the stream's IDR period, or segment at the IDRs the stream has"
        case let .invalidArgument(m): return m
        case let .invalidOperatingPoint(m): return "invalid operating point: \(m)"
        case let .unsupportedLayer(layer, detail): return "layer \(layer): \(detail)"
        case let .unsupportedOutput(path): return "\(path): the output must end in .264, .h264 or .mp4"
        case let .fragmentUnusable(segment, layer, path, m): return "segment \(segment): layer \(layer) fragment \(path) is unusable: \(m)"
        case let .writeFailed(path, m): return "\(path): write failed: \(m)"
        }
    }
}
