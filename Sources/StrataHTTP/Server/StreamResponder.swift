import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The request context of the stream server: Hummingbird's core storage plus the connection,
/// which keys the per-connection pacer and lets a fault reset the socket.
struct StreamRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// One pacer per open connection, dropped when the connection closes.
actor PacerRegistry {
    private let trace: BandwidthTrace
    private let origin: ContinuousClock.Instant
    private var pacers: [ObjectIdentifier: TokenBucketPacer] = [:]

    init(trace: BandwidthTrace, origin: ContinuousClock.Instant) {
        self.trace = trace
        self.origin = origin
    }

    func pacer(for channel: any Channel) -> TokenBucketPacer {
        let key = ObjectIdentifier(channel)
        if let p = pacers[key] { return p }
        let p = TokenBucketPacer(trace: trace, origin: origin)
        pacers[key] = p
        channel.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            Task { await self.remove(key) }
        }
        return p
    }

    private func remove(_ key: ObjectIdentifier) { pacers[key] = nil }
}

/// An error thrown from a body writer to cut the connection short on purpose.
struct InjectedTruncation: Error {}

/// Answers GET and HEAD for files under the served directory: ranges, validators, faults, pacing.
struct StreamResponder: HTTPResponder {
    typealias Context = StreamRequestContext

    let root: String
    let faults: [FaultRule]
    let pacers: PacerRegistry?
    let log: (@Sendable (String) -> Void)?

    func respond(to request: Request, context: StreamRequestContext) async throws -> Response {
        let target = request.head.path ?? "/"
        let method = request.method
        guard method == .get || method == .head else {
            return finish(request, plain(.methodNotAllowed, "method not allowed\n", extra: [.allow: "GET, HEAD"]), bytes: 0)
        }
        let resolved = ServedPath.resolve(target: target, root: root)
        let relative: String, absolute: String, info: FileInfo
        switch resolved {
        case let .file(r, a, i): (relative, absolute, info) = (r, a, i)
        case let .refused(reason): return finish(request, plain(.forbidden, "forbidden: \(reason)\n"), bytes: 0)
        case let .malformed(reason): return finish(request, plain(.badRequest, "bad request: \(reason)\n"), bytes: 0)
        case .notFound: return finish(request, plain(.notFound, "not found\n"), bytes: 0)
        }

        // Faults: delays add up, the first terminal action decides.
        var delayMilliseconds = 0
        var terminal: FaultRule.Action?
        for rule in faults where rule.matches(relative) {
            if case let .delay(ms) = rule.action { delayMilliseconds += ms } else if terminal == nil { terminal = rule.action }
        }
        if delayMilliseconds > 0 { try await deliverySleep(seconds: Double(delayMilliseconds) / 1000) }
        var truncation: Double?
        switch terminal {
        case .notFound: return finish(request, plain(.notFound, "not found\n"), bytes: 0)
        case .reset:
            log?("\(method) \(target) reset (injected)")
            await resetConnection(context.channel)
            throw InjectedTruncation()
        case let .truncate(fraction): truncation = fraction
        case .delay, nil: break
        }

        var headers: HTTPFields = [:]
        let etag = info.entityTag
        headers[.eTag] = etag
        headers[.lastModified] = HTTPDate.format(info.modifiedSeconds)
        headers[.cacheControl] = ContentType.cacheControl(forPath: relative)
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = ContentType.forPath(relative)

        if let inm = request.headers[.ifNoneMatch] {
            if Self.entityTagListMatches(inm, etag) {
                headers[.contentType] = nil
                return finish(request, Response(status: .notModified, headers: headers, body: .init()), bytes: 0)
            }
        } else if let ims = request.headers[.ifModifiedSince], let since = HTTPDate.parse(ims), info.modifiedSeconds <= since {
            headers[.contentType] = nil
            return finish(request, Response(status: .notModified, headers: headers, body: .init()), bytes: 0)
        }

        var range = RangeRequest.parse(request.headers[.range], size: info.size)
        if let ifRange = request.headers[.ifRange], ifRange.trimmingSpaces() != etag { range = .whole }
        let status: HTTPResponse.Status
        let first: Int, count: Int
        switch range {
        case .whole:
            (status, first, count) = (.ok, 0, info.size)
        case let .partial(a, b):
            (status, first, count) = (.partialContent, a, b - a + 1)
            headers[.contentRange] = "bytes \(a)-\(b)/\(info.size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(info.size)"
            headers[.contentType] = "text/plain; charset=utf-8"
            let body = "range not satisfiable\n"
            headers[.contentLength] = "\(body.utf8.count)"
            return finish(request, Response(status: .rangeNotSatisfiable, headers: headers,
                                            body: method == .head ? .init() : .init(byteBuffer: ByteBuffer(string: body))), bytes: 0)
        }
        headers[.contentLength] = "\(count)"
        if method == .head { return finish(request, Response(status: status, headers: headers, body: .init()), bytes: 0) }

        let bytes = try FileBytes.read(path: absolute, offset: first, count: count)
        let pacer = await pacers?.pacer(for: context.channel)
        if pacer == nil && truncation == nil {
            return finish(request, Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes))), bytes: count)
        }
        let sendLimit = truncation.map { Int(Double(count) * $0) } ?? count
        let body = ResponseBody(contentLength: count) { writer in
            await pacer?.beginResponse()
            var offset = 0
            while offset < sendLimit {
                let chunk = min(sendLimit - offset, await pacer?.chunkSize() ?? 65536)
                try await pacer?.acquire(chunk)
                try await writer.write(ByteBuffer(bytes: bytes[offset..<(offset + chunk)]))
                offset += chunk
            }
            if sendLimit < count { throw InjectedTruncation() }
            try await writer.finish(nil)
        }
        let note = truncation.map { " truncated to \(Int(Double(count) * $0)) bytes (injected)" } ?? ""
        return finish(request, Response(status: status, headers: headers, body: body), bytes: count, note: note)
    }

    private func plain(_ status: HTTPResponse.Status, _ text: String, extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.contentLength] = "\(text.utf8.count)"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func finish(_ request: Request, _ response: Response, bytes: Int, note: String = "") -> Response {
        log?("\(request.method) \(request.head.path ?? "/") \(response.status.code) \(bytes) bytes\(note)")
        if request.method == .head { return Response(status: response.status, headers: response.headers, body: .init()) }
        return response
    }

    /// True when an If-None-Match list holds `*` or `etag` (weak comparison, RFC 9110 section 13.1.2).
    static func entityTagListMatches(_ list: String, _ etag: String) -> Bool {
        let strip: (String) -> String = { $0.hasPrefix("W/") ? String($0.dropFirst(2)) : $0 }
        for item in list.split(separator: ",") {
            let tag = item.trimmingSpaces()
            if tag == "*" || strip(tag) == strip(etag) { return true }
        }
        return false
    }

    /// Closes the connection with a TCP reset: SO_LINGER with a zero timeout makes close() send RST.
    private func resetConnection(_ channel: any Channel) async {
        if let provider = channel as? any SocketOptionProvider {
            _ = try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close().get()
    }
}

