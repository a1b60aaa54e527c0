import Foundation

/// One dedicated thread for the delivery module's timing-critical tasks: pacing the server's
/// writes and running the client's scheduler, with its own timers.
///
/// Swift's default executor has one thread per core, and on Linux `Task.sleep` wakes through
/// it as well. Decoding or encoding video there can hold every thread for seconds without a
/// suspension point; a pacer or a scheduler waiting there would wake seconds late, the link
/// would look slower than its trace and playback would stall on fragments that had arrived.
/// Work whose timing is the experiment runs here instead (these tasks mostly wait on sockets
/// and timers, so one thread suffices), its sleeps are timed by this thread, and the
/// operating system shares the cores between this thread and the busy ones.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *)
final class DeliveryExecutor: TaskExecutor, @unchecked Sendable {
    /// The process-wide instance; its thread lives as long as the process.
    static let shared = DeliveryExecutor()

    // Guards `jobs` and `timers`; the worker waits on it until a job or the next timer is due.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var timers: [(due: ContinuousClock.Instant, wake: SleepWaker)] = []
    private let clock = ContinuousClock()

    private init() {
        let thread = Thread { [unowned self] in self.work() }
        thread.name = "strata.delivery"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Calls `waker.fire()` on the worker thread at `due` (or soon after).
    fileprivate func schedule(_ waker: SleepWaker, at due: ContinuousClock.Instant) {
        condition.lock()
        timers.append((due, waker))
        condition.signal()
        condition.unlock()
    }

    private func work() {
        var batch: [UnownedJob] = []
        var fired: [SleepWaker] = []
        while true {
            condition.lock()
            while true {
                let now = clock.now
                timers.removeAll { timer in
                    if timer.due <= now { fired.append(timer.wake); return true }
                    return false
                }
                if !jobs.isEmpty || !fired.isEmpty { break }
                if let next = timers.map(\.due).min() {
                    let d = next - now
                    let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
                    _ = condition.wait(until: Date(timeIntervalSinceNow: max(0, seconds)))
                } else {
                    condition.wait()
                }
            }
            swap(&batch, &jobs)
            condition.unlock()
            for waker in fired { waker.fire(cancelled: false) }
            fired.removeAll(keepingCapacity: true)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

/// Resumes one sleeping task exactly once: when its timer fires or when it is cancelled.
private final class SleepWaker: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, any Error>?
    private var done = false

    /// Stores the continuation; returns false when the sleep already ended (cancelled first).
    func arm(_ c: CheckedContinuation<Void, any Error>) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if done { return false }
        continuation = c
        return true
    }

    func fire(cancelled: Bool) {
        lock.lock()
        let c = continuation
        let first = !done
        done = true
        continuation = nil
        lock.unlock()
        guard first, let c else { return }
        if cancelled { c.resume(throwing: CancellationError()) } else { c.resume() }
    }
}

/// Sleeps for `seconds`, timed by the delivery thread where the platform has task executors
/// (else by `Task.sleep`); throws `CancellationError` when the task is cancelled.
func deliverySleep(seconds: Double) async throws {
    guard seconds > 0 else { return try Task.checkCancellation() }
    if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *) {
        let executor = DeliveryExecutor.shared
        let due = ContinuousClock().now + .microseconds(Int64(seconds * 1_000_000))
        let waker = SleepWaker()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                if waker.arm(c) {
                    executor.schedule(waker, at: due)
                } else {
                    c.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            waker.fire(cancelled: true)
        }
    } else {
        try await Task.sleep(for: .microseconds(Int64(seconds * 1_000_000)))
    }
}

/// Runs `body` with the delivery thread as its tasks' preferred executor (where the platform
/// has task executors; elsewhere on the default executor).
func onDeliveryExecutor<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *) {
        return try await withTaskExecutorPreference(DeliveryExecutor.shared) { try await body() }
    }
    return try await body()
}
