import StrataCore

/// One plane of a coded picture: the coded area (the layer size rounded up to whole macroblocks)
/// surrounded by a margin that ``extendBorders()`` fills by edge replication, so motion vectors may
/// point outside the picture without per-sample clamping.
///
/// Owns its memory; allocated once per decoder or encoder and reused for every frame.
final class PicturePlane {
    /// Coded width (a multiple of the macroblock width of this plane).
    let width: Int
    /// Coded height.
    let height: Int
    /// Replicated border on every side, in samples.
    let margin: Int
    /// Distance between rows in bytes.
    let stride: Int
    private let storage: UnsafeMutablePointer<UInt8>
    private let count: Int
    /// Sample (0, 0) of the coded area.
    let origin: UnsafeMutablePointer<UInt8>

    init(width: Int, height: Int, margin: Int) {
        self.width = width
        self.height = height
        self.margin = margin
        stride = (width + 2 * margin + 63) / 64 * 64
        count = stride * (height + 2 * margin)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count + 64, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 128, count: count + 64)
        storage = raw.assumingMemoryBound(to: UInt8.self)
        origin = storage + margin * stride + margin
    }

    deinit { UnsafeMutableRawPointer(storage).deallocate() }

    /// Fills the margin by replicating the outermost samples of the coded area.
    func extendBorders() {
        guard margin > 0 else { return }
        // Left and right margins in 16-byte stores (a library fill call per row side cost more than the
        // stores themselves); the last store of a side is placed to end exactly at the margin's edge.
        let fullStores = margin >= 16
        for y in 0..<height {
            let row = origin + y * stride
            if fullStores {
                let left = SIMD16<UInt8>(repeating: row[0]), right = SIMD16<UInt8>(repeating: row[width - 1])
                var x = 0
                while x < margin {
                    let at = min(x, margin - 16)
                    UnsafeMutableRawPointer(row - margin + at).storeBytes(of: left, as: SIMD16<UInt8>.self)
                    UnsafeMutableRawPointer(row + width + at).storeBytes(of: right, as: SIMD16<UInt8>.self)
                    x += 16
                }
            } else {
                row.advanced(by: -margin).update(repeating: row[0], count: margin)
                (row + width).update(repeating: row[width - 1], count: margin)
            }
        }
        let first = origin - margin, last = origin + (height - 1) * stride - margin
        for y in 1...margin {
            (first - y * stride).update(from: first, count: width + 2 * margin)
            (last + y * stride).update(from: last, count: width + 2 * margin)
        }
    }

    /// Copies a visible plane into the coded area and replicates its last column and row into the
    /// coded area beyond it (the normative padding of a picture whose size is not a macroblock multiple).
    func load(_ plane: Plane) {
        let w = min(plane.width, width), h = min(plane.height, height)
        plane.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let row = origin + y * stride
                row.update(from: src.baseAddress! + y * plane.stride, count: w)
                if w < width { (row + w).update(repeating: row[w - 1], count: width - w) }
            }
        }
        padBelow(visibleHeight: h)
    }

    /// Replicates row `visibleHeight - 1` into the remaining rows of the coded area.
    func padBelow(visibleHeight h: Int) {
        guard h < height else { return }
        let last = origin + (h - 1) * stride
        for y in h..<height { (origin + y * stride).update(from: last, count: width) }
    }

    /// Replicates column `visibleWidth - 1` into the remaining columns of the coded area, rows `0..<rows`.
    func padRight(visibleWidth w: Int, rows: Int) { padRight(visibleWidth: w, rows: 0..<rows) }

    /// Replicates column `visibleWidth - 1` into the remaining columns of the coded area, rows `rows`.
    func padRight(visibleWidth w: Int, rows: Range<Int>) {
        guard w < width else { return }
        for y in rows {
            let row = origin + y * stride
            (row + w).update(repeating: row[w - 1], count: width - w)
        }
    }

    /// Copies the top-left `plane.width x plane.height` samples into a visible plane.
    func store(into plane: inout Plane) {
        let w = plane.width, h = plane.height, dstStride = plane.stride
        plane.withUnsafeMutableBufferPointer { dst in
            for y in 0..<h {
                (dst.baseAddress! + y * dstStride).update(from: origin + y * stride, count: w)
            }
        }
    }

    /// Copies the whole coded area of `other` (same geometry) into this plane.
    func copyCodedArea(from other: PicturePlane) {
        for y in 0..<height { (origin + y * stride).update(from: other.origin + y * other.stride, count: width) }
    }
}

/// A coded picture of a layer: three planes plus what later pictures inherit from it
/// (motion field for the encoder's candidates, entropy context states).
final class Picture {
    let luma: PicturePlane
    let cb: PicturePlane
    let cr: PicturePlane
    /// Motion vector of each macroblock in quarter-pel units, (x, y) interleaved; zero where none.
    /// Kept by the encoder (its search candidates); the decoder has no use for it.
    let motion: UnsafeMutablePointer<Int32>
    /// Entropy context states at the end of this picture's coding, inherited by pictures that reference it.
    var contexts: ContextStates
    /// The upsampled lower layer of the same instant (the inter-layer prediction), kept with reference
    /// pictures for differential prediction.
    let upsampledLower: Picture?

    init(geometry: LayerGeometry, margin: Int, withUpsampledLower: Bool = false) {
        upsampledLower = withUpsampledLower ? Picture(geometry: geometry, margin: margin) : nil
        luma = PicturePlane(width: geometry.codedWidth, height: geometry.codedHeight, margin: margin)
        cb = PicturePlane(width: geometry.codedWidth / 2, height: geometry.codedHeight / 2, margin: margin / 2)
        cr = PicturePlane(width: geometry.codedWidth / 2, height: geometry.codedHeight / 2, margin: margin / 2)
        motion = .allocate(capacity: geometry.macroblockCount * 2)
        motion.initialize(repeating: 0, count: geometry.macroblockCount * 2)
        contexts = ContextStates()
    }

    deinit { motion.deallocate() }

    /// Position of the picture in its segment (0 for the first frame), set when it is decoded: a
    /// decoder reading the lower layer's pictures in place checks that the two layers' references agree.
    var instant = -1

    /// Whether the picture was decoded over a lower decoder's picture of its own size read in place
    /// (``EnhancementDecoder/decodeFrame(payload:over:temporalId:)``): that picture, not
    /// ``upsampledLower``, is the picture's inter-layer prediction, and the lower decoder keeps it.
    var lowerHeldBelow = false

    /// The decoded lower layer when it is this layer's size and ``upsampledLower`` does not hold it yet:
    /// the decoder reads such a lower layer in place and copies it only when the picture becomes a
    /// reference (``prepareAsReference()``), so pictures nothing references never copy it.
    var deferredLower: Frame?

    /// Set while the decoder forms ``upsampledLower`` a macroblock row at a time, as macroblocks first
    /// need it (``formedBands``), from this source; nil once it is whole, or when it was formed at once.
    /// A picture nothing references, or whose references never read its inter-layer prediction
    /// (DIFFERENTIAL macroblocks do), never forms the rows no macroblock of its own predicted from.
    var pendingLower: LowerLayerSource?
    /// Per macroblock row of ``upsampledLower``, whether it is formed (while ``pendingLower`` is set).
    private(set) var formedBands: [Bool] = []

    /// Starts forming ``upsampledLower`` on demand from `source` (`bands` macroblock rows).
    func beginPendingLower(_ source: LowerLayerSource, bands: Int) {
        pendingLower = source
        if formedBands.count != bands { formedBands = [Bool](repeating: false, count: bands) }
        for b in 0..<bands { formedBands[b] = false }
    }

    /// Records that macroblock row `band` of ``upsampledLower`` is formed.
    func markBandFormed(_ band: Int) { formedBands[band] = true }

    /// Whether the margins hold the replicated edges of the current samples (of this picture and of
    /// ``upsampledLower``). Margins are filled only once a later frame predicts from the picture, so
    /// pictures no frame references (the top temporal layer's) never pay for it.
    private var bordersExtended = false

    /// Counts the rewrites of the samples, so what is derived from them (the encoder's search
    /// planes) knows when it is stale.
    private(set) var version = 0

    /// Records that the samples were rewritten: the margins are stale.
    func samplesChanged() {
        bordersExtended = false
        version &+= 1
    }

    /// Fills the margins of this picture and of its ``upsampledLower``, once per contents, before
    /// motion-compensated prediction reads beyond the coded area.
    func prepareAsReference() {
        guard !bordersExtended else { return }
        if let lower = deferredLower, let upsampledLower {
            // The lower layer was read in place while this picture was decoded; a later picture
            // predicts from it now, so it becomes a picture with margins.
            upsampledLower.luma.load(lower.luma)
            upsampledLower.cb.load(lower.cb)
            upsampledLower.cr.load(lower.cr)
            deferredLower = nil
        }
        extendBorders()
        // An inter-layer prediction still formed on demand gets its margins when it is completed.
        if !lowerHeldBelow && pendingLower == nil { upsampledLower?.extendBorders() }
        bordersExtended = true
    }

    /// Plane 0 (luma), 1 (Cb) or 2 (Cr).
    @inline(__always) func plane(_ index: Int) -> PicturePlane { index == 0 ? luma : (index == 1 ? cb : cr) }

    func extendBorders() {
        luma.extendBorders()
        cb.extendBorders()
        cr.extendBorders()
    }

    /// The visible picture as a ``Frame``.
    func frame(width: Int, height: Int) -> Frame {
        var frame = Frame.forOverwrite(width: width, height: height)
        luma.store(into: &frame.luma)
        cb.store(into: &frame.cb)
        cr.store(into: &frame.cr)
        return frame
    }
}

/// Sizes derived from the layer parameters: coded (macroblock-aligned) size and macroblock counts.
struct LayerGeometry: Sendable {
    let width: Int, height: Int
    let codedWidth: Int, codedHeight: Int
    let macroblocksWide: Int, macroblocksHigh: Int
    var macroblockCount: Int { macroblocksWide * macroblocksHigh }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        macroblocksWide = (width + 15) / 16
        macroblocksHigh = (height + 15) / 16
        codedWidth = macroblocksWide * 16
        codedHeight = macroblocksHigh * 16
    }
}

/// The pictures of a segment that later frames may still reference (Specs/enhancement-bitstream.md,
/// section 3), each with its instant (position in the segment) and temporal id, and the pool of
/// pictures they are drawn from.
///
/// A frame at instant n with temporal id t references *forward* the latest earlier picture whose id
/// is <= t, and (from version 7) *backward* the earliest later picture whose id is < t, which the
/// coding order (``EnhancementCodingOrder``) codes first. Dropping the ids above any T removes no
/// reference of the frames kept. A picture is let go as soon as no frame still to come can reference
/// it (``mayBeReferenced(_:)``), which the instants recorded so far tell: the top temporal layer's
/// pictures at once, the others when the frames around them are done; and, as a bound when frames
/// are missing, every picture before the second-latest one of temporal id 0 (in coding order no
/// frame still to come lies before it). The pool grows as the frames held at once need (at most 5
/// pictures, the one being coded included, with four temporal layers, in coding order or in
/// presentation order; 10 and 17 when only that bound let pictures go), and its pictures are reused.
final class ReferenceSet {
    private struct Entry {
        let picture: Picture
        let instant: Int
        let temporalId: Int
    }
    private var entries: [Entry] = []
    /// The temporal id of every frame of the segment recorded so far, by instant.
    private var recorded: [Int: Int] = [:]
    private var pool: [Picture] = []
    private let makePicture: () -> Picture

    /// `makePicture` creates a pool picture when every one is held.
    init(makePicture: @escaping () -> Picture) { self.makePicture = makePicture }

    /// Forgets the segment's pictures (the pool stays). No frame will be recorded at `omitted`
    /// (frames of temporal ids the caller leaves out): they reference nothing and nothing waits for
    /// them, so the pictures around them are let go as if they had been done, and a frame given at
    /// one of them is refused.
    func reset(omitting omitted: [Int] = []) {
        entries.removeAll(keepingCapacity: true)
        recorded.removeAll(keepingCapacity: true)
        for instant in omitted { recorded[instant] = ReferenceSet.omitted }
    }

    /// The temporal id ``recorded`` holds for an instant left out: above every id, so the walks of
    /// ``mayBeReferenced(instant:temporalId:)`` pass it like a frame that references no picture it asks about.
    private static let omitted = Int.max

    /// The forward reference of a frame at `instant` with temporal id `t`: the latest earlier picture whose id is <= t.
    func forward(of instant: Int, temporalId t: Int) -> Picture? {
        var best: Entry?
        for e in entries where e.instant < instant && e.temporalId <= t && e.instant > (best?.instant ?? -1) { best = e }
        return best?.picture
    }

    /// The backward reference of a frame at `instant` with temporal id `t`: the earliest later picture whose id is < t.
    func backward(of instant: Int, temporalId t: Int) -> Picture? {
        var best: Entry?
        for e in entries where e.instant > instant && e.temporalId < t && e.instant < (best?.instant ?? Int.max) { best = e }
        return best?.picture
    }

    /// Whether a frame of the segment was recorded at `instant` (its picture held or let go).
    func contains(instant: Int) -> Bool { recorded[instant] != nil }

    /// The instant of a frame given at `position` (the next one, `next`, when nil); throws when it is
    /// negative or a picture of the segment was recorded there already.
    func instant(for position: Int?, next: Int) throws(EnhancementError) -> Int {
        let instant = position ?? next
        guard instant >= 0, !contains(instant: instant) else { throw .invalidPosition(instant) }
        return instant
    }

    /// Records `picture`, decoded at `instant` with temporal id `t`, and lets go of the pictures no frame still to come references.
    func insert(_ picture: Picture, instant: Int, temporalId t: Int) {
        recorded[instant] = t
        entries.append(Entry(picture: picture, instant: instant, temporalId: t))
        let oldest = oldestKept
        entries.removeAll { $0.instant < oldest || !mayBeReferenced(instant: $0.instant, temporalId: $0.temporalId) }
    }

    /// The earliest instant whose picture may still be kept: that of the second-latest picture of temporal id 0.
    private var oldestKept: Int {
        let anchors = entries.filter { $0.temporalId == 0 }.map(\.instant).sorted()
        return anchors.count >= 2 ? anchors[anchors.count - 2] : Int.min
    }

    /// Whether ``insert(_:instant:temporalId:)`` would keep a picture decoded at `instant` with
    /// temporal id `t`, which is still to be recorded: whether a frame still to come may reference it.
    func wouldKeep(instant: Int, temporalId t: Int) -> Bool {
        guard t > 0 else { return true }
        if instant < oldestKept { return false }
        recorded[instant] = t
        defer { recorded[instant] = nil }
        return mayBeReferenced(instant: instant, temporalId: t)
    }

    /// Whether a frame not recorded yet may reference the picture at `instant` (p) of temporal id `temporalId` (s).
    /// *Forward* only a frame after p of id >= s, for which a later recorded frame q of id <= s takes
    /// its place once every instant between p and q is recorded; *backward* only a frame before p of
    /// id > s, for which the latest earlier recorded frame r of id <= s takes its place once every
    /// instant between r and p (or, without r, before p) is recorded. Frames never recorded (temporal
    /// ids dropped, say, unless ``reset(omitting:)`` named them) keep a picture until the bound of the
    /// second-latest picture of id 0.
    private func mayBeReferenced(instant: Int, temporalId: Int) -> Bool {
        // Wrapping steps: an instant near Int.max (a caller's position) ends the walk, never traps.
        var q = instant &+ 1
        while let id = recorded[q], id > temporalId { q &+= 1 }
        guard recorded[q] != nil else { return true }
        var r = instant - 1
        while r >= 0, let id = recorded[r], id > temporalId { r -= 1 }
        return r >= 0 && recorded[r] == nil
    }

    /// Whether the set holds `picture`.
    func holds(_ picture: Picture) -> Bool { entries.contains { $0.picture === picture } }

    /// The pool's pictures (each a reference or free).
    var pictures: [Picture] { pool }

    /// What a frame at `instant` with temporal id `t` is coded with: its forward reference (margins
    /// filled), its backward reference, and a free pool picture to hold it, stamped with the instant.
    func pictures(at instant: Int, temporalId t: Int) -> (forward: Picture?, backward: Picture?, current: Picture) {
        let forward = self.forward(of: instant, temporalId: t)
        forward?.prepareAsReference()
        let backward = self.backward(of: instant, temporalId: t)
        let current = freePicture()
        current.instant = instant
        return (forward, backward, current)
    }

    /// A pool picture the set does not hold, created when every one is held.
    func freePicture() -> Picture {
        for p in pool where !holds(p) { return p }
        let p = makePicture()
        pool.append(p)
        return p
    }
}
