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
        self.manifest = manifest
        self.tracks = tracks
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
