/// Why a byte stream is not a valid H.264 Annex B stream. Every case names the byte offset in the
/// input where the problem starts, so a damaged file or fragment can be located.
public enum AnnexBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stream does not begin with a start code (`00 00 01` after optional zero bytes):
    /// non-zero data was found at `byteOffset` before any start code.
    case missingStartCode(byteOffset: Int)
    /// A start code at `byteOffset` is followed by no NAL unit, or by fewer bytes than the unit's
    /// header needs (one byte, four for the SVC types 14 and 20).
    case truncatedNALUnit(byteOffset: Int, length: Int)
    /// The NAL unit at `byteOffset` has `forbidden_zero_bit` set, which only corruption produces.
    case forbiddenZeroBitSet(byteOffset: Int)

    public var description: String {
        switch self {
        case let .missingStartCode(offset):
            return "Annex B: no start code before data at byte \(offset)"
        case let .truncatedNALUnit(offset, length):
            return "Annex B: truncated NAL unit at byte \(offset) (\(length) bytes)"
        case let .forbiddenZeroBitSet(offset):
            return "Annex B: forbidden_zero_bit set in NAL unit at byte \(offset)"
        }
    }
}
