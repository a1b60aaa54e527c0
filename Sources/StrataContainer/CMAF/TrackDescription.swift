/// What a track's samples are: an H.264 base layer or a Strata enhancement layer.
public enum TrackCodec: Sendable, Hashable {
    /// An `avc1` sample entry whose `avcC` is built from these parameter sets (each a NAL unit
    /// with its header byte, no start code); profile and level are taken from the first SPS.
    case avc(sps: [[UInt8]], pps: [[UInt8]])
    /// Strata's `stre` sample entry; its `strC` box carries `configuration` untouched (the
    /// enhancement codec's own configuration record) and the layer's index in the stream.
    case strata(configuration: [UInt8], layerIndex: Int)
    /// An `avc3` sample entry: the same `avcC` as ``avc(sps:pps:)``, but the samples carry their
    /// parameter sets in-band as well, so a stream taken apart from an elementary stream keeps
    /// every NAL unit where it was and can be put back together byte for byte.
    case avcInBand(sps: [[UInt8]], pps: [[UInt8]])
    /// Strata's `stsv` sample entry for an SVC spatial layer (NAL units with a `dependency_id`
    /// above 0, kept as the source encoder wrote them); its `stsC` box carries the layer's
    /// parameter sets (subset SPS and PPS), its `dependency_id` and its index in the stream.
    case svcSpatial(parameterSets: [[UInt8]], dependencyId: Int, layerIndex: Int)

    /// The SPS and PPS of an AVC track (`avc1` or `avc3`), nil for the other sample entries.
    public var avcParameterSets: (sps: [[UInt8]], pps: [[UInt8]])? {
        switch self {
        case let .avc(sps, pps), let .avcInBand(sps, pps): return (sps, pps)
        case .strata, .svcSpatial: return nil
        }
    }

    /// The RFC 6381 `codecs` value for DASH, HLS and Media Source Extensions:
    /// `avc1.PPCCLL` (or `avc3.PPCCLL`) from the SPS, `stre.N` for an enhancement layer and
    /// `stsv.N` for an SVC spatial layer of index N.
    public var codecString: String {
        switch self {
        case let .avc(sps, _), let .avcInBand(sps, _):
            let entry = { if case .avc = self { return "avc1" } else { return "avc3" } }()
            let s = sps.first ?? []
            guard s.count >= 4 else { return entry }
            return entry + "." + s[1...3].map { hex2($0) }.joined()
        case let .strata(_, layerIndex):
            return "stre.\(layerIndex)"
        case let .svcSpatial(_, _, layerIndex):
            return "stsv.\(layerIndex)"
        }
    }
}

@inline(__always) func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}

/// One track of a layered stream: enough to write its CMAF init segment and to read its fragments.
///
/// Each layer is its own track in its own init segment, so a client fetches only the layers
/// it wants; `dependsOnTrackIDs` records which lower tracks it needs (written as `tref`/`scal`).
public struct TrackDescription: Sendable, Hashable {
    /// Track ID, unique within the stream (the base is usually 1).
    public var trackID: UInt32
    /// Ticks per second of the track's sample times; a multiple of the frame rate keeps durations exact.
    public var timescale: UInt32
    /// Picture width in luma samples.
    public var width: Int
    /// Picture height in luma samples.
    public var height: Int
    /// Sample entry of the track.
    public var codec: TrackCodec
    /// Tracks this track's samples are predicted from, lowest first.
    public var dependsOnTrackIDs: [UInt32]
    /// ISO 639-2/T language code of the `mdhd` box; `und` for video without speech.
    public var language: String
    /// The temporal ids the track's samples carry, described once in the init segment (a `tscl`
    /// sample group description in `stbl`), which every fragment's samples then refer to; empty when
    /// each fragment describes the ids it holds itself.
    public var temporalLayerIds: [Int]

    /// Describes a track; `language` must be three lowercase letters (others are written as `und`),
    /// `temporalLayerIds` ascending ids within 0...255.
    public init(trackID: UInt32, timescale: UInt32, width: Int, height: Int, codec: TrackCodec,
                dependsOnTrackIDs: [UInt32] = [], language: String = "und", temporalLayerIds: [Int] = []) {
        self.trackID = trackID
        self.timescale = timescale
        self.width = width
        self.height = height
        self.codec = codec
        self.dependsOnTrackIDs = dependsOnTrackIDs
        self.language = language
        self.temporalLayerIds = temporalLayerIds
    }
}
