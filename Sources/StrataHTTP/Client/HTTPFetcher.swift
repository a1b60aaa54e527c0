import Foundation
import AsyncHTTPClient
import NIOCore

/// Why a file could not be fetched over HTTP.
public enum HTTPSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The base URL is not an absolute http(s) URL.
    case invalidURL(String)
    /// The server answered with a status other than 200 (or 206 for a range).
    case status(url: String, code: Int)
    /// The body ended before the announced Content-Length (connection closed early).
    case truncated(url: String, expected: Int, received: Int)
    /// The connection failed (refused, reset, closed mid-response).
    case transport(url: String, reason: String)
    /// The response did not complete within the allowed time.
    case timedOut(url: String, seconds: Double)
    /// The body is larger than the fetcher accepts.
    case tooLarge(url: String, limit: Int)

    public var description: String {
        switch self {
        case let .invalidURL(url): return "invalid stream URL '\(url)' (expected http://host[:port]/path)"
        case let .status(url, code): return "GET \(url) answered HTTP \(code)"
        case let .truncated(url, expected, received): return "GET \(url) ended after \(received) of \(expected) bytes"
        case let .transport(url, reason): return "GET \(url) failed: \(reason)"
        case let .timedOut(url, seconds): return "GET \(url) did not complete within \(String(format: "%.2f", seconds)) s"
        case let .tooLarge(url, limit): return "GET \(url) is larger than \(limit) bytes"
        }
    }
}

/// One completed download and how long it took, the sample a throughput estimate is made of.
struct TimedBody: Sendable {
    /// The body.
    var bytes: [UInt8]
    /// Seconds from sending the request to the last byte.
    var seconds: Double
}

/// Downloads whole files with AsyncHTTPClient, checking status and length, with an optional
/// time limit (an enhancement fragment is abandoned when it cannot arrive before its play time).
struct HTTPFetcher: Sendable {
    let client: HTTPClient
    /// Largest body accepted; fragments and manifests are far smaller.
    static let maximumBody = 256 << 20

    func get(_ url: String, timeout: Double?) async throws(HTTPSourceError) -> TimedBody {
        let clock = ContinuousClock()
        let start = clock.now
        let limit = timeout ?? 60
        do {
            let bytes = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask { try await self.download(url, limit: limit) }
                group.addTask {
                    try await deliverySleep(seconds: max(0, limit))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let body = first else {
                    throw HTTPSourceError.timedOut(url: url, seconds: limit)
                }
                return body
            }
            let d = clock.now - start
            return TimedBody(bytes: bytes, seconds: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        } catch let error as HTTPSourceError {
            throw error
        } catch is CancellationError {
            throw .timedOut(url: url, seconds: limit)
        } catch {
            throw .transport(url: url, reason: Self.describe(error))
        }
    }

    private func download(_ url: String, limit: Double) async throws -> [UInt8] {
        let request = HTTPClientRequest(url: url)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .milliseconds(Int64(max(1, limit * 1000) + 1000)))
        } catch {
            throw HTTPSourceError.transport(url: url, reason: Self.describe(error))
        }
        guard response.status.code == 200 else { throw HTTPSourceError.status(url: url, code: Int(response.status.code)) }
        let expected = response.headers.first(name: "content-length").flatMap { Int($0) }
        if let expected, expected > Self.maximumBody { throw HTTPSourceError.tooLarge(url: url, limit: Self.maximumBody) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expected ?? 65536)
        do {
            for try await buffer in response.body {
                bytes.append(contentsOf: buffer.readableBytesView)
                if bytes.count > Self.maximumBody { throw HTTPSourceError.tooLarge(url: url, limit: Self.maximumBody) }
            }
        } catch let error as HTTPSourceError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if let expected { throw HTTPSourceError.truncated(url: url, expected: expected, received: bytes.count) }
            throw HTTPSourceError.transport(url: url, reason: Self.describe(error))
        }
        if let expected, bytes.count != expected {
            throw HTTPSourceError.truncated(url: url, expected: expected, received: bytes.count)
        }
        return bytes
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("connectionRefused") || text.contains("Connection refused") {
            return "connection refused or unreachable"
        }
        if text.contains("remoteConnectionClosed") { return "connection closed by the server" }
        if text.contains("reset") || text.contains("ECONNRESET") { return "connection reset by the server" }
        return text
    }
}

/// Joins a stream's base URL and a manifest-relative path.
enum StreamURL {
    /// The directory URL of a stream, from either its directory or its `manifest.json` URL.
    static func base(_ url: String) throws(HTTPSourceError) -> String {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { throw .invalidURL(url) }
        let afterScheme = url.index(url.startIndex, offsetBy: lower.hasPrefix("https://") ? 8 : 7)
        guard afterScheme < url.endIndex, url[afterScheme] != "/" else { throw .invalidURL(url) }
        var base = url
        if let q = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<q]) }
        if base.hasSuffix("/manifest.json") { base.removeLast("manifest.json".count) }
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// `base/relative`, each path segment percent-encoded where needed.
    static func join(_ base: String, _ relative: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var encoded = ""
        for b in relative.utf8 {
            if allowed.contains(b) { encoded.unicodeScalars.append(UnicodeScalar(b)) } else {
                encoded += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true)
            }
        }
        while encoded.hasPrefix("/") { encoded.removeFirst() }
        return base + "/" + encoded
    }
}
