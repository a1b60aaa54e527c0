import Strata

/// Opens a stream from a directory path (http(s) URLs are handled by the delivery module).
func openStream(_ location: String) async throws -> StreamReader {
    if location.hasPrefix("http://") || location.hasPrefix("https://") {
        return try await openRemoteStream(location)
    }
    return try await StreamReader(directory: location)
}

func openRemoteStream(_ url: String) async throws -> StreamReader {
    throw StrataError.unreadable(path: url, message: "http(s) streams need the delivery module")
}
