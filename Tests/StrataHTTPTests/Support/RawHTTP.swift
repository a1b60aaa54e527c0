import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client over a blocking socket, so tests can send request targets that
/// URL libraries would normalise away (`/../x`, `%2e%2e`) and see every header as sent.
struct RawResponse {
    var status: Int
    var headers: [String: String]   // lower-cased names
    var body: [UInt8]
    /// Seconds from connecting to the end of the response, measured on the socket's thread (so
    /// a busy test process does not inflate it).
    var seconds: Double
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum RawHTTPError: Error, CustomStringConvertible {
    case socket(String)
    case malformed(String)
    var description: String {
        switch self {
        case let .socket(m): return "socket: \(m)"
        case let .malformed(m): return "malformed response: \(m)"
        }
    }
}

enum RawHTTP {
    /// Sends one request with `Connection: close` to 127.0.0.1:`port` and reads the response to
    /// the end (5 s receive timeout). The blocking socket runs on its own thread, so it never
    /// holds one of the few threads the server's tasks need.
    static func request(port: Int, method: String = "GET", target: String, headers: [(String, String)] = []) async throws -> RawResponse {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try blockingRequest(port: port, method: method, target: target, headers: headers) })
            }
            thread.start()
        }
    }

    private static func blockingRequest(port: Int, method: String, target: String, headers: [(String, String)]) throws -> RawResponse {
        let clock = ContinuousClock()
        let start = clock.now
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError.socket("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawHTTPError.socket("connect failed: \(String(cString: strerror(errno)))") }
        var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (k, v) in headers { request += "\(k): \(v)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw RawHTTPError.socket("send failed") }
            sent += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<100_000 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        guard let split = findHeaderEnd(data) else { throw RawHTTPError.malformed("no header end in \(data.count) bytes") }
        let head = String(decoding: data[0..<split], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else { throw RawHTTPError.malformed("status line") }
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: " ")
        }
        let d = clock.now - start
        return RawResponse(status: status, headers: fields, body: Array(data[(split + 4)...]),
                           seconds: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    private static func findHeaderEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for i in 0...(data.count - 4) where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 { return i }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
