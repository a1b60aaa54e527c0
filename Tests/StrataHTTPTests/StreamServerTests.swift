import Foundation
import Testing
@testable import StrataHTTP

/// A directory shaped like an encode's output, with a secret beside it that must never be served.
private func makeSite() throws -> (TemporaryDirectory, String) {
    let dir = try TemporaryDirectory("site")
    try dir.write("secret.txt", Array("top secret\n".utf8))
    let root = dir.path + "/out"
    let fragment = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    try dir.write("out/manifest.json", Array("{\"format\":\"strata\"}\n".utf8))
    try dir.write("out/stream.mpd", Array("<MPD/>\n".utf8))
    try dir.write("out/base.m3u8", Array("#EXTM3U\n".utf8))
    try dir.write("out/L0/init.mp4", [0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70])
    try dir.write("out/L0/0.m4s", fragment)
    try dir.write("out/.hidden", Array("partial".utf8))
    try FileManager.default.createSymbolicLink(atPath: root + "/escape.txt", withDestinationPath: dir.path + "/secret.txt")
    try FileManager.default.createSymbolicLink(atPath: root + "/inside.m4s", withDestinationPath: root + "/L0/0.m4s")
    return (dir, root)
}

@Suite("Stream server", .timeLimit(.minutes(1)))
struct StreamServerTests {
    @Test("serves each file with its content type, validators and cache policy")
    func contentTypes() async throws {
        let (dir, root) = try makeSite()
        _ = dir
        try await withServer(ServerOptions(directory: root)) { port async throws in
            let expected = ["/manifest.json": "application/json", "/stream.mpd": "application/dash+xml",
                            "/base.m3u8": "application/vnd.apple.mpegurl", "/L0/init.mp4": "video/mp4", "/L0/0.m4s": "video/mp4"]
            for (path, type) in expected {
                let r = try await RawHTTP.request(port: port, target: path)
                #expect(r.status == 200, "\(path)")
                #expect(r.headers["content-type"] == type, "\(path)")
                #expect(r.headers["etag"]?.hasPrefix("\"") == true)
                #expect(r.headers["last-modified"]?.hasSuffix(" GMT") == true)
                #expect(r.headers["accept-ranges"] == "bytes")
            }
            #expect(try await RawHTTP.request(port: port, target: "/manifest.json").headers["cache-control"] == "no-cache")
            #expect(try await RawHTTP.request(port: port, target: "/L0/0.m4s").headers["cache-control"]?.contains("max-age") == true)
            let full = try await RawHTTP.request(port: port, target: "/L0/0.m4s")
            #expect(full.body.count == 1000)
            #expect(full.body[999] == UInt8(truncatingIfNeeded: 999 &* 7 &+ 3))
        }
    }

    @Test("answers single byte ranges with 206 and Content-Range, and 416 past the end")
    func byteRanges() async throws {
        let (dir, root) = try makeSite()
        _ = dir
        let fragment = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try await withServer(ServerOptions(directory: root)) { port async throws in
            let middle = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=100-199")])
            #expect(middle.status == 206)
            #expect(middle.headers["content-range"] == "bytes 100-199/1000")
            #expect(middle.headers["content-length"] == "100")
            #expect(middle.body == Array(fragment[100...199]))

            let open = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=990-")])
            #expect(open.status == 206 && open.body == Array(fragment[990...]))
            let suffix = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=-5")])
            #expect(suffix.headers["content-range"] == "bytes 995-999/1000" && suffix.body == Array(fragment[995...]))
            let clamped = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=900-5000")])
            #expect(clamped.headers["content-range"] == "bytes 900-999/1000" && clamped.body.count == 100)

            let past = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=1000-1010")])
            #expect(past.status == 416)
            #expect(past.headers["content-range"] == "bytes */1000")

            let multi = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=0-1,5-6")])
            #expect(multi.status == 200 && multi.body.count == 1000)

            let head = try await RawHTTP.request(port: port, method: "HEAD", target: "/L0/0.m4s")
            #expect(head.status == 200 && head.headers["content-length"] == "1000" && head.body.isEmpty)
        }
    }

    @Test("revalidates with If-None-Match (304) and refuses other methods")
    func conditionalRequests() async throws {
        let (dir, root) = try makeSite()
        _ = dir
        try await withServer(ServerOptions(directory: root)) { port async throws in
            let first = try await RawHTTP.request(port: port, target: "/L0/0.m4s")
            let etag = try #require(first.headers["etag"])
            let again = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("If-None-Match", etag)])
            #expect(again.status == 304 && again.body.isEmpty && again.headers["etag"] == etag)
            let other = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("If-None-Match", "\"nope\"")])
            #expect(other.status == 200 && other.body.count == 1000)
            let since = try #require(first.headers["last-modified"])
            #expect(try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("If-Modified-Since", since)]).status == 304)
            let staleRange = try await RawHTTP.request(port: port, target: "/L0/0.m4s", headers: [("Range", "bytes=0-9"), ("If-Range", "\"old\"")])
            #expect(staleRange.status == 200 && staleRange.body.count == 1000)
            #expect(try await RawHTTP.request(port: port, method: "POST", target: "/L0/0.m4s").status == 405)
        }
    }

    @Test("refuses paths that leave the served directory", arguments: [
        "/../secret.txt", "/L0/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/L0/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt", "/%2fetc%2fpasswd", "/escape.txt", "/L0/..%5c..%5csecret.txt",
    ])
    func traversalRefused(target: String) async throws {
        let (dir, root) = try makeSite()
        _ = dir
        try await withServer(ServerOptions(directory: root)) { port async throws in
            let r = try await RawHTTP.request(port: port, target: target)
            #expect(r.status == 403 || r.status == 400 || r.status == 404, "\(target) answered \(r.status)")
            #expect(!r.text.contains("top secret"))
        }
    }

    @Test("treats absolute paths as inside the root and never serves hidden or outside files")
    func absoluteAndHiddenPaths() async throws {
        let (dir, root) = try makeSite()
        _ = dir
        try await withServer(ServerOptions(directory: root)) { port async throws in
            // An absolute file-system path in the target is looked up under the root: not found.
            #expect(try await RawHTTP.request(port: port, target: dir.path + "/secret.txt").status == 404)
            #expect(try await RawHTTP.request(port: port, target: "//etc/passwd").status == 404)
            #expect(try await RawHTTP.request(port: port, target: "/.hidden").status == 404)
            #expect(try await RawHTTP.request(port: port, target: "/L0").status == 404)
            // A link that stays inside the root is served.
            #expect(try await RawHTTP.request(port: port, target: "/inside.m4s").body.count == 1000)
            // Absolute-form targets keep only their path.
            #expect(try await RawHTTP.request(port: port, target: "http://example.invalid/L0/0.m4s").body.count == 1000)
        }
    }

    @Test("injects 404, truncation and delay faults only on matching paths")
    func faults() async throws {
        let (dir, root) = try makeSite()
        _ = dir
        let rules = try ["L0/0.m4s=truncate:0.25", "*.mpd=404", "base.m3u8=delay:300"].map { try FaultRule(parsing: $0) }
        try await withServer(ServerOptions(directory: root, faults: rules)) { port async throws in
            #expect(try await RawHTTP.request(port: port, target: "/stream.mpd").status == 404)
            let cut = try await RawHTTP.request(port: port, target: "/L0/0.m4s")
            #expect(cut.headers["content-length"] == "1000")
            #expect(cut.body.count == 250)
            let delayed = try await RawHTTP.request(port: port, target: "/base.m3u8")
            #expect(delayed.status == 200)
            #expect(delayed.seconds >= 0.29)
            #expect(try await RawHTTP.request(port: port, target: "/L0/init.mp4").body.count == 8)
        }
    }

    @Test("resets the connection for a reset fault")
    func resetFault() async throws {
        let (dir, root) = try makeSite()
        _ = dir
        try await withServer(ServerOptions(directory: root, faults: [FaultRule(pattern: "L0/*.m4s", action: .reset)])) { port async throws in
            await #expect(throws: (any Error).self) { try await RawHTTP.request(port: port, target: "/L0/0.m4s") }
            #expect(try await RawHTTP.request(port: port, target: "/manifest.json").status == 200)
        }
    }

    @Test("paces bodies to the trace's rate")
    func pacing() async throws {
        let dir = try TemporaryDirectory("paced")
        try dir.write("big.m4s", [UInt8](repeating: 1, count: 40_000))
        // 400 kbit/s = 50 000 B/s: 40 000 bytes take about 0.8 s.
        try await withServer(ServerOptions(directory: dir.path, trace: .constant(kbps: 400))) { port async throws in
            let r = try await RawHTTP.request(port: port, target: "/big.m4s")
            #expect(r.body.count == 40_000)
            #expect(r.seconds >= 0.65, "took \(r.seconds) seconds")
            #expect(r.seconds <= 2.0, "took \(r.seconds) seconds")
        }
    }

    @Test("reports a missing directory and a busy port as errors")
    func startErrors() async throws {
        await #expect(throws: StreamServerError.notADirectory(path: "/nonexistent/strata")) {
            _ = try await StreamServer(options: ServerOptions(directory: "/nonexistent/strata", port: 0)).start()
        }
        let dir = try TemporaryDirectory("busy")
        try await withServer(ServerOptions(directory: dir.path)) { port async throws in
            let second = StreamServer(options: ServerOptions(directory: dir.path, port: port))
            await #expect(throws: (any Error).self) { _ = try await second.start() }
        }
    }
}
