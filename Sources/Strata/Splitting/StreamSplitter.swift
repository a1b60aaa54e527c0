import Foundation
internal import StrataBase

/// Takes an H.264 Annex B elementary stream with SVC temporal and spatial layers (as OpenH264
/// writes it), or a plain AVC stream, apart into the on-disk layered stream `strata encode`
/// writes, without re-encoding.
///
/// L0 is the AVC base (every unit of `dependency_id` 0: slices, prefix units, SPS, PPS, SEI...),
/// L1... are the spatial layers in `dependency_id` order with their extension slices, prefix
/// units, subset SPS and PPS. Every unit's bytes are kept, parameter sets stay in-band (the base
/// track is `avc3`), and upper-layer samples record where their units sat, so ``StreamJoiner``
/// gives the input's NAL units back byte for byte.
public enum StreamSplitter {
    /// Splits the Annex B file at `path` into the stream directory `output`.
    ///
    /// The elementary stream has no timing, so `frameRate` gives it. Segments are
    /// `segmentSeconds` long and each must start with an IDR: when a segment boundary is not
    /// an IDR the split fails naming the frame, unless `segmentAtIDRs` is set, in which case a
    /// segment starts at the first IDR at or after each boundary. `output` is replaced whole
    /// on success and left as it was on failure.
    @discardableResult
    public static func split(annexB path: String, output: String, segmentSeconds: Double = 2,
                             frameRate: FrameRate = FrameRate(25), segmentAtIDRs: Bool = false) throws -> StreamManifest {
        guard segmentSeconds.isFinite, segmentSeconds > 0 else {
            throw SplitJoinError.invalidArgument("segment length \(segmentSeconds) s is not positive")
        }
        let framesPerSegment = Int((segmentSeconds * frameRate.framesPerSecond).rounded())
        guard framesPerSegment >= 1 else {
            throw SplitJoinError.invalidArgument("segment length \(segmentSeconds) s is shorter than one frame at \(frameRate) fps")
        }
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw SplitJoinError.unreadableInput(path: path, message: error.localizedDescription)
        }
        let layered = try LayeredElementaryStream(bytes: bytes, path: path)
        let starts = try segmentStarts(isIDR: layered.accessUnits.map(\.isIDR), framesPerSegment: framesPerSegment,
                                       segmentAtIDRs: segmentAtIDRs)
        return try write(layered, starts: starts, frameRate: frameRate, segmentSeconds: segmentSeconds, output: output)
    }

    /// First frame of each segment: every `framesPerSegment` frames (each must be an IDR), or
    /// with `segmentAtIDRs` the first IDR at or after each boundary.
    static func segmentStarts(isIDR: [Bool], framesPerSegment: Int, segmentAtIDRs: Bool) throws(SplitJoinError) -> [Int] {
        var starts = [0]
        let count = isIDR.count
        if segmentAtIDRs {
            var boundary = framesPerSegment
            while boundary < count {
                guard let next = (boundary..<count).first(where: { isIDR[$0] }) else { break }
                starts.append(next)
                boundary = next + framesPerSegment
            }
        } else {
            for frame in stride(from: framesPerSegment, to: count, by: framesPerSegment) {
                guard isIDR[frame] else {
                    throw .noIDRAtSegmentStart(segment: starts.count, frame: frame,
                                               previousIDR: (0..<frame).last(where: { isIDR[$0] }),
                                               nextIDR: (frame + 1..<count).first(where: { isIDR[$0] }))
                }
                starts.append(frame)
            }
        }
        return starts
    }

    private static func write(_ stream: LayeredElementaryStream, starts: [Int], frameRate: FrameRate, segmentSeconds: Double,
                              output: String) throws -> StreamManifest {
        let scale = max(1, (1000 + frameRate.numerator - 1) / frameRate.numerator)
        let timescale = UInt32(frameRate.numerator * scale)
        let sampleDuration = UInt32(frameRate.denominator * scale)
        let transaction: OutputDirectoryTransaction
        do { transaction = try OutputDirectoryTransaction(finalPath: output) } catch {
            throw SplitJoinError.writeFailed(path: output, message: "\(error)")
        }
        func store(_ bytes: [UInt8], _ relative: String) throws(SplitJoinError) {
            do { try AtomicFile.write(bytes, to: transaction.workingPath + "/" + relative) } catch {
                throw .writeFailed(path: relative, message: "\(error)")
            }
        }
        let tracks = stream.trackDescriptions(timescale: timescale)
        let layerCount = tracks.count
        var initSizes: [Int] = []
        for (k, track) in tracks.enumerated() {
            do {
                try FileManager.default.createDirectory(atPath: transaction.workingPath + "/L\(k)", withIntermediateDirectories: true)
            } catch {
                throw SplitJoinError.writeFailed(path: "L\(k)", message: error.localizedDescription)
            }
            let bytes = CMAFWriter.initSegment(track)
            try store(bytes, "L\(k)/init.mp4")
            initSizes.append(bytes.count)
        }
        var fragmentSizes = [[Int]](repeating: [], count: layerCount)
        var segments: [StreamManifest.Segment] = []
        let ends = Array(starts.dropFirst()) + [stream.accessUnits.count]
        for (index, (first, end)) in zip(starts, ends).enumerated() {
            let time = UInt64(first) * UInt64(sampleDuration)
            for k in 0..<layerCount {
                let samples = (first..<end).map { stream.sample(layer: k, accessUnit: $0, duration: sampleDuration) }
                let bytes = CMAFWriter.mediaSegment(tracks[k], sequenceNumber: UInt32(index + 1), baseMediaDecodeTime: time, samples: samples)
                try store(bytes, "L\(k)/\(index).m4s")
                fragmentSizes[k].append(bytes.count)
            }
            segments.append(StreamManifest.Segment(index: index, firstFrame: first, frames: end - first))
        }
        let frames = stream.accessUnits.count
        let duration = Double(frames) * Double(frameRate.denominator) / Double(frameRate.numerator)
        let temporalLayers = min(8, max(1, stream.accessUnits.map(\.temporalId).max().map { $0 + 1 } ?? 1))
        let layers = tracks.enumerated().map { k, track in
            let id = "L\(k)"
            let payload = fragmentSizes[k].reduce(0, +)
            let kbps = duration > 0 ? Double(payload) * 8 / duration / 1000 : 0
            return StreamManifest.Layer(
                id: id, kind: k == 0 ? .base : .spatial, codec: track.codec.codecString, width: track.width, height: track.height,
                dependsOn: (0..<k).map { "L\($0)" }, bytes: initSizes[k] + payload, kbps: (kbps * 10).rounded() / 10,
                initSegment: "\(id)/init.mp4", fragments: segments.map { "\(id)/\($0.index).m4s" }, trackID: track.trackID,
                timescale: timescale, temporalLayers: temporalLayers, fragmentBytes: fragmentSizes[k], initBytes: initSizes[k])
        }
        let top = tracks[layerCount - 1]
        let manifest = StreamManifest(
            source: .init(width: top.width, height: top.height, fpsNum: frameRate.numerator, fpsDen: frameRate.denominator, frames: frames),
            segmentSeconds: segmentSeconds, temporalLayers: temporalLayers, segments: segments, layers: layers)
        do {
            try transaction.commit(manifest: manifest)
        } catch {
            throw SplitJoinError.writeFailed(path: output, message: "\(error)")
        }
        return manifest
    }
}
