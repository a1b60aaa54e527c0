internal import StrataEnhancement

/// A layered stream opened for reading: its manifest and every layer's track description.
///
/// The reader fetches manifest.json and all init segments up front (they are small) and
/// fragments on demand, from any ``StreamByteSource``.
public final class StreamReader: Sendable {
    /// The stream's catalog.
    public let manifest: StreamManifest
    /// Track description of each layer, from its init segment, lowest first.
    public let tracks: [TrackDescription]
    /// Where the files come from.
    public let source: any StreamByteSource

    /// Opens the stream: reads and validates manifest.json and every layer's init segment.
    public init(source: any StreamByteSource) async throws {
        self.source = source
        let manifestBytes: [UInt8]
        do { manifestBytes = try await source.bytes(at: "manifest.json") } catch {
            throw StrataError.unreadable(path: "manifest.json", message: "\(error)")
        }
        let manifest = try StreamManifest.decode(manifestBytes, path: "manifest.json")
        var tracks: [TrackDescription] = []
        for layer in manifest.layers {
            let bytes: [UInt8]
            do { bytes = try await source.bytes(at: layer.initSegment) } catch {
                throw StrataError.unreadable(path: layer.initSegment, message: "\(error)")
            }
            tracks.append(try CMAFReader.parseInitSegment(bytes, path: layer.initSegment))
        }
        try Self.checkConsistency(manifest, tracks)
        self.manifest = manifest
        self.tracks = tracks
    }

    /// Refuses a manifest and init segments that disagree, before a decoder sizes its memory
    /// from them: 4:2:0 layers have even sides, and an enhancement layer's configuration record
    /// names the manifest's size for it and for the layer below (a damaged record could
    /// otherwise have a decoder allocate 8192x8192 pictures for a 64x48 stream).
    static func checkConsistency(_ manifest: StreamManifest, _ tracks: [TrackDescription]) throws {
        for layer in manifest.layers where layer.width % 2 != 0 || layer.height % 2 != 0 {
            throw StrataError.unreadable(path: "manifest.json", message: "layer \(layer.id) size \(layer.width)x\(layer.height) is not even")
        }
        for (k, track) in tracks.enumerated().dropFirst() {
            guard case let .strata(configuration, _) = track.codec,
                  let parameters = try? EnhancementLayerParameters(serialized: configuration) else { continue }
            let layer = manifest.layers[k], lower = manifest.layers[k - 1]
            guard parameters.width == layer.width, parameters.height == layer.height,
                  parameters.referenceWidth == lower.width, parameters.referenceHeight == lower.height else {
                throw StrataError.unreadable(path: layer.initSegment, message:
                    "configuration record describes \(parameters.width)x\(parameters.height) over "
                    + "\(parameters.referenceWidth)x\(parameters.referenceHeight), the manifest "
                    + "\(layer.width)x\(layer.height) over \(lower.width)x\(lower.height)")
            }
        }
    }

    /// Opens the stream in a local directory.
    public convenience init(directory: String) async throws {
        try await self.init(source: DirectorySource(path: directory))
    }

    /// The bytes of fragment `segment` of layer `layer` (0 = base).
    public func fragment(layer: Int, segment: Int) async throws -> [UInt8] {
        guard manifest.layers.indices.contains(layer), manifest.segments.indices.contains(segment) else {
            throw StrataError.invalidOperatingPoint("no fragment for layer \(layer), segment \(segment)")
        }
        return try await source.bytes(at: manifest.layers[layer].fragments[segment])
    }
}
