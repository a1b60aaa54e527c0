import AsyncHTTPClient
import Strata

/// Reads a served stream's files over HTTP, so `StreamReader` and the layered decoder work
/// on a URL exactly as on a directory (`strata decode http://...`).
public struct HTTPSource: StreamByteSource {
    /// The stream's directory URL (a trailing `/manifest.json` is removed).
    public let baseURL: String
    let fetcher: HTTPFetcher
    /// Seconds allowed for one file before the read fails.
    public var timeoutSeconds: Double

    /// Creates a source for the stream at `baseURL` (its directory or its manifest.json);
    /// `client` defaults to the process-wide shared client.
    public init(baseURL: String, client: HTTPClient = .shared, timeoutSeconds: Double = 30) throws(HTTPSourceError) {
        self.baseURL = try StreamURL.base(baseURL)
        fetcher = HTTPFetcher(client: client)
        self.timeoutSeconds = timeoutSeconds
    }

    /// The bytes of the file at `relativePath` (relative to manifest.json, e.g. `L1/3.m4s`).
    public func bytes(at relativePath: String) async throws -> [UInt8] {
        guard StreamManifest.isSafeRelativePath(relativePath) else {
            throw HTTPSourceError.invalidURL(baseURL + "/" + relativePath)
        }
        return try await fetcher.get(StreamURL.join(baseURL, relativePath), timeout: timeoutSeconds).bytes
    }
}
