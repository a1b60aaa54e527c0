import Foundation
internal import StrataBase
internal import StrataEnhancement

/// How far an encode has got, for progress displays.
public struct EncodeProgress: Sendable {
    /// Frames read from the source so far.
    public var framesRead: Int
    /// Segments fully encoded and written.
    public var segmentsDone: Int
    /// Frames in the segments written.
    public var framesDone: Int
}

/// Encodes a video into a layered stream on disk: manifest.json, stream.mpd, base.m3u8,
/// and per layer an init segment and one fragment per segment.
///
/// The source is read once, a segment at a time; up to `concurrency` segments are coded
/// at once, each with its own encoders, and written in order, so the output is the same
/// bytes for any concurrency. Peak memory is about `concurrency + 1` segments of source
/// frames plus their reconstructions, whatever the input's length (about 600 MiB for 1080p,
/// 2 s segments and a concurrency of 2).
public enum StreamEncoder {
    /// Encodes the Y4M file at `input` (`-` for standard input) into the directory `output`.
    ///
    /// `output` is replaced as a whole when the encode succeeds and left as it was when
    /// it fails or is interrupted.
    @discardableResult
    public static func encode(input: String, output: String, configuration: EncoderConfiguration,
                              progress: (@Sendable (EncodeProgress) -> Void)? = nil) async throws -> StreamManifest {
        let source: Y4MFileSource
        do { source = try Y4MFileSource(path: input) } catch { throw StrataError.input("\(error)") }
        return try await encode(source: source, sourceName: input == "-" ? "stdin" : input, output: output,
                                configuration: configuration, progress: progress)
    }

    /// Encodes frames from any ``FrameSource`` into the directory `output`.
    @discardableResult
    public static func encode<Source: FrameSource>(source: Source, sourceName: String, output: String,
                                                   configuration: EncoderConfiguration,
                                                   progress: (@Sendable (EncodeProgress) -> Void)? = nil) async throws -> StreamManifest {
        var source = source
        let format = source.format
        let plan = configuration.plan
        try plan.validate(sourceWidth: format.width, sourceHeight: format.height)
        let framesPerSegment = Int((configuration.segmentSeconds * format.frameRate.framesPerSecond).rounded())
        guard framesPerSegment >= 1 else {
            throw StrataError.invalidSegmentLength("\(configuration.segmentSeconds) s is shorter than one frame at \(format.frameRate) fps")
        }
        var configuredEncoder = SegmentEncoder(plan: plan, source: format)
        let writer = try StreamWriter(outputPath: output, plan: plan, source: format, sourceName: sourceName,
                                      segmentSeconds: configuration.segmentSeconds,
                                      enhancementConfigurations: configuredEncoder.layerParameters.map { $0.serialized() })
        configuredEncoder.fragmentOverhead = writer.fragmentOverhead()
        let segmentEncoder = configuredEncoder
        var framesRead = 0
        var segmentsDone = 0
        var framesDone = 0
        try await withThrowingTaskGroup(of: EncodedSegment.self) { group in
            var inFlight = 0
            var nextIndex = 0
            var order = SegmentOrder<EncodedSegment>()
            func drain(_ segment: EncodedSegment) throws {
                try order.add(segment, at: segment.index) { ready in
                    try writer.append(ready)
                    segmentsDone += 1
                    framesDone += ready.base.count
                    progress?(EncodeProgress(framesRead: framesRead, segmentsDone: segmentsDone, framesDone: framesDone))
                }
            }
            while true {
                var frames: [Frame] = []
                frames.reserveCapacity(framesPerSegment)
                do {
                    while frames.count < framesPerSegment, let frame = try source.nextFrame() { frames.append(frame) }
                } catch let error as StrataError {
                    throw error
                } catch {
                    throw StrataError.input("\(error)")
                }
                if frames.isEmpty { break }
                let index = nextIndex, first = framesRead
                framesRead += frames.count
                nextIndex += 1
                let batch = frames
                group.addTask {
                    try await runOffCooperativePool { try segmentEncoder.encode(index: index, firstFrame: first, frames: batch) }
                }
                inFlight += 1
                progress?(EncodeProgress(framesRead: framesRead, segmentsDone: segmentsDone, framesDone: framesDone))
                if inFlight >= configuration.concurrency, let done = try await group.next() {
                    inFlight -= 1
                    try drain(done)
                }
                if frames.count < framesPerSegment { break }
            }
            while let done = try await group.next() { try drain(done) }
        }
        guard framesRead > 0 else { throw StrataError.emptyInput(path: sourceName) }
        return try writer.finish()
    }
}
