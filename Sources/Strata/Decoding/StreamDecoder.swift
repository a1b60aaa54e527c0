/// What a whole-stream decode built, segment by segment.
public struct DecodeSummary: Sendable {
    /// The operating point asked for.
    public var target: OperatingPoint
    /// The operating point built for each segment.
    public var built: [OperatingPoint]
    /// Why a segment fell back, by segment index.
    public var fallbacks: [Int: String]
    /// Frames written.
    public var frames: Int
    /// Picture size written.
    public var width: Int, height: Int
    /// Frame rate written (the source's, divided by 2 for each temporal layer dropped).
    public var frameRate: FrameRate
}

/// Decodes a whole stream at one operating point, a segment at a time.
public enum StreamDecoder {
    /// Decodes every segment of `reader`'s stream at `target` and hands each frame to `consume`.
    ///
    /// Upper-layer fragments that cannot be fetched or decoded make that segment fall back;
    /// its frames are then upscaled (bicubic) to the target's size so the output keeps one
    /// size. A base fragment that cannot be fetched or decoded is an error naming the segment.
    public static func decode(reader: StreamReader, target: OperatingPoint,
                              progress: (@Sendable (Int, OperatingPoint) -> Void)? = nil,
                              consume: (Frame) throws -> Void) async throws -> DecodeSummary {
        let decoder = try LayeredDecoder(reader: reader)
        let size = decoder.size(of: target)
        let manifest = reader.manifest
        let rate = try outputRate(manifest, target)
        var summary = DecodeSummary(target: target, built: [], fallbacks: [:], frames: 0, width: size.width, height: size.height,
                                    frameRate: rate)
        var scalers: [String: Scaler] = [:]
        for segment in manifest.segments.indices {
            var fragments: [[UInt8]?] = []
            for layer in 0..<target.layers {
                do {
                    fragments.append(try await reader.fragment(layer: layer, segment: segment))
                } catch {
                    if layer == 0 {
                        throw StrataError.baseFragmentUnusable(segment: segment, path: manifest.layers[0].fragments[segment],
                                                               message: "\(error)")
                    }
                    fragments.append(nil)
                }
            }
            let decoded = try decoder.decodeSegment(segment, fragments: fragments, target: target)
            summary.built.append(decoded.built)
            if let reason = decoded.fallbackReason { summary.fallbacks[segment] = reason }
            progress?(segment, decoded.built)
            for frame in decoded.frames {
                if frame.width == size.width && frame.height == size.height {
                    try consume(frame)
                } else {
                    let key = "\(frame.width)x\(frame.height)"
                    let scaler = try scalers[key] ?? Scaler(from: frame.width, frame.height, to: size.width, size.height, filter: .bicubic)
                    scalers[key] = scaler
                    try consume(scaler.scale(frame))
                }
                summary.frames += 1
            }
        }
        return summary
    }

    /// The source's frame rate halved for each temporal layer `target` drops; a manifest whose
    /// rate cannot be divided without overflow is refused rather than trapping.
    static func outputRate(_ manifest: StreamManifest, _ target: OperatingPoint) throws -> FrameRate {
        let divisor = 1 << min(62, max(0, manifest.temporalLayers - 1 - target.temporalId))
        let (num, den) = (manifest.source.fpsNum, manifest.source.fpsDen)
        if num % divisor == 0 { return FrameRate(num / divisor, den) }
        let (product, overflow) = den.multipliedReportingOverflow(by: divisor)
        guard !overflow else {
            throw StrataError.unreadable(path: "manifest.json", message: "frame rate \(num)/\(den) cannot be divided by \(divisor)")
        }
        return FrameRate(num, product)
    }

    /// Decodes the stream at `target` into a Y4M file (`-` for standard output).
    @discardableResult
    public static func decode(reader: StreamReader, target: OperatingPoint, toY4M path: String,
                              progress: (@Sendable (Int, OperatingPoint) -> Void)? = nil) async throws -> DecodeSummary {
        let decoder = try LayeredDecoder(reader: reader)
        let size = decoder.size(of: target)
        let manifest = reader.manifest
        let rate = try outputRate(manifest, target)
        let writer = try Y4MWriter(path: path, format: VideoFormat(width: size.width, height: size.height, frameRate: rate))
        let summary = try await decode(reader: reader, target: target, progress: progress) { frame in try writer.write(frame) }
        try writer.finish()
        return summary
    }
}
