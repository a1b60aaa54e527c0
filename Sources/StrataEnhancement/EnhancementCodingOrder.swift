/// The order in which the frames of a segment are coded in every enhancement layer
/// (Specs/enhancement-bitstream.md, section 3).
///
/// A frame with a later frame of a lower temporal id in its segment, its *anchor* (the earliest
/// such frame), is coded after it, so that from version 7 it may predict from it. With the base's
/// dyadic hierarchy of three temporal layers (ids 0, 2, 1, 2, 0, ...) the order is 0, 4, 2, 1, 3, 8,
/// 6, 5, 7, ...: frames of one temporal id keep their order among themselves, and each frame
/// waits for at most `2^(temporal layers - 1)` later ones. The base layer keeps presentation order.
public enum EnhancementCodingOrder {
    /// The coding order of frames with these temporal ids (in presentation order): indices into
    /// `temporalIds`, each once. Dropping the ids above any T and ordering what is left gives the
    /// same order of the frames kept.
    public static func indices(temporalIds: [Int]) -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(temporalIds.count)
        var coded = [Bool](repeating: false, count: temporalIds.count)
        // Frames waiting for their anchor, the innermost last.
        var waiting: [Int] = []
        for first in temporalIds.indices where !coded[first] {
            waiting.append(first)
            while let i = waiting.last {
                if let anchor = anchor(of: i, in: temporalIds), !coded[anchor] {
                    waiting.append(anchor)
                } else {
                    waiting.removeLast()
                    coded[i] = true
                    order.append(i)
                }
            }
        }
        return order
    }

    /// The earliest later frame with a lower temporal id than frame `i`, if any.
    static func anchor(of i: Int, in temporalIds: [Int]) -> Int? {
        var j = i + 1
        while j < temporalIds.count {
            if temporalIds[j] < temporalIds[i] { return j }
            j += 1
        }
        return nil
    }
}
