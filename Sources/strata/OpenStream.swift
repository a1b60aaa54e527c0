import Strata
import StrataHTTP

/// Opens a stream from a directory path (http(s) URLs are handled by the delivery module).
func openStream(_ location: String) async throws -> StreamReader {
    if location.hasPrefix("http://") || location.hasPrefix("https://") {
        return try await openRemoteStream(location)
    }
    return try await StreamReader(directory: location)
}

/// Opens a stream served over HTTP, through the same fetching code as `strata play`.
func openRemoteStream(_ url: String) async throws -> StreamReader {
    try await StreamReader(source: HTTPSource(baseURL: url))
}
