/// The C libraries behind the base layer, named in errors.
public enum BaseCodec: String, Sendable, Equatable, CustomStringConvertible {
    /// OpenH264's `ISVCEncoder`.
    case openH264Encoder = "OpenH264 encoder"
    /// OpenH264's `ISVCDecoder`.
    case openH264Decoder = "OpenH264 decoder"
    /// libx264.
    case x264

    public var description: String { rawValue }
}

/// Why the base-layer encoders or decoder failed. Library status codes are kept as numbers so a
/// report can be matched against the library's headers.
public enum BaseLayerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration asks for something the codec cannot do; `detail` names the field and the rule.
    case invalidConfiguration(detail: String)
    /// The library could not create its handle (out of memory, or a broken installation).
    case creationFailed(codec: BaseCodec, status: Int)
    /// The library refused the parameters when initialising; usually an unsupported combination
    /// of sizes, layers and rate control that the configuration checks did not catch.
    case initializationFailed(codec: BaseCodec, status: Int)
    /// Setting option `option` on the library failed with `status`.
    case optionFailed(codec: BaseCodec, option: String, status: Int)
    /// A frame of size `got` was given to an encoder configured for `expected`.
    case frameSizeMismatch(expected: String, got: String)
    /// Encoding input frame `frame` failed with the library's status code.
    case encodeFailed(codec: BaseCodec, frame: Int, status: Int)
    /// The encoder skipped input frame `frame`; every frame must give a picture because the
    /// enhancement layers are coded against it.
    case frameSkipped(frame: Int)
    /// Decoding access unit `accessUnit` (counted from the decoder's creation) failed; `state` is
    /// OpenH264's `DECODING_STATE` bit set.
    case decodeFailed(accessUnit: Int, state: Int)
    /// The decoder returned a picture Strata cannot hold (odd size, missing planes).
    case unsupportedPicture(accessUnit: Int, detail: String)

    /// Maps a C status to an error when it is not `success` (0 for both libraries' status codes).
    static func check(_ status: Int, success: Int = 0, _ error: (Int) -> BaseLayerError) throws(BaseLayerError) {
        if status != success { throw error(status) }
    }

    public var description: String {
        switch self {
        case let .invalidConfiguration(detail):
            return "base layer: invalid configuration: \(detail)"
        case let .creationFailed(codec, status):
            return "\(codec): could not create the codec (status \(status))"
        case let .initializationFailed(codec, status):
            return "\(codec): parameters refused (status \(status))"
        case let .optionFailed(codec, option, status):
            return "\(codec): setting \(option) failed (status \(status))"
        case let .frameSizeMismatch(expected, got):
            return "base layer: frame is \(got), encoder expects \(expected)"
        case let .encodeFailed(codec, frame, status):
            return "\(codec): encoding frame \(frame) failed (status \(status))"
        case let .frameSkipped(frame):
            return "OpenH264 encoder: frame \(frame) was skipped; every frame must be coded"
        case let .decodeFailed(accessUnit, state):
            return "OpenH264 decoder: access unit \(accessUnit) failed (\(BaseLayerError.decodingStateNames(state)))"
        case let .unsupportedPicture(accessUnit, detail):
            return "OpenH264 decoder: access unit \(accessUnit): unsupported picture: \(detail)"
        }
    }

    /// The names of the bits set in an OpenH264 `DECODING_STATE`.
    static func decodingStateNames(_ state: Int) -> String {
        let names: [(Int, String)] = [
            (0x01, "frame pending"), (0x02, "reference lost"), (0x04, "bitstream error"),
            (0x08, "dependent layer lost"), (0x10, "no parameter sets"), (0x20, "error concealed"),
            (0x40, "null reference"), (0x1000, "invalid argument"), (0x2000, "not initialised"),
            (0x4000, "out of memory"), (0x8000, "destination buffer too small"),
        ]
        let set = names.filter { state & $0.0 != 0 }.map(\.1)
        return set.isEmpty ? "state \(state)" : set.joined(separator: ", ") + " (state \(state))"
    }
}
