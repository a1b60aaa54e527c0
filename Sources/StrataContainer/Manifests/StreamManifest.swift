import Foundation

/// manifest.json: the authoritative catalog of a layered stream (Specs/manifest.md).
///
/// The contract's keys are kept exactly (`format`, `version`, `source`, `segment_seconds`,
/// `temporal_layers`, `segments`, `layers` with `id`, `kind`, `codec`, `width`, `height`,
/// `depends_on`, `bytes`, `kbps`, `init`, `fragments`); the keys a reader also needs are added
/// beside them. ``encoded()`` sorts keys and pretty-prints, so the same stream always gives
/// the same bytes.
public struct StreamManifest: Sendable, Codable, Hashable {
    /// The manifest version this code writes and the highest it reads.
    public static let currentVersion = 1

    /// Always `strata`; lets a reader reject other JSON early.
    public var format: String
    /// Manifest format version (Specs/manifest.md).
    public var version: Int
    /// The source video the stream was encoded from.
    public var source: Source
    /// Nominal segment duration in seconds (the last segment may be shorter).
    public var segmentSeconds: Double
    /// Number of temporal layers (T0..T(n-1)) every layer follows.
    public var temporalLayers: Int
    /// The segments in order; segment `i` is fragment `i` of every layer.
    public var segments: [Segment]
    /// The layers, lowest first; each depends only on layers listed before it.
    public var layers: [Layer]

    /// Picture size, frame rate and length of the source.
    public struct Source: Sendable, Codable, Hashable {
        /// Width in luma samples.
        public var width: Int
        /// Height in luma samples.
        public var height: Int
        /// Frame rate numerator (frames per `fpsDen` seconds).
        public var fpsNum: Int
        /// Frame rate denominator.
        public var fpsDen: Int
        /// Number of frames encoded.
        public var frames: Int

        /// A source description.
        public init(width: Int, height: Int, fpsNum: Int, fpsDen: Int, frames: Int) {
            self.width = width; self.height = height; self.fpsNum = fpsNum; self.fpsDen = fpsDen; self.frames = frames
        }

        enum CodingKeys: String, CodingKey {
            case width, height, frames
            case fpsNum = "fps_num", fpsDen = "fps_den"
        }
    }

    /// One segment: a run of frames starting with an IDR, decodable from the same segment of lower layers.
    public struct Segment: Sendable, Codable, Hashable {
        /// Index, equal to its position and to its fragment number.
        public var index: Int
        /// Source frame number of its first frame.
        public var firstFrame: Int
        /// Number of frames.
        public var frames: Int

        /// A segment description.
        public init(index: Int, firstFrame: Int, frames: Int) {
            self.index = index; self.firstFrame = firstFrame; self.frames = frames
        }

        enum CodingKeys: String, CodingKey {
            case index, frames
            case firstFrame = "first_frame"
        }
    }

    /// What a layer is made of.
    public enum LayerKind: String, Sendable, Codable, Hashable {
        /// The H.264 base layer (L0), playable by any H.264 decoder.
        case base
        /// An OpenH264 spatial layer.
        case spatial
        /// A Strata enhancement layer.
        case enhancement
    }

    /// One layer: its codec, size, files and what it depends on.
    public struct Layer: Sendable, Codable, Hashable {
        /// Layer name, e.g. `L0`; also its folder name and DASH Representation id.
        public var id: String
        /// What the layer is made of.
        public var kind: LayerKind
        /// RFC 6381 codecs value (`avc1.42c01f`, `stre.1`).
        public var codec: String
        /// Picture width of the layer.
        public var width: Int
        /// Picture height of the layer.
        public var height: Int
        /// Ids of the layers this one needs, lowest first.
        public var dependsOn: [String]
        /// Bytes of the layer on disk: init segment plus all fragments.
        public var bytes: Int
        /// Bit rate of the layer alone in kbit/s (bytes * 8 / duration / 1000).
        public var kbps: Double
        /// Path of the init segment, relative to the manifest.
        public var initSegment: String
        /// Paths of the fragments, one per segment, relative to the manifest.
        public var fragments: [String]
        /// Track ID in the layer's init segment.
        public var trackID: UInt32
        /// Timescale of the layer's track.
        public var timescale: UInt32
        /// Temporal layers present in this layer.
        public var temporalLayers: Int
        /// Size of each fragment in bytes, in segment order (lets a client plan downloads).
        public var fragmentBytes: [Int]
        /// Size of the init segment in bytes.
        public var initBytes: Int
        /// Quantizer the layer was coded at, when coded at constant quality.
        public var qp: Int?
        /// Bit-rate target in kbit/s, when the layer was rate-controlled.
        public var targetKbps: Double?
        /// Luma PSNR target in dB, when the layer was rate-controlled to a quality.
        public var targetPSNRY: Double?
        /// The quantizer each segment was coded at, in segment order, when the layer was rate-controlled.
        public var segmentQPs: [Int]?
        /// How much chroma error weighed against luma error in the encoder's decisions, for an
        /// enhancement layer coded with a weight other than 1 (nil: 1).
        public var chromaWeight: Int?

        /// A layer description.
        public init(id: String, kind: LayerKind, codec: String, width: Int, height: Int, dependsOn: [String],
                    bytes: Int, kbps: Double, initSegment: String, fragments: [String], trackID: UInt32,
                    timescale: UInt32, temporalLayers: Int, fragmentBytes: [Int], initBytes: Int,
                    qp: Int? = nil, targetKbps: Double? = nil, targetPSNRY: Double? = nil, segmentQPs: [Int]? = nil,
                    chromaWeight: Int? = nil) {
            self.id = id; self.kind = kind; self.codec = codec; self.width = width; self.height = height
            self.dependsOn = dependsOn; self.bytes = bytes; self.kbps = kbps; self.initSegment = initSegment
            self.fragments = fragments; self.trackID = trackID; self.timescale = timescale
            self.temporalLayers = temporalLayers; self.fragmentBytes = fragmentBytes; self.initBytes = initBytes
            self.qp = qp; self.targetKbps = targetKbps; self.targetPSNRY = targetPSNRY; self.segmentQPs = segmentQPs
            self.chromaWeight = chromaWeight
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, codec, width, height, bytes, kbps, fragments, timescale, qp
            case dependsOn = "depends_on", initSegment = "init", trackID = "track_id"
            case temporalLayers = "temporal_layers", fragmentBytes = "fragment_bytes", initBytes = "init_bytes"
            case targetKbps = "target_kbps", targetPSNRY = "target_psnr_y", segmentQPs = "segment_qps"
            case chromaWeight = "chroma_weight"
        }
    }

    /// A manifest; `format` and `version` are set to this code's.
    public init(source: Source, segmentSeconds: Double, temporalLayers: Int, segments: [Segment], layers: [Layer]) {
        format = "strata"
        version = Self.currentVersion
        self.source = source
        self.segmentSeconds = segmentSeconds
        self.temporalLayers = temporalLayers
        self.segments = segments
        self.layers = layers
    }

    enum CodingKeys: String, CodingKey {
        case format, version, source, segments, layers
        case segmentSeconds = "segment_seconds", temporalLayers = "temporal_layers"
    }

    /// Duration of segment `index` in seconds, exact to the frame.
    public func segmentDuration(_ index: Int) -> Double {
        guard segments.indices.contains(index), source.fpsNum > 0 else { return 0 }
        return Double(segments[index].frames) * Double(source.fpsDen) / Double(source.fpsNum)
    }

    /// Duration of the whole stream in seconds.
    public var durationSeconds: Double {
        guard source.fpsNum > 0 else { return 0 }
        return segments.reduce(0.0) { $0 + Double($1.frames) } * Double(source.fpsDen) / Double(source.fpsNum)
    }

    /// The layer named `id`, if any.
    public func layer(_ id: String) -> Layer? { layers.first { $0.id == id } }

    /// UTF-8 JSON with sorted keys, pretty-printed and ending in a newline: identical bytes for identical manifests.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and finite numbers cannot fail; non-finite numbers
        // are replaced by zero in `sanitized()`.
        guard let data = try? encoder.encode(sanitized()) else { return Array("{}\n".utf8) }
        return Array(data) + [0x0A]
    }

    private func sanitized() -> StreamManifest {
        var copy = self
        func finite(_ v: Double) -> Double { v.isFinite ? v : 0 }
        copy.segmentSeconds = finite(segmentSeconds)
        for i in copy.layers.indices {
            copy.layers[i].kbps = finite(copy.layers[i].kbps)
            copy.layers[i].targetKbps = copy.layers[i].targetKbps.map(finite)
            copy.layers[i].targetPSNRY = copy.layers[i].targetPSNRY.map(finite)
        }
        return copy
    }

    /// Parses and validates manifest.json; `path` labels errors.
    ///
    /// Beyond JSON syntax it checks the rules of Specs/manifest.md: the format name, a version
    /// this code reads, sane sizes and counts, unique layer ids, dependencies only on lower
    /// layers, one fragment per segment, and relative paths that cannot leave the stream's
    /// directory (so a hostile manifest cannot make a client or server read `/etc/passwd`).
    public static func decode(_ bytes: [UInt8], path: String) throws(ContainerError) -> StreamManifest {
        guard bytes.count <= ContainerLimits.maxManifestSize else {
            throw .malformedManifest(path: path, detail: "\(bytes.count) bytes, more than the limit of \(ContainerLimits.maxManifestSize)")
        }
        let manifest: StreamManifest
        do {
            manifest = try JSONDecoder().decode(StreamManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .malformedManifest(path: path, detail: describe(error))
        } catch {
            throw .malformedManifest(path: path, detail: "\(error)")
        }
        try manifest.validate(path: path)
        return manifest
    }

    /// Checks the rules ``decode(_:path:)`` enforces; writers call it before writing.
    public func validate(path: String) throws(ContainerError) {
        func fail(_ detail: String) -> ContainerError { .malformedManifest(path: path, detail: detail) }
        guard format == "strata" else { throw fail("format is \"\(format)\", expected \"strata\"") }
        guard (1...Self.currentVersion).contains(version) else { throw fail("version \(version) is not one this reader knows (1...\(Self.currentVersion))") }
        let maxDim = ContainerLimits.maxDimension
        guard (1...maxDim).contains(source.width), (1...maxDim).contains(source.height) else {
            throw fail("source size \(source.width)x\(source.height) outside 1...\(maxDim)")
        }
        guard source.fpsNum > 0, source.fpsDen > 0 else { throw fail("frame rate \(source.fpsNum)/\(source.fpsDen) is not positive") }
        guard source.frames >= 0 else { throw fail("negative frame count") }
        guard segmentSeconds.isFinite, segmentSeconds > 0 else { throw fail("segment_seconds \(segmentSeconds) is not positive") }
        guard (1...8).contains(temporalLayers) else { throw fail("temporal_layers \(temporalLayers) outside 1...8") }
        guard segments.count <= ContainerLimits.maxSegments else { throw fail("\(segments.count) segments, limit \(ContainerLimits.maxSegments)") }
        guard (1...ContainerLimits.maxLayers).contains(layers.count) else { throw fail("\(layers.count) layers, expected 1...\(ContainerLimits.maxLayers)") }
        var nextFrame = 0
        for (i, s) in segments.enumerated() {
            guard s.index == i else { throw fail("segment \(i) has index \(s.index)") }
            guard s.firstFrame == nextFrame else { throw fail("segment \(i) starts at frame \(s.firstFrame), expected \(nextFrame)") }
            guard s.frames > 0, s.frames <= source.frames - nextFrame else { throw fail("segment \(i) has \(s.frames) frames, beyond the source's \(source.frames)") }
            nextFrame += s.frames
        }
        guard nextFrame == source.frames else { throw fail("segments cover \(nextFrame) frames, source has \(source.frames)") }
        var seen: Set<String> = []
        for (i, layer) in layers.enumerated() {
            guard !layer.id.isEmpty, !seen.contains(layer.id) else { throw fail("layer \(i) has an empty or repeated id \"\(layer.id)\"") }
            guard (i == 0) == (layer.kind == .base) else { throw fail("layer \(layer.id): only the first layer is the base") }
            for d in layer.dependsOn where !seen.contains(d) {
                throw fail("layer \(layer.id) depends on \"\(d)\", which is not a lower layer")
            }
            seen.insert(layer.id)
            guard (1...maxDim).contains(layer.width), (1...maxDim).contains(layer.height) else {
                throw fail("layer \(layer.id) size \(layer.width)x\(layer.height) outside 1...\(maxDim)")
            }
            guard layer.bytes >= 0, layer.initBytes >= 0, layer.fragmentBytes.allSatisfy({ $0 >= 0 }) else {
                throw fail("layer \(layer.id) has a negative size")
            }
            guard layer.kbps.isFinite, layer.kbps >= 0 else { throw fail("layer \(layer.id) kbps \(layer.kbps)") }
            guard layer.timescale > 0 else { throw fail("layer \(layer.id) timescale is zero") }
            guard (1...8).contains(layer.temporalLayers) else { throw fail("layer \(layer.id) temporal_layers \(layer.temporalLayers)") }
            guard layer.fragments.count == segments.count else {
                throw fail("layer \(layer.id) lists \(layer.fragments.count) fragments for \(segments.count) segments")
            }
            guard layer.fragmentBytes.count == segments.count else {
                throw fail("layer \(layer.id) lists \(layer.fragmentBytes.count) fragment sizes for \(segments.count) segments")
            }
            if let qps = layer.segmentQPs {
                guard qps.count == segments.count, qps.allSatisfy({ (0...51).contains($0) }) else {
                    throw fail("layer \(layer.id) segment_qps must hold one QP in 0...51 per segment (\(qps.count) for \(segments.count) segments)")
                }
            }
            if let weight = layer.chromaWeight, !(1...16).contains(weight) {
                throw fail("layer \(layer.id) chroma_weight \(weight) outside 1...16")
            }
            for p in [layer.initSegment] + layer.fragments where !Self.isSafeRelativePath(p) {
                throw fail("layer \(layer.id): path \"\(p)\" is not a relative path inside the stream")
            }
        }
    }

    /// True for a non-empty relative path of plain components: no `..`, no leading `/`,
    /// no backslashes, no control characters, no URL scheme or query.
    public static func isSafeRelativePath(_ p: String) -> Bool {
        guard !p.isEmpty, p.utf8.count <= 1024, !p.hasPrefix("/") else { return false }
        guard !p.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ":")
            || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "%") }) else { return false }
        return p.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != ".." && $0 != "." && !$0.isEmpty }
    }

    private static func describe(_ error: DecodingError) -> String {
        func pathString(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case let .keyNotFound(key, ctx): return "missing key \"\(key.stringValue)\" at \(pathString(ctx.codingPath).isEmpty ? "top level" : pathString(ctx.codingPath))"
        case let .typeMismatch(_, ctx): return "wrong type at \(pathString(ctx.codingPath)): \(ctx.debugDescription)"
        case let .valueNotFound(_, ctx): return "null at \(pathString(ctx.codingPath))"
        case let .dataCorrupted(ctx): return "not valid JSON\(ctx.codingPath.isEmpty ? "" : " at " + pathString(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
