/// The context states a frame's arithmetic coding starts from (Specs/enhancement-bitstream.md, 6.3).
///
/// The first frame of a segment starts from ``ContextStates/initialState`` everywhere. Up to bitstream
/// version 3 a later frame starts from the states its reference frame ended with. From version 4 it
/// starts from the states the most recent earlier frame of the segment *with its own temporal id*
/// ended with, and from its reference frame's only when there is none: frames of one temporal id share
/// a QP and much of their statistics (the top temporal layer's frames are mostly skipped, the lowest
/// layer's carry most of the residual), which the reference frame, of a lower id, does not.
/// Only frames of the same id are read, so dropping the ids above any T removes no frame's source.
///
/// Owned by one encoder or decoder; the memory is allocated once.
final class ContextInheritance {
    /// Whether frames inherit from the last frame of their own temporal id (version 4 on).
    let followsTemporalId: Bool
    /// The final states of the last frame of each temporal id in this segment, ``ContextIndex/count`` each.
    private let saved: UnsafeMutablePointer<UInt32>
    /// Which of the four ``saved`` rows hold states of this segment.
    private var held = [false, false, false, false]

    init(version: UInt8) {
        followsTemporalId = version >= 4
        saved = .allocate(capacity: 4 * ContextIndex.count)
        saved.initialize(repeating: ContextStates.initialState, count: 4 * ContextIndex.count)
    }

    deinit { saved.deallocate() }

    /// Forgets the segment's frames (the next frame is the first of a segment).
    func reset() { for t in 0..<4 { held[t] = false } }

    /// Sets `contexts` to the states a frame with temporal id `t` starts from; `reference` is the
    /// frame's reference picture (nil for the first frame of a segment, which also resets the segment).
    func load(into contexts: UnsafeMutablePointer<UInt32>, temporalId t: Int, reference: Picture?) {
        guard let reference else {
            reset()
            contexts.update(repeating: ContextStates.initialState, count: ContextIndex.count)
            return
        }
        if followsTemporalId && held[t] {
            contexts.update(from: saved + t * ContextIndex.count, count: ContextIndex.count)
        } else {
            reference.contexts.states.withUnsafeBufferPointer { contexts.update(from: $0.baseAddress!, count: ContextIndex.count) }
        }
    }

    /// Records the states a frame with temporal id `t` ended with.
    func record(_ contexts: UnsafePointer<UInt32>, temporalId t: Int) {
        guard followsTemporalId else { return }
        (saved + t * ContextIndex.count).update(from: contexts, count: ContextIndex.count)
        held[t] = true
    }
}
