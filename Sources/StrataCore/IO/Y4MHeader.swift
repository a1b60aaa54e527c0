/// The parsed stream header of a YUV4MPEG2 file.
public struct Y4MHeader: Sendable, Equatable {
    /// Picture size and frame rate.
    public var format: VideoFormat
    /// Colour space tag as written (`420jpeg`, `420mpeg2`, `420paldv`, `420`, or another layout
    /// ``Y4MSampleFormat`` knows, such as `422` or `420p10`).
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

    /// How the stream stores its samples, from ``colorSpace`` (8-bit 4:2:0 for an unknown tag).
    public var sampleFormat: Y4MSampleFormat { Y4MSampleFormat(colorSpace: colorSpace) ?? .i420 }

    /// Creates a header; `colorSpace` is the `C` tag (8-bit 4:2:0 by default).
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
                guard let layout = Y4MSampleFormat(colorSpace: value) else {
                    throw .unsupportedColorSpace(path: path, colorSpace: value)
                }
                guard layout.isSupported else { throw .unsupportedBitDepth(path: path, colorSpace: value) }
                colorSpace = value
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
            throw .unsupportedFormat(path: path, detail: "odd picture size \(w)x\(h) (Strata codes 4:2:0, which needs even sizes)")
        }
        return Y4MHeader(format: VideoFormat(width: w, height: h, frameRate: rate), colorSpace: colorSpace, aspect: aspect)
    }
}
