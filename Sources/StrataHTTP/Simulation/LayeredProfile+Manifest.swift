import Strata

extension LayeredProfile {
    /// The profile of an encoded stream: its segment durations and fragment sizes from the
    /// manifest, and the quality of each operating point as measured elsewhere (the benchmark).
    public init(manifest: StreamManifest, name: String, quality: [Double]) {
        self.init(name: name,
                  layout: StreamLayout(segmentSeconds: manifest.segments.indices.map { manifest.segmentDuration($0) },
                                       fragmentBytes: manifest.layers.map(\.fragmentBytes)),
                  quality: quality)
    }
}
