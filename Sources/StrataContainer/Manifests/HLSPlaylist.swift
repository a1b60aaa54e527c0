/// base.m3u8 and other HLS media playlists (RFC 8216) over a layer's CMAF fragments.
///
/// Version 7 because fragmented MP4 with `EXT-X-MAP` needs it (RFC 8216, 4.3.2.5 and 7).
/// Only a layer any player can decode (the base) is useful to ordinary players; upper
/// layers' playlists are for Strata clients.
public enum HLSPlaylist {
    /// A VOD media playlist of `layer`'s fragments, with paths relative to the manifest's
    /// directory; an unknown layer gives a playlist with no segments.
    public static func mediaPlaylist(for manifest: StreamManifest, layer: String) -> String {
        let found = manifest.layer(layer)
        let fragments = found?.fragments ?? []
        let durations = manifest.segments.indices.map { manifest.segmentDuration($0) }
        // EXT-X-TARGETDURATION: the longest EXTINF rounded to the nearest integer (RFC 8216, 4.3.3.1).
        let target = DecimalFormatting.clampedInt(durations.max() ?? manifest.segmentSeconds, in: 1...Int(Int32.max))
        var lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:0",
                     "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"]
        if let initSegment = found?.initSegment {
            lines.append("#EXT-X-MAP:URI=\"\(initSegment)\"")
        }
        for (i, fragment) in fragments.enumerated() where i < durations.count {
            lines.append("#EXTINF:\(DecimalFormatting.fixed(durations[i], places: 6)),")
            lines.append(fragment)
        }
        lines.append("#EXT-X-ENDLIST")
        return lines.joined(separator: "\n") + "\n"
    }
}
