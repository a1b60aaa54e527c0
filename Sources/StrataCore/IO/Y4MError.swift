/// Why a YUV4MPEG2 (Y4M) stream could not be read or written.
public enum Y4MError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened; `reason` is the system's message.
    case cannotOpen(path: String, reason: String)
    /// The stream header is not a valid `YUV4MPEG2` header; `detail` says which part.
    case malformedHeader(path: String, detail: String)
    /// The colour space tag names no layout ``Y4MSampleFormat`` knows.
    case unsupportedColorSpace(path: String, colorSpace: String)
    /// The samples are deeper than 16 bits.
    case unsupportedBitDepth(path: String, colorSpace: String)
    /// Interlaced or odd-sized pictures, which Strata does not code.
    case unsupportedFormat(path: String, detail: String)
    /// A `FRAME` marker was expected at `byteOffset` and something else was found.
    case malformedFrameHeader(path: String, frame: Int, byteOffset: Int)
    /// The stream ended inside frame `frame` (0-based), at `byteOffset`.
    case truncatedFrame(path: String, frame: Int, byteOffset: Int)
    /// Writing failed (disk full, closed pipe, unwritable directory).
    case writeFailed(path: String, reason: String)
    /// A frame of the wrong size was given to a writer.
    case frameSizeMismatch(path: String, expected: String, got: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .malformedHeader(path, detail): return "\(path): malformed Y4M header: \(detail)"
        case let .unsupportedColorSpace(path, cs): return "\(path): unsupported Y4M colour space \(cs) (Strata reads 4:2:0, 4:2:2, 4:4:4, 4:1:1 and mono)"
        case let .unsupportedBitDepth(path, cs): return "\(path): unsupported bit depth in colour space \(cs) (Strata reads 8 to 16 bits)"
        case let .unsupportedFormat(path, detail): return "\(path): unsupported Y4M format: \(detail)"
        case let .malformedFrameHeader(path, frame, offset): return "\(path): frame \(frame): expected FRAME marker at byte \(offset)"
        case let .truncatedFrame(path, frame, offset): return "\(path): frame \(frame) is truncated at byte \(offset)"
        case let .writeFailed(path, reason): return "\(path): write failed: \(reason)"
        case let .frameSizeMismatch(path, expected, got): return "\(path): frame is \(got), stream is \(expected)"
        }
    }
}
