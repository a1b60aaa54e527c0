/// What a track's samples are: an H.264 base layer or a Strata enhancement layer.
public enum TrackCodec: Sendable, Hashable {
    /// An `avc1` sample entry whose `avcC` is built from these parameter sets (each a NAL unit
    /// with its header byte, no start code); profile and level are taken from the first SPS.
    case avc(sps: [[UInt8]], pps: [[UInt8]])
    /// Strata's `stre` sample entry; its `strC` box carries `configuration` untouched (the
    /// enhancement codec's own configuration record) and the layer's index in the stream.
    case strata(configuration: [UInt8], layerIndex: Int)

    /// The RFC 6381 `codecs` value for DASH, HLS and Media Source Extensions:
    /// `avc1.PPCCLL` from the SPS, `stre.N` for an enhancement layer of index N.
    public var codecString: String {
        switch self {
        case let .avc(sps, _):
            let s = sps.first ?? []
            guard s.count >= 4 else { return "avc1" }
            return "avc1." + s[1...3].map { hex2($0) }.joined()
        case let .strata(_, layerIndex):
            return "stre.\(layerIndex)"
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

    /// Describes a track; `language` must be three lowercase letters (others are written as `und`).
    public init(trackID: UInt32, timescale: UInt32, width: Int, height: Int, codec: TrackCodec,
                dependsOnTrackIDs: [UInt32] = [], language: String = "und") {
        self.trackID = trackID
        self.timescale = timescale
        self.width = width
        self.height = height
        self.codec = codec
        self.dependsOnTrackIDs = dependsOnTrackIDs
        self.language = language
    }
}
