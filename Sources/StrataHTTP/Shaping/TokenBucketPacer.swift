/// Paces one connection's writes to the rate a ``BandwidthTrace`` gives at each moment.
///
/// A token bucket: tokens (bytes) accrue at the trace's current rate, and a write of `n`
/// bytes waits until `n` tokens are there. A response starts with at most a burst of 20 ms of
/// data (what an idle connection has saved); while it is being sent, tokens accrue without a
/// cap, so timer wake-ups that come late on a loaded machine do not lower the rate. Writers
/// send chunks of ``chunkSize()`` bytes, so pacing is smooth at low rates and cheap at high
/// ones. Trace time counts from the server's start, so every connection sees the same step
/// at the same moment.
actor TokenBucketPacer {
    private let trace: BandwidthTrace
    private let origin: ContinuousClock.Instant
    private let clock = ContinuousClock()
    private var tokens: Double = 0
    private var lastRefill: ContinuousClock.Instant

    /// Longest sleep while the link is in an outage, so a rate coming back is noticed quickly.
    private static let outagePoll = 0.020

    init(trace: BandwidthTrace, origin: ContinuousClock.Instant) {
        self.trace = trace
        self.origin = origin
        lastRefill = ContinuousClock().now
    }

    private func traceSeconds(_ instant: ContinuousClock.Instant) -> Double {
        let d = instant - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Bytes per write at the current rate: about 10 ms of data, between 256 B and 64 KiB.
    func chunkSize() -> Int {
        let rate = trace.bytesPerSecond(at: traceSeconds(clock.now))
        return Int(min(65536, max(256, rate * 0.010)))
    }

    private func burst(rate: Double) -> Double { max(2 * 256, rate * 0.020) }

    private func refill(now: ContinuousClock.Instant) {
        tokens += trace.bytes(from: traceSeconds(lastRefill), to: traceSeconds(now))
        lastRefill = now
    }

    /// Starts a response: what the connection saved while idle is capped at the burst.
    func beginResponse() {
        let now = clock.now
        refill(now: now)
        tokens = min(tokens, burst(rate: trace.bytesPerSecond(at: traceSeconds(now))))
    }

    /// Waits until the link may carry `count` more bytes; throws when the task is cancelled.
    func acquire(_ count: Int) async throws {
        let need = Double(count)
        while true {
            let now = clock.now
            refill(now: now)
            if tokens >= need {
                tokens -= need
                return
            }
            let rate = trace.bytesPerSecond(at: traceSeconds(now))
            if rate <= 0 {
                try await deliverySleep(seconds: Self.outagePoll)
            } else {
                let wait = min(0.25, max(0.001, (need - tokens) / rate))
                try await deliverySleep(seconds: wait)
            }
        }
    }
}
