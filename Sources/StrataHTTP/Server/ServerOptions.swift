/// What ``StreamServer`` serves and how it misbehaves on purpose.
public struct ServerOptions: Sendable {
    /// The directory served (an encode's output); nothing outside it is ever read.
    public var directory: String
    /// Address to bind; the loopback address unless the stream should be reachable from elsewhere.
    public var host: String
    /// Port to bind; 0 picks a free one (``StreamServer/start()`` returns it).
    public var port: Int
    /// Link rate over time applied to every connection; nil serves at full speed.
    public var trace: BandwidthTrace?
    /// Faults injected into matching paths, applied in order (delays add up; the first 404,
    /// reset or truncation decides the response).
    public var faults: [FaultRule]
    /// Receives one line per request (method, path, status, bytes); nil logs nothing.
    public var log: (@Sendable (String) -> Void)?

    /// Creates options for serving `directory` on `host:port`.
    public init(directory: String, host: String = "127.0.0.1", port: Int = 8080, trace: BandwidthTrace? = nil,
                faults: [FaultRule] = [], log: (@Sendable (String) -> Void)? = nil) {
        self.directory = directory
        self.host = host
        self.port = port
        self.trace = trace
        self.faults = faults
        self.log = log
    }
}

/// Why the server could not start or serve a file.
public enum StreamServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The served directory does not exist or is not a directory.
    case notADirectory(path: String)
    /// The port is outside 0...65535.
    case invalidPort(Int)
    /// Binding or running the listener failed (address in use, permission).
    case cannotListen(host: String, port: Int, reason: String)
    /// ``StreamServer/start()`` or ``StreamServer/run()`` was called on a server already running.
    case alreadyRunning
    /// A file that passed the checks could not be read (removed or shrunk while serving).
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notADirectory(path): return "cannot serve \(path): not a directory"
        case let .invalidPort(port): return "invalid port \(port) (expected 0...65535)"
        case let .cannotListen(host, port, reason): return "cannot listen on \(host):\(port): \(reason)"
        case .alreadyRunning: return "the server is already running"
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        }
    }
}
