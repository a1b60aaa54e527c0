extension OutputDirectoryTransaction {
    /// Finishes a stream directory: checks `manifest`, writes manifest.json, stream.mpd and
    /// base.m3u8 (each atomically) beside the fragments already in the working directory, and
    /// swaps the directory into place. Nothing reaches the final path unless all of it succeeds.
    public func commit(manifest: StreamManifest) throws(ContainerError) {
        try manifest.validate(path: "manifest.json")
        try AtomicFile.write(manifest.encoded(), to: workingPath + "/manifest.json")
        try AtomicFile.write(Array(DASHManifest.mpd(for: manifest).utf8), to: workingPath + "/stream.mpd")
        try AtomicFile.write(Array(HLSPlaylist.mediaPlaylist(for: manifest, layer: "L0").utf8), to: workingPath + "/base.m3u8")
        try commit()
    }
}
