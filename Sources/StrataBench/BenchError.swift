/// Why a benchmark run stopped. Each case names what a user needs to act on: the file, the
/// tool, the encoder or the step.
public enum BenchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input could not be read as Y4M (missing file, bad header, truncated frame); `reason`
    /// is the reader's message.
    case unreadableInput(path: String, reason: String)
    /// The input holds no frames.
    case emptyInput(path: String)
    /// A tool the run needs is absent or unusable (for example ffmpeg, or ffmpeg without libvmaf
    /// when VMAF was demanded); `detail` says what was tried.
    case missingTool(name: String, detail: String)
    /// An external tool ran but failed; `status` is its exit status, `message` the end of its
    /// error output.
    case toolFailed(name: String, status: Int32, message: String)
    /// The tool's output could not be understood (for example a VMAF log without a pooled mean).
    case unexpectedToolOutput(name: String, detail: String)
    /// A single-layer encode of the ladder failed; `encoder` is `x264` or `openh264`.
    case encodeFailed(encoder: String, width: Int, height: Int, reason: String)
    /// Decoding for measurement gave `got` frames where the source has `expected`.
    case frameCountMismatch(what: String, expected: Int, got: Int)
    /// The layered encode or decode failed; `reason` is the library's message.
    case layeredStreamFailed(step: String, reason: String)
    /// The options cannot be run (for example an unknown preset or a plan that does not fit the input).
    case invalidOptions(String)
    /// A result file could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableInput(path, reason): return "cannot read input \(path): \(reason)"
        case let .emptyInput(path): return "input \(path) holds no frames"
        case let .missingTool(name, detail): return "\(name) is not available: \(detail)"
        case let .toolFailed(name, status, message): return "\(name) failed with exit status \(status): \(message)"
        case let .unexpectedToolOutput(name, detail): return "unexpected output from \(name): \(detail)"
        case let .encodeFailed(encoder, w, h, reason): return "\(encoder) encode at \(w)x\(h) failed: \(reason)"
        case let .frameCountMismatch(what, expected, got): return "\(what): decoded \(got) frames, the source has \(expected)"
        case let .layeredStreamFailed(step, reason): return "layered stream \(step) failed: \(reason)"
        case let .invalidOptions(detail): return "invalid benchmark options: \(detail)"
        case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
        }
    }
}
