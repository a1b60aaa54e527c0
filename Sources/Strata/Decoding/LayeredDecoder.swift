internal import StrataBase
internal import StrataEnhancement

/// Recombines a segment from whatever layers arrived: the OpenH264 base, then each
/// enhancement layer over the picture of the layer below. A stream split from an SVC
/// elementary stream has OpenH264 spatial layers instead: layer k is decoded by OpenH264 from
/// the NAL units of layers 0...k of each access unit.
///
/// A missing or damaged upper-layer fragment never stops playback: the segment is built
/// at the best lower operating point and ``DecodedSegment/fallbackReason`` says why. A
/// missing or damaged base fragment is an error naming the segment. Each segment is
/// decoded with fresh decoders, so segments are independent, and one decoder may decode several
/// segments at once from different threads (it holds only what it read from the stream's catalog).
public final class LayeredDecoder: Sendable {
    /// The stream's catalog.
    public let manifest: StreamManifest
    private let tracks: [TrackDescription]
    private let layerParameters: [EnhancementLayerParameters]
    private let baseParameterSets: [NALUnit]
    /// True when the layers above the base are OpenH264 spatial layers (`stsv` tracks).
    private let hasSpatialLayers: Bool
    /// The temporal hierarchy every sample must follow: set for streams Strata encoded (an
    /// `avc1` base), whose layers rely on it; nil for split streams, whose ids come from their source.
    private let hierarchy: TemporalStructure?

    /// Prepares to decode the stream `reader` opened.
    public init(reader: StreamReader) throws {
        manifest = reader.manifest
        tracks = reader.tracks
        guard let base = tracks.first, let sets = base.codec.avcParameterSets else {
            throw StrataError.unreadable(path: reader.manifest.layers.first?.initSegment ?? "L0/init.mp4",
                                         message: "the base layer is not an avc1 or avc3 track")
        }
        baseParameterSets = (sets.sps + sets.pps).map { NALUnit(bytes: $0) }
        if case .avc = base.codec, (1...4).contains(reader.manifest.temporalLayers) {
            hierarchy = TemporalStructure(layers: reader.manifest.temporalLayers)
        } else {
            hierarchy = nil
        }
        let spatial = tracks.dropFirst().map { track -> Bool in
            if case .svcSpatial = track.codec { return true } else { return false }
        }
        hasSpatialLayers = spatial.contains(true)
        if hasSpatialLayers {
            guard let k = spatial.firstIndex(of: false) else {
                layerParameters = []
                return
            }
            throw StrataError.unreadable(path: manifest.layers[k + 1].initSegment,
                                         message: "a Strata enhancement layer above OpenH264 spatial layers is not supported")
        }
        var params: [EnhancementLayerParameters] = []
        for (k, track) in tracks.enumerated().dropFirst() {
            guard case let .strata(configuration, _) = track.codec else {
                throw StrataError.unreadable(path: manifest.layers[k].initSegment, message: "not a Strata enhancement track")
            }
            do {
                params.append(try EnhancementLayerParameters(serialized: configuration))
            } catch {
                throw StrataError.unreadable(path: manifest.layers[k].initSegment, message: "\(error)")
            }
        }
        layerParameters = params
    }

    /// The highest operating point of the stream.
    public var topOperatingPoint: OperatingPoint {
        OperatingPoint(layers: manifest.layers.count, temporalId: manifest.temporalLayers - 1)
    }

    /// Picture size of the given layer count's top layer.
    public func size(of point: OperatingPoint) -> (width: Int, height: Int) {
        let layer = manifest.layers[max(0, min(point.layers, manifest.layers.count) - 1)]
        return (layer.width, layer.height)
    }

    /// Decodes segment `index` from the fragments that arrived (`fragments[k]` is layer k's,
    /// nil when it did not arrive) at the best operating point up to `target`.
    public func decodeSegment(_ index: Int, fragments: [[UInt8]?], target: OperatingPoint) throws -> DecodedSegment {
        guard manifest.segments.indices.contains(index) else {
            throw StrataError.invalidOperatingPoint("segment \(index) does not exist (the stream has \(manifest.segments.count))")
        }
        guard (1...manifest.layers.count).contains(target.layers) else {
            throw StrataError.invalidOperatingPoint("\(target.layers) layers asked, the stream has 1...\(manifest.layers.count)")
        }
        guard (0..<manifest.temporalLayers).contains(target.temporalId) else {
            throw StrataError.invalidOperatingPoint("temporal id \(target.temporalId) asked, the stream has 0...\(manifest.temporalLayers - 1)")
        }
        let basePath = manifest.layers[0].fragments[index]
        guard let baseBytes = fragments.first ?? nil else {
            throw StrataError.baseFragmentUnusable(segment: index, path: basePath, message: "it did not arrive")
        }
        let baseFragment: ParsedFragment
        do {
            baseFragment = try CMAFReader.parseMediaSegment(baseBytes, track: tracks[0], path: basePath)
        } catch {
            throw StrataError.baseFragmentUnusable(segment: index, path: basePath, message: "\(error)")
        }
        let expected = manifest.segments[index].frames
        guard baseFragment.samples.count == expected else {
            throw StrataError.baseFragmentUnusable(segment: index, path: basePath,
                                                   message: "\(baseFragment.samples.count) samples, the manifest says \(expected)")
        }
        // Temporal ids are not covered by the samples' CRCs; a segment starts with an IDR, so
        // its ids must follow the hierarchy from the start, or dropping layers keeps wrong frames.
        if let hierarchy {
            for (i, sample) in baseFragment.samples.enumerated() where sample.temporalId != hierarchy.temporalId(ofFrame: i) {
                throw StrataError.baseFragmentUnusable(
                    segment: index, path: basePath,
                    message: "sample \(i) has temporal id \(sample.temporalId), the \(manifest.temporalLayers)-layer hierarchy gives \(hierarchy.temporalId(ofFrame: i))")
            }
        }
        let kept = baseFragment.samples.indices.filter { baseFragment.samples[$0].temporalId <= target.temporalId }
        if hasSpatialLayers && target.layers > 1 {
            return try decodeSpatial(index, base: baseFragment, fragments: fragments, target: target, kept: kept)
        }
        let base = try decodeBase(baseFragment, kept: kept, segment: index, path: basePath)
        let temporalIds = baseFragment.samples.map(\.temporalId)
        var layers: [EnhancementFragment] = []
        var reason = useUpperLayers(upTo: target.layers, segment: index, fragments: fragments) { layer, bytes, path in
            layers.append(try prepareEnhancement(layer: layer, bytes: bytes, path: path, temporalIds: temporalIds))
        }
        // Each frame goes up through every layer before the next frame starts, so a layer reads the
        // picture below while it is still in cache and only the top layer's pictures are kept. A layer
        // that fails mid-segment drops it and the layers above it, and the segment is decoded again
        // from its first frame one layer lower.
        while true {
            do {
                let frames = try decodeInterleaved(base: base, layers: layers, kept: kept, temporalIds: temporalIds)
                return DecodedSegment(index: index, frames: frames, built: OperatingPoint(layers: layers.count + 1, temporalId: target.temporalId),
                                      fallbackReason: reason)
            } catch let failure as EnhancementFailure {
                let layer = layers[failure.index]
                reason = "\(manifest.layers[layer.layer].id) fragment \(layer.path) is unusable: \(failure.error)"
                layers.removeSubrange(failure.index...)
            }
        }
    }

    /// A parsed enhancement fragment of one segment, with the decoder for its layer.
    private struct EnhancementFragment {
        let layer: Int
        let path: String
        let fragment: ParsedFragment
        let decoder: EnhancementDecoder
    }

    /// The enhancement layer at `index` of the layers being decoded failed with `error`.
    private struct EnhancementFailure: Error {
        let index: Int
        let error: Error
    }

    /// Parses layer `layer`'s fragment and checks it against the base's samples.
    private func prepareEnhancement(layer: Int, bytes: [UInt8], path: String, temporalIds: [Int]) throws -> EnhancementFragment {
        let fragment = try CMAFReader.parseMediaSegment(bytes, track: tracks[layer], path: path)
        guard fragment.samples.count == temporalIds.count else {
            throw StrataError.unreadable(path: path, message: "\(fragment.samples.count) samples, the base has \(temporalIds.count)")
        }
        for (i, sample) in fragment.samples.enumerated() where sample.temporalId != temporalIds[i] {
            throw StrataError.unreadable(path: path, message: "sample \(i) has temporal id \(sample.temporalId), the base's is \(temporalIds[i])")
        }
        return EnhancementFragment(layer: layer, path: path, fragment: fragment,
                                   decoder: try EnhancementDecoder(parameters: layerParameters[layer - 1]))
    }

    /// Decodes the kept frames through `layers`, frame by frame, from the start of the segment;
    /// returns the top layer's pictures or throws ``EnhancementFailure`` naming the first layer that failed.
    private func decodeInterleaved(base: [Frame], layers: [EnhancementFragment], kept: [Int], temporalIds: [Int]) throws -> [Frame] {
        guard !layers.isEmpty else { return base }
        // The frames of the temporal ids left out never come: the decoders let the pictures that
        // only those would reference go at once (and, below the top, form them where read).
        let keptSet = Set(kept)
        let omitted = temporalIds.indices.filter { !keptSet.contains($0) }
        for (k, layer) in layers.enumerated() {
            layer.decoder.beginSegment(omitting: omitted)
            // Only the top layer's pictures are copied out: those below are formed where the layer above reads them.
            layer.decoder.defersUnreferencedPictures = k < layers.count - 1
        }
        var frames = [Frame?](repeating: nil, count: kept.count)
        // The enhancement layers' coding order, which the frames kept follow too.
        for n in EnhancementCodingOrder.indices(temporalIds: kept.map { temporalIds[$0] }) {
            let i = kept[n]
            for (k, layer) in layers.enumerated() {
                do {
                    // Each layer above the first reads the picture, vectors and references of the decoder
                    // below in place, so only the top layer's picture is copied out.
                    if k == 0 {
                        try layer.decoder.decodeFrame(payload: layer.fragment.samples[i].data, lower: base[n], temporalId: temporalIds[i],
                                                      position: i)
                    } else {
                        try layer.decoder.decodeFrame(payload: layer.fragment.samples[i].data, over: layers[k - 1].decoder,
                                                      temporalId: temporalIds[i])
                    }
                } catch {
                    throw EnhancementFailure(index: k, error: error)
                }
            }
            frames[n] = layers[layers.count - 1].decoder.decodedFrame()!
        }
        return frames.map { $0! }
    }

    /// Hands layers 1..<`count` of a segment to `use`, lowest first, while their fragments arrived
    /// and `use` accepts them; returns why it stopped early (nil when every layer was used).
    private func useUpperLayers(upTo count: Int, segment index: Int, fragments: [[UInt8]?],
                                _ use: (_ layer: Int, _ bytes: [UInt8], _ path: String) throws -> Void) -> String? {
        for layer in 1..<max(count, 1) {
            let path = manifest.layers[layer].fragments[index]
            guard layer < fragments.count, let bytes = fragments[layer] else {
                return "\(manifest.layers[layer].id) fragment \(path) did not arrive"
            }
            do { try use(layer, bytes, path) } catch {
                return "\(manifest.layers[layer].id) fragment \(path) is unusable: \(error)"
            }
        }
        return nil
    }

    private func decodeBase(_ fragment: ParsedFragment, kept: [Int], segment: Int, path: String) throws -> [Frame] {
        let decoder: OpenH264Decoder
        do { decoder = try OpenH264Decoder() } catch {
            throw StrataError.baseLayer(segment: segment, message: "\(error)")
        }
        var frames: [Frame] = []
        frames.reserveCapacity(kept.count)
        for (n, i) in kept.enumerated() {
            do {
                // SVC prefix units (kept in-band by a split) are not for the AVC decoder.
                var nals = try fragment.samples[i].nalUnits(path: path, sample: i).map { NALUnit(bytes: $0) }.filter(\.isAVCBaseNAL)
                if n == 0 { nals = baseParameterSets + nals }
                // A High profile picture (a split x264 stream) comes out one access unit late.
                if let picture = try decoder.decode(nals) { frames.append(picture) }
            } catch {
                throw StrataError.baseFragmentUnusable(segment: segment, path: path, message: "sample \(i): \(error)")
            }
        }
        do { frames += try decoder.flush() } catch {
            throw StrataError.baseFragmentUnusable(segment: segment, path: path, message: "\(error)")
        }
        guard frames.count == kept.count else {
            throw StrataError.baseFragmentUnusable(segment: segment, path: path,
                                                   message: "\(kept.count) samples gave \(frames.count) pictures")
        }
        return frames
    }

    /// Decodes OpenH264 spatial layers: the highest layer up to `target` whose fragments (and
    /// those of every layer below) arrived and parse, fed to OpenH264 with layers 0...k of each
    /// access unit; a missing or damaged layer falls back to the one below it.
    private func decodeSpatial(_ index: Int, base: ParsedFragment, fragments: [[UInt8]?], target: OperatingPoint,
                               kept: [Int]) throws -> DecodedSegment {
        var parsed = [base]
        var reason = useUpperLayers(upTo: target.layers, segment: index, fragments: fragments) { layer, bytes, path in
            let fragment = try CMAFReader.parseMediaSegment(bytes, track: tracks[layer], path: path)
            guard fragment.samples.count == base.samples.count else {
                throw StrataError.unreadable(path: path, message: "\(fragment.samples.count) samples, the base has \(base.samples.count)")
            }
            parsed.append(fragment)
        }
        while parsed.count > 1 {
            let layer = parsed.count - 1
            do {
                let units = try JoinedAccessUnits.merge(parsed, tracks: Array(tracks.prefix(parsed.count)), manifest: manifest,
                                                        segment: index, temporalId: target.temporalId, outOfBandParameterSets: true)
                let decoder = try OpenH264Decoder()
                var frames: [Frame] = []
                frames.reserveCapacity(kept.count)
                let expected = (manifest.layers[layer].width, manifest.layers[layer].height)
                // A picture of a profile with reordering comes out one access unit late; the
                // last ones are flushed at the end of the segment.
                for accessUnit in units {
                    if let picture = try decoder.decode(accessUnit.map { NALUnit(bytes: $0) }) { frames.append(picture) }
                }
                frames += try decoder.flush()
                let path = manifest.layers[layer].fragments[index]
                guard frames.count == units.count else {
                    throw StrataError.unreadable(path: path, message: "\(units.count) access units gave \(frames.count) pictures")
                }
                for (n, picture) in frames.enumerated() where (picture.width, picture.height) != expected {
                    throw StrataError.unreadable(path: path,
                                                 message: "picture \(n) decoded to \(picture.width)x\(picture.height), the layer is \(expected.0)x\(expected.1)")
                }
                return DecodedSegment(index: index, frames: frames, built: OperatingPoint(layers: parsed.count, temporalId: target.temporalId),
                                      fallbackReason: reason)
            } catch {
                reason = "\(manifest.layers[layer].id) of segment \(index) does not decode: \(error)"
                parsed.removeLast()
            }
        }
        let frames = try decodeBase(base, kept: kept, segment: index, path: manifest.layers[0].fragments[index])
        return DecodedSegment(index: index, frames: frames, built: OperatingPoint(layers: 1, temporalId: target.temporalId),
                              fallbackReason: reason)
    }
}
