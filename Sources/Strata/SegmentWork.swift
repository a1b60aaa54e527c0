import Foundation

// What the encoder and the whole-stream decoder share to work on several segments at once: the
// thread a segment's pixel work runs on, and the order its result is handed on in.

/// Runs long CPU-bound work on a Dispatch thread instead of the cooperative pool, so a
/// segment's encode or decode (seconds of pixel work) never keeps the caller's other tasks (a
/// server, a player's timers, a UI) from running.
func runOffCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// Results of numbered segments, which finish in any order, handed on in segment order from 0.
struct SegmentOrder<Value> {
    private var pending: [Int: Value] = [:]
    private var next = 0

    /// Keeps segment `index`'s `value`, then hands on every kept value that is next in order.
    mutating func add(_ value: Value, at index: Int, handOn: (Value) throws -> Void) rethrows {
        pending[index] = value
        while let ready = pending.removeValue(forKey: next) {
            try handOn(ready)
            next += 1
        }
    }
}
