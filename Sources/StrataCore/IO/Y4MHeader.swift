/// The parsed stream header of a YUV4MPEG2 file.
public struct Y4MHeader: Sendable, Equatable {
    /// Picture size and frame rate.
    public var format: VideoFormat
    /// Chroma siting tag as written (`420jpeg`, `420mpeg2`, `420paldv` or `420`).
    public var colorSpace: String
    /// Pixel aspect ratio, `A` tag, as written (`1:1` when absent).
    public var aspect: String

    /// Largest picture side accepted, so a hostile header cannot ask for gigabytes per frame.
    public static let maximumDimension = 16384
    /// Largest picture area accepted (8192x8192 luma samples, a 96 MiB frame buffer).
    public static let maximumPixels = 8192 * 8192
    /// Largest frame-rate numerator or denominator accepted: beyond it the stream's sample
    /// timing (32-bit timescales) could not represent the rate exactly.
    public static let maximumRateTerm = 1_000_000

    /// Creates a header for 4:2:0 content.
    public init(format: VideoFormat, colorSpace: String = "420jpeg", aspect: String = "1:1") {
        self.format = format
        self.colorSpace = colorSpace
        self.aspect = aspect
    }

    /// The header line, including the trailing newline.
    public var line: String {
        "YUV4MPEG2 W\(format.width) H\(format.height) F\(format.frameRate.numerator):\(format.frameRate.denominator) Ip A\(aspect) C\(colorSpace)\n"
    }

    /// Parses a header line (without its newline); `path` names the source in errors.
    public static func parse(_ line: String, path: String) throws(Y4MError) -> Y4MHeader {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.first == "YUV4MPEG2" else {
            throw .malformedHeader(path: path, detail: "does not start with YUV4MPEG2")
        }
        var width: Int?, height: Int?
        var rate = FrameRate(25)
        var colorSpace = "420jpeg"
        var aspect = "1:1"
        for field in fields.dropFirst() {
            let tag = field.first!
            let value = String(field.dropFirst())
            switch tag {
            case "W":
                guard let w = Int(value), w > 0, w <= maximumDimension else { throw .malformedHeader(path: path, detail: "bad width '\(value)'") }
                width = w
            case "H":
                guard let h = Int(value), h > 0, h <= maximumDimension else { throw .malformedHeader(path: path, detail: "bad height '\(value)'") }
                height = h
            case "F":
                let parts = value.split(separator: ":")
                guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]),
                      (1...maximumRateTerm).contains(n), (1...maximumRateTerm).contains(d) else {
                    throw .malformedHeader(path: path, detail: "bad frame rate '\(value)'")
                }
                rate = FrameRate(n, d)
            case "I":
                guard value == "p" || value == "?" else {
                    throw .unsupportedFormat(path: path, detail: "interlacing '\(value)' (progressive only)")
                }
            case "A": aspect = value
            case "C":
                switch value {
                case "420jpeg", "420paldv", "420mpeg2", "420": colorSpace = value
                case _ where value.hasPrefix("420p") || value.hasPrefix("mono1") || value.contains("p10") || value.contains("p12") || value.contains("p16"):
                    throw .unsupportedBitDepth(path: path, colorSpace: value)
                default:
                    throw .unsupportedColorSpace(path: path, colorSpace: value)
                }
            case "X": continue
            default:
                throw .malformedHeader(path: path, detail: "unknown tag '\(field)'")
            }
        }
        guard let w = width else { throw .malformedHeader(path: path, detail: "missing width (W)") }
        guard let h = height else { throw .malformedHeader(path: path, detail: "missing height (H)") }
        guard w * h <= maximumPixels else {
            throw .unsupportedFormat(path: path, detail: "picture size \(w)x\(h) exceeds \(maximumPixels) samples")
        }
        guard w % 2 == 0, h % 2 == 0 else {
            throw .unsupportedFormat(path: path, detail: "odd picture size \(w)x\(h) (4:2:0 needs even sizes)")
        }
        return Y4MHeader(format: VideoFormat(width: w, height: h, frameRate: rate), colorSpace: colorSpace, aspect: aspect)
    }
}
