import Foundation

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

/// Decodes a whole stream at one operating point, several segments at once.
public enum StreamDecoder {
    /// Decodes every segment of `reader`'s stream at `target` and hands each frame to `consume`,
    /// in order.
    ///
    /// Segments are independent (each starts afresh), so up to `concurrency` of them are decoded
    /// at once, each on a thread of its own (default: the number of active cores); the frames,
    /// the summary, the order of the `progress` calls and, when a segment fails, the frames
    /// handed on before its error are the same for any concurrency. Peak memory is about
    /// `concurrency + 1` segments of decoded frames.
    ///
    /// Upper-layer fragments that cannot be fetched or decoded make that segment fall back;
    /// its frames are then upscaled (bicubic) to the target's size so the output keeps one
    /// size. A base fragment that cannot be fetched or decoded is an error naming the segment.
    public static func decode(reader: StreamReader, target: OperatingPoint, concurrency: Int? = nil,
                              progress: (@Sendable (Int, OperatingPoint) -> Void)? = nil,
                              consume: (Frame) throws -> Void) async throws -> DecodeSummary {
        let decoder = try LayeredDecoder(reader: reader)
        let size = decoder.size(of: target)
        let manifest = reader.manifest
        let rate = try outputRate(manifest, target)
        let concurrency = max(1, concurrency ?? ProcessInfo.processInfo.activeProcessorCount)
        var summary = DecodeSummary(target: target, built: [], fallbacks: [:], frames: 0, width: size.width, height: size.height,
                                    frameRate: rate)
        var scalers: [String: Scaler] = [:]
        func deliver(_ decoded: DecodedSegment) throws {
            summary.built.append(decoded.built)
            if let reason = decoded.fallbackReason { summary.fallbacks[decoded.index] = reason }
            progress?(decoded.index, decoded.built)
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
        // Each segment's outcome, error included, is handed on in segment order.
        typealias Outcome = (index: Int, result: Result<DecodedSegment, any Error>)
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var inFlight = 0
            var order = SegmentOrder<Result<DecodedSegment, any Error>>()
            func collect(_ outcome: Outcome) throws {
                try order.add(outcome.result, at: outcome.index) { try deliver($0.get()) }
            }
            for segment in manifest.segments.indices {
                let fragments: [[UInt8]?]
                do {
                    fragments = try await fetchFragments(reader, segment: segment, layers: target.layers)
                } catch {
                    while let done = try await group.next() { try collect(done) }
                    throw error
                }
                group.addTask {
                    do {
                        return (segment, .success(try await runOffCooperativePool {
                            try decoder.decodeSegment(segment, fragments: fragments, target: target)
                        }))
                    } catch {
                        return (segment, .failure(error))
                    }
                }
                inFlight += 1
                if inFlight >= concurrency, let done = try await group.next() {
                    inFlight -= 1
                    try collect(done)
                }
            }
            while let done = try await group.next() { try collect(done) }
        }
        return summary
    }

    /// The fragments of layers `0..<layers` of `segment`; an upper layer's that cannot be fetched is
    /// nil (the segment falls back), the base's is an error naming the segment.
    private static func fetchFragments(_ reader: StreamReader, segment: Int, layers: Int) async throws -> [[UInt8]?] {
        var fragments: [[UInt8]?] = []
        for layer in 0..<layers {
            do {
                fragments.append(try await reader.fragment(layer: layer, segment: segment))
            } catch {
                if layer == 0 {
                    throw StrataError.baseFragmentUnusable(segment: segment, path: reader.manifest.layers[0].fragments[segment],
                                                           message: "\(error)")
                }
                fragments.append(nil)
            }
        }
        return fragments
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
    public static func decode(reader: StreamReader, target: OperatingPoint, toY4M path: String, concurrency: Int? = nil,
                              progress: (@Sendable (Int, OperatingPoint) -> Void)? = nil) async throws -> DecodeSummary {
        let decoder = try LayeredDecoder(reader: reader)
        let size = decoder.size(of: target)
        let manifest = reader.manifest
        let rate = try outputRate(manifest, target)
        let writer = try Y4MWriter(path: path, format: VideoFormat(width: size.width, height: size.height, frameRate: rate))
        let summary = try await decode(reader: reader, target: target, concurrency: concurrency, progress: progress) { frame in
            try writer.write(frame)
        }
        try writer.finish()
        return summary
    }
}
