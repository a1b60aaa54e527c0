import Foundation
import Hummingbird
import Logging
import NIOCore

/// Serves an encode's output over HTTP/1.1: manifests, init segments and fragments, with
/// byte ranges, validators and cache headers, optionally through a shaped link and with
/// injected faults, so the progressive client can be tried against real conditions.
///
/// `run()` serves until its task is cancelled (the command line); `start()` returns once the
/// port is bound and `stop()` shuts down (tests, which bind port 0).
public final class StreamServer: @unchecked Sendable {
    /// The options the server was made with.
    public let options: ServerOptions
    // Guards `task`; start/stop may be called from any task.
    private let lock = NSLock()
    private var task: Task<Void, any Error>?

    /// Creates a server; nothing is bound until ``run()`` or ``start()``.
    public init(options: ServerOptions) {
        self.options = options
    }

    /// Serves until the calling task is cancelled or the process receives SIGINT or SIGTERM
    /// (then it closes the listener, lets responses in flight finish and returns); throws if
    /// the directory is missing or the address cannot be bound. `onListening` receives the
    /// bound port once the server accepts connections.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = try makeApplication(onRunning: onListening)
        try await onDeliveryExecutor { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) }
    }

    /// Starts serving in the background and returns the bound port (useful with port 0).
    public func start() async throws -> Int {
        let signal = StartSignal()
        let app = try makeApplication(onRunning: { port in signal.resolve(.success(port)) })
        let started: Task<Void, any Error> = Task {
            do {
                try await onDeliveryExecutor { try await app.run() }
                signal.resolve(.failure(StreamServerError.cannotListen(host: self.options.host, port: self.options.port, reason: "server stopped before listening")))
            } catch {
                signal.resolve(.failure(StreamServerError.cannotListen(host: self.options.host, port: self.options.port, reason: "\(error)")))
                throw error
            }
        }
        let alreadyRunning: Bool = lock.withLock {
            if task != nil { return true }
            task = started
            return false
        }
        if alreadyRunning {
            started.cancel()
            throw StreamServerError.alreadyRunning
        }
        do {
            return try await signal.value()
        } catch {
            await stop()
            throw error
        }
    }

    /// Stops a server started with ``start()`` and waits until it has closed its listener.
    public func stop() async {
        let running: Task<Void, any Error>? = lock.withLock {
            let t = task
            task = nil
            return t
        }
        guard let running else { return }
        running.cancel()
        _ = try? await running.value
    }

    private func makeApplication(onRunning: @escaping @Sendable (Int) -> Void) throws -> some ApplicationProtocol {
        guard (0...65535).contains(options.port) else { throw StreamServerError.invalidPort(options.port) }
        guard let root = ServedPath.realPath(options.directory), FileInfo(path: root)?.isDirectory == true else {
            throw StreamServerError.notADirectory(path: options.directory)
        }
        let pacers = options.trace.map { PacerRegistry(trace: $0, origin: ContinuousClock().now) }
        let responder = StreamResponder(root: root == "/" ? "" : root, faults: options.faults, pacers: pacers, log: options.log)
        var logger = Logger(label: "strata.serve")
        logger.logLevel = .critical
        return Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "strata"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }
}

/// A one-shot result handed from the server task to `start()`, whichever side comes first.
private final class StartSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Int, any Error>?
    private var waiter: CheckedContinuation<Int, any Error>?

    func resolve(_ value: Result<Int, any Error>) {
        let w: CheckedContinuation<Int, any Error>? = lock.withLock {
            guard result == nil else { return nil }
            result = value
            let w = waiter
            waiter = nil
            return w
        }
        w?.resume(with: value)
    }

    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = lock.withLock {
                if let result { return result }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
