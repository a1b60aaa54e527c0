/// Deferred reconstruction of the pictures the layer above reads only in part.
///
/// In a stack of decoders (``EnhancementDecoder/decodeFrame(payload:over:temporalId:)``), a picture
/// that no later frame of its own layer references (the top temporal layer's) is read by nothing but
/// the layer above, and only where that layer predicts from it: with the default plan's 720p quality
/// layers, in 3% of the upper macroblocks of such frames on bigbuckbunny and 4.5% on bikes. A decoder
/// with ``EnhancementDecoder/defersUnreferencedPictures`` parses such a frame whole (its vectors,
/// levels and context states are what the layer above and the next frames use) but forms a
/// macroblock's samples only when the layer above first reads them, with the deblocking of the edges
/// around it (``DeblockingFilter/OnDemand``): the samples read are those of the whole picture, byte
/// for byte, and the rest are never formed.

/// How a frame's macroblocks are reconstructed: at once, or deferred; and the lower decoder whose
/// picture the frame reads, with how it asks for that picture's samples when it is itself deferred.
struct Deferral {
    /// How a frame reads a deferred lower picture.
    enum Demand {
        /// The lower picture is not deferred (or there is no lower decoder): nothing to ask for.
        case none
        /// Read in place: each macroblock that predicts from it first has it formed.
        case macroblocks
        /// Upsampled a band at a time: each band first has the rows it reads formed.
        case bands
    }
    var defers = false
    /// The lower decoder whose picture the frame reads, in place or upsampled (a deferred frame
    /// records it, to know when that picture is gone).
    var source: EnhancementDecoder?
    var demand = Demand.none
}

/// What reconstructing a macroblock of a frame needs besides its own syntax and levels.
struct MacroblockContext {
    let qp: Int
    let hasReference: Bool
    /// The forward reference (the current picture when there is none; then never read).
    let reference: Picture
    /// The backward reference (the current picture when there is none; then never read).
    let backward: Picture
    let lowerReference: Picture?
    let current: Picture
    /// The inter-layer prediction of this instant: the upsampled lower layer, or the lower picture read in place.
    let interLayer: MacroblockTarget
    let filter: InterLayerFilter?
    /// The reference whose inter-layer prediction is still formed on demand; completed (and nil) once a
    /// DIFFERENTIAL macroblock motion-compensates it.
    var lowerReferenceOnDemand: Picture?
    /// The lower decoder whose picture `interLayer` reads in place, when that picture may be deferred.
    let source: EnhancementDecoder?
    /// The lower decoder whose deferred picture the current picture's inter-layer prediction upsamples.
    let bandSource: EnhancementDecoder?
}

/// The parsed macroblocks of a deferred frame and which of them are formed. Its storage is kept from
/// frame to frame.
final class DeferredFrame {
    private(set) var isActive = false
    /// Macroblocks of the frame formed so far.
    private(set) var formedCount = 0
    private var macroblocks: UnsafeMutablePointer<MacroblockData>?
    private var capacity = 0
    /// The levels of the macroblocks with a residual, one after another (`levelCapacity` macroblocks' worth),
    /// and where each macroblock's start (-1: none).
    private var levels: UnsafeMutablePointer<Int32>?
    private var levelCapacity = 0, levelCount = 0
    private var levelStart: [Int] = []
    private var formed: [Bool] = []
    private var context: MacroblockContext?
    private var deblocking: DeblockingFilter.OnDemand?
    private var reconstructor: ((inout MacroblockContext, MacroblockData, UnsafeMutablePointer<Int32>, Int, Int) -> Void)?
    /// The lower decoder whose picture the frame reads (in place, or upsampled), and its count of frames
    /// begun when this frame was parsed.
    private var source: EnhancementDecoder?
    private var generation = 0
    private var wide = 0

    /// Levels for a macroblock without residual.
    private let zeroLevels: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: CoefficientLayout.count)
        p.initialize(repeating: 0, count: CoefficientLayout.count)
        return p
    }()

    deinit {
        macroblocks?.deallocate()
        levels?.deallocate()
        zeroLevels.deallocate()
    }

    /// Starts storing a frame of `count` macroblocks.
    func prepare(macroblocks count: Int) {
        drop()
        if count > capacity {
            macroblocks?.deallocate()
            macroblocks = .allocate(capacity: count)
            capacity = count
        }
        formedCount = 0
        levelCount = 0
        if formed.count != count {
            formed = [Bool](repeating: false, count: count)
            levelStart = [Int](repeating: -1, count: count)
        }
        for i in 0..<count { formed[i] = false; levelStart[i] = -1 }
    }

    /// Keeps macroblock `index`'s syntax and, when it has a residual, its levels.
    @inline(__always) func store(_ mb: MacroblockData, _ mbLevels: UnsafeMutablePointer<Int32>, _ index: Int) {
        macroblocks![index] = mb
        guard mb.cbpLuma != 0 || mb.cbpChroma != 0 else { return }
        if levelCount == levelCapacity {
            // Room for twice as many (at least 64 macroblocks' levels), the levels so far moved over.
            let grown = max(64, 2 * levelCapacity), larger = UnsafeMutablePointer<Int32>.allocate(capacity: grown * CoefficientLayout.count)
            if let levels {
                larger.update(from: levels, count: levelCount * CoefficientLayout.count)
                levels.deallocate()
            }
            levels = larger
            levelCapacity = grown
        }
        levelStart[index] = levelCount * CoefficientLayout.count
        (levels! + levelStart[index]).update(from: mbLevels, count: CoefficientLayout.count)
        levelCount += 1
    }

    /// The frame is parsed: its macroblocks are formed from now on by `reconstruct`, on demand, while
    /// `source`, the lower decoder whose picture they read, is still at this frame.
    func begin(_ context: MacroblockContext, syntax: FrameSyntaxState, offset: Int, source: EnhancementDecoder?,
               reconstruct: @escaping (inout MacroblockContext, MacroblockData, UnsafeMutablePointer<Int32>, Int, Int) -> Void) {
        self.context = context
        reconstructor = reconstruct
        self.source = source
        generation = source?.calls ?? 0
        wide = syntax.mbWide
        deblocking = DeblockingFilter.OnDemand(context.current, syntax, qp: context.qp, offset: offset) { [unowned self] mbx, mby in
            self.form(mbx, mby)
        }
        isActive = true
    }

    /// Forgets the frame (its picture is not read again).
    func drop() {
        isActive = false
        context = nil
        deblocking = nil
        reconstructor = nil
        source = nil
    }

    /// Whether the frame still to be formed predicts from `picture` (its lower layer is kept until then).
    func reads(_ picture: Picture) -> Bool {
        guard isActive, let context else { return false }
        return context.reference === picture || context.backward === picture
    }

    /// Whether the lower decoder still holds the picture this frame reads.
    var sourceIsCurrent: Bool { source.map { $0.calls == generation } ?? true }

    /// Forms macroblock (mbx, mby) before any deblocking reaches it.
    private func form(_ mbx: Int, _ mby: Int) {
        let index = mby * wide + mbx
        guard !formed[index] else { return }
        formed[index] = true
        formedCount += 1
        // A macroblock without residual reads no level (any buffer will do).
        let start = levelStart[index]
        reconstructor!(&context!, macroblocks![index], start >= 0 ? levels! + start : zeroLevels, mbx, mby)
    }

    /// Makes macroblock (mbx, mby) final: formed and deblocked as in the whole picture.
    func finish(_ mbx: Int, _ mby: Int) { deblocking!.finish(mbx, mby) }

    /// Forms and deblocks everything not done yet; the frame is then an ordinary picture.
    func finishAll() {
        deblocking!.finishAll()
        drop()
    }
}

extension EnhancementDecoder {
    /// Makes the samples of macroblock (mbx, mby) of the deferred picture final (and, with
    /// `neighbours`, those of the eight around it, which a filtered inter-layer prediction also reads).
    func finishDeferred(_ mbx: Int, _ mby: Int, neighbours: Bool) {
        guard deferredFrame.isActive else { return }
        guard neighbours else {
            deferredFrame.finish(mbx, mby)
            return
        }
        for y in max(mby - 1, 0)...min(mby + 1, geometry.macroblocksHigh - 1) {
            for x in max(mbx - 1, 0)...min(mbx + 1, geometry.macroblocksWide - 1) { deferredFrame.finish(x, y) }
        }
    }

    /// Makes the macroblock rows `rows` of the deferred picture final (rows past its last are ignored).
    func finishDeferredRows(_ rows: ClosedRange<Int>) {
        let last = min(rows.upperBound, geometry.macroblocksHigh - 1)
        guard deferredFrame.isActive, rows.lowerBound <= last else { return }
        for y in rows.lowerBound...last {
            for x in 0..<geometry.macroblocksWide { deferredFrame.finish(x, y) }
        }
    }

    /// Completes the deferred picture, if any; false when it can no longer be (the lower decoder it
    /// reads has moved on to its next frame).
    func completeDeferred() -> Bool {
        guard deferredFrame.isActive else { return true }
        guard deferredFrame.sourceIsCurrent else { return false }
        deferredFrame.finishAll()
        return true
    }
}
