/// How a YUV4MPEG2 stream lays out its samples (the `C` tag): chroma subsampling and bit depth.
///
/// Strata codes 8-bit 4:2:0. ``Y4MReader`` accepts the other layouts ffmpeg writes
/// (`-f yuv4mpegpipe` keeps the source's pixel format) and converts each frame as it reads it:
/// chroma is averaged down to 4:2:0 (4:2:2: each vertical pair; 4:4:4: each 2x2 block; 4:1:1: each
/// sample spans two 4:2:0 columns, vertical pairs averaged; monochrome: neutral 128), and samples
/// deeper than 8 bits are scaled with rounding, `(v + 2^(d-9)) >> (d-8)`, limited to 255. The sum of
/// the averaged samples is rounded once, so 8-bit 4:2:0 input passes through unchanged.
public struct Y4MSampleFormat: Sendable, Equatable, CustomStringConvertible {
    /// Chroma subsampling of the stored planes.
    public enum Chroma: String, Sendable, CaseIterable {
        /// Chroma planes of half width and half height.
        case yuv420 = "4:2:0"
        /// Chroma planes of half width and full height.
        case yuv422 = "4:2:2"
        /// Chroma planes of full size.
        case yuv444 = "4:4:4"
        /// Chroma planes of quarter width (rounded up) and full height.
        case yuv411 = "4:1:1"
        /// Luma only.
        case mono = "monochrome"
    }

    /// Chroma subsampling.
    public var chroma: Chroma
    /// Bits per sample, 8...16; samples deeper than 8 bits take two bytes, little-endian.
    public var bitDepth: Int
    /// A fourth, full-size alpha plane follows the chroma planes (`C444alpha`); it is skipped.
    public var hasAlpha: Bool

    /// 8-bit 4:2:0, what Strata codes and writes.
    public static let i420 = Y4MSampleFormat(chroma: .yuv420, bitDepth: 8, hasAlpha: false)

    public init(chroma: Chroma, bitDepth: Int, hasAlpha: Bool = false) {
        self.chroma = chroma
        self.bitDepth = bitDepth
        self.hasAlpha = hasAlpha
    }

    /// The layout a `C` tag names (`420jpeg`, `422`, `444p10`, `mono12`, `444alpha`, ...), or nil for
    /// a tag Strata does not know. `bitDepth` may lie outside 8...16 for tags such as `420p32`;
    /// ``isSupported`` says whether the reader accepts it.
    public init?(colorSpace tag: String) {
        switch tag {
        case "420jpeg", "420paldv", "420mpeg2", "420": self.init(chroma: .yuv420, bitDepth: 8)
        case "444alpha": self.init(chroma: .yuv444, bitDepth: 8, hasAlpha: true)
        default:
            let prefixes: [(String, Chroma)] = [("420", .yuv420), ("422", .yuv422), ("444", .yuv444), ("411", .yuv411), ("mono", .mono)]
            guard let (prefix, chroma) = prefixes.first(where: { tag.hasPrefix($0.0) }) else { return nil }
            var rest = tag.dropFirst(prefix.count)
            if rest.isEmpty { self.init(chroma: chroma, bitDepth: 8); return }
            if chroma != .mono {
                guard rest.first == "p" else { return nil }
                rest = rest.dropFirst()
            }
            guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let depth = Int(rest) else { return nil }
            self.init(chroma: chroma, bitDepth: depth)
        }
    }

    /// True for the layouts the reader converts: bit depths 8...16.
    public var isSupported: Bool { (8...16).contains(bitDepth) }

    /// Bytes per stored sample.
    public var bytesPerSample: Int { bitDepth > 8 ? 2 : 1 }

    /// Width and height of each stored chroma plane for a `width x height` picture (0 x 0 for monochrome).
    public func chromaSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch chroma {
        case .yuv420: return ((width + 1) / 2, (height + 1) / 2)
        case .yuv422: return ((width + 1) / 2, height)
        case .yuv444: return (width, height)
        case .yuv411: return ((width + 3) / 4, height)
        case .mono: return (0, 0)
        }
    }

    /// Bytes of one stored frame (after its `FRAME` line).
    public func frameByteCount(width: Int, height: Int) -> Int {
        let c = chromaSize(width: width, height: height)
        let samples = width * height * (hasAlpha ? 2 : 1) + 2 * c.width * c.height
        return samples * bytesPerSample
    }

    public var description: String {
        "\(bitDepth)-bit \(chroma.rawValue)" + (hasAlpha ? " with alpha" : "")
    }

    /// Converts one stored frame (`frameByteCount` bytes) to 8-bit 4:2:0 in `frame`, whose size is the
    /// stream's (even width and height).
    func convert(_ bytes: UnsafeRawBufferPointer, into frame: inout Frame) {
        let w = frame.width, h = frame.height
        if self == .i420 {
            frame.fill(packedI420: bytes)
            return
        }
        let depthShift = bitDepth - 8
        let twoBytes = bitDepth > 8
        @inline(__always) func sample(_ index: Int) -> Int {
            twoBytes ? Int(bytes.load(fromByteOffset: 2 * index, as: UInt8.self)) | Int(bytes.load(fromByteOffset: 2 * index + 1, as: UInt8.self)) << 8
                : Int(bytes.load(fromByteOffset: index, as: UInt8.self))
        }
        /// The rounded mean of `count` (1, 2 or 4) samples summing to `sum`, scaled to 8 bits.
        @inline(__always) func scaled(_ sum: Int, _ countShift: Int) -> UInt8 {
            let shift = countShift + depthShift
            return UInt8(clamping: shift == 0 ? sum : (sum + (1 << (shift - 1))) >> shift)
        }
        let lumaStride = frame.luma.stride
        frame.luma.withUnsafeMutableBufferPointer { dst in
            for y in 0..<h {
                for x in 0..<w { dst[y * lumaStride + x] = scaled(sample(y * w + x), 0) }
            }
        }
        let c = chromaSize(width: w, height: h)
        let cw = w / 2, ch = h / 2
        func fill(_ target: inout Plane, from base: Int) {
            let stride = target.stride
            target.withUnsafeMutableBufferPointer { dst in
                for y in 0..<ch {
                    for x in 0..<cw {
                        let value: UInt8
                        switch chroma {
                        case .yuv420: value = scaled(sample(base + y * c.width + x), 0)
                        case .yuv422: value = scaled(sample(base + 2 * y * c.width + x) + sample(base + (2 * y + 1) * c.width + x), 1)
                        case .yuv444:
                            let top = base + 2 * y * c.width + 2 * x, bottom = top + c.width
                            value = scaled(sample(top) + sample(top + 1) + sample(bottom) + sample(bottom + 1), 2)
                        case .yuv411: value = scaled(sample(base + 2 * y * c.width + x / 2) + sample(base + (2 * y + 1) * c.width + x / 2), 1)
                        case .mono: value = 128
                        }
                        dst[y * stride + x] = value
                    }
                }
            }
        }
        fill(&frame.cb, from: w * h)
        fill(&frame.cr, from: w * h + c.width * c.height)
    }
}
