/// How a macroblock is predicted (Specs "Macroblock modes").
enum MacroblockMode: UInt8 {
    /// No residual. With a temporal reference: motion-compensated with the predicted vector;
    /// without one: the upsampled lower layer.
    case skip = 0
    /// Motion-compensated from the temporal reference with a coded vector difference, plus residual.
    case inter = 1
    /// The upsampled lower layer, plus residual.
    case interLayer = 2
    /// Rounded average of the motion-compensated and the upsampled lower-layer predictions, plus residual.
    case bi = 3
    /// Motion-compensated prediction plus the lower layer's change since the reference (the current
    /// upsampled lower picture minus the reference's, motion-compensated with the same vector), plus residual.
    case differential = 4
}

/// Which temporal references a motion-compensated macroblock predicts from (version 7, frames with a
/// backward reference; Specs "Macroblock layer").
enum PredictionDirection: UInt8 {
    /// The forward reference alone (every macroblock of a frame without a backward reference).
    case forward = 0
    /// The backward reference alone, at the mirrored vector.
    case backward = 1
    /// The rounded average of both.
    case both = 2
}

/// The decoded or chosen syntax of one macroblock, apart from its coefficient levels.
struct MacroblockData {
    var mode: MacroblockMode = .skip
    /// Final motion vector in quarter luma samples (meaningful for skip with reference, inter, bi).
    var mvx: Int32 = 0, mvy: Int32 = 0
    /// Coded motion vector difference.
    var mvdx: Int32 = 0, mvdy: Int32 = 0
    /// INTER only (bitstream version 2): each 8x8 quadrant has its own vector.
    var split = false
    /// With `split`: the vector (x, y) of quadrant q in lanes 2q, 2q + 1, and the coded differences.
    var quadrantMotion = SIMD8<Int32>(), quadrantDifference = SIMD8<Int32>()
    var transform8x8 = false
    /// SKIP (version 5): the vector is the lower layer's (``FrameSyntaxState/lowerSkipVector(_:_:predicted:)``).
    var skipLower = false
    /// SKIP and unsplit INTER (version 7): the references predicted from. `mvx, mvy` stay the forward
    /// vector (for backward alone, the vector whose mirror is used), which later predictions read.
    var direction = PredictionDirection.forward
    /// The vector into the backward reference when ``direction`` is not forward: the mirror of the
    /// forward vector, plus the coded difference `bmvdx, bmvdy` when both are used by an INTER macroblock.
    var bmvx: Int32 = 0, bmvy: Int32 = 0
    var bmvdx: Int32 = 0, bmvdy: Int32 = 0
    /// Bit q set: luma 8x8 quadrant q has coefficients.
    var cbpLuma = 0
    /// Bit 0: Cb has coefficients; bit 1: Cr.
    var cbpChroma = 0

    var usesMotion: Bool { mode == .inter || mode == .bi || mode == .differential }
}

/// Layout of a macroblock's coefficient levels in one 384-entry buffer.
enum CoefficientLayout {
    /// Luma 4x4 block `b` (quadrant * 4 + raster index inside the quadrant), raster 4x4 order.
    @inline(__always) static func luma4x4(_ b: Int) -> Int { b * 16 }
    /// Luma 8x8 block of quadrant `q`, raster 8x8 order.
    @inline(__always) static func luma8x8(_ q: Int) -> Int { q * 64 }
    /// Chroma component `c` (0 Cb, 1 Cr), 4x4 block `k` (raster inside the 8x8 block).
    @inline(__always) static func chroma(_ c: Int, _ k: Int) -> Int { 256 + c * 64 + k * 16 }
    static let count = 384
    /// Pixel offset (x, y) inside the macroblock of luma 4x4 block `b`.
    @inline(__always) static func luma4x4Origin(_ b: Int) -> (Int, Int) {
        let q = b >> 2, s = b & 3
        return ((q & 1) * 8 + (s & 1) * 4, (q >> 1) * 8 + (s >> 1) * 4)
    }
}

/// Per-picture record of what later macroblocks' contexts and vector predictions read from their
/// neighbours. Allocated once per codec instance; ``reset()`` starts a picture.
final class FrameSyntaxState {
    let mbWide: Int, mbHigh: Int
    /// Per macroblock: 1 when skipped.
    let skip: UnsafeMutablePointer<UInt8>
    /// Per macroblock: mode raw value.
    let mode: UnsafeMutablePointer<UInt8>
    /// Per macroblock: 1 when the 8x8 transform is used.
    let transform8x8: UnsafeMutablePointer<UInt8>
    /// Per macroblock: chroma coded block pattern.
    let cbpChroma: UnsafeMutablePointer<UInt8>
    /// Per macroblock: 0 when it carries no motion vector, 1 when it carries one as a SKIP (a vector it
    /// did not code), 2 when it coded one (INTER, SPLIT INTER, BI, DIFFERENTIAL).
    let hasMotion: UnsafeMutablePointer<UInt8>
    /// Per luma 8x8 block (grid 2*mbWide wide): motion vector (x, y), zero where none.
    let motion8: UnsafeMutablePointer<Int32>
    /// Per macroblock: 1 when its quadrants have vectors of their own.
    let split: UnsafeMutablePointer<UInt8>
    /// Whether INTER macroblocks may split (bitstream version 2 and later).
    let splitAllowed: Bool
    /// Whether a SKIP macroblock may take the lower layer's vector (bitstream version 5 and later).
    let skipLowerAllowed: Bool
    /// Per macroblock: 1 when it is a SKIP with the lower layer's vector.
    let skipLower: UnsafeMutablePointer<UInt8>
    /// Whether mb_skip_flag, mb_inter_layer_flag, the direction flags, cbp_luma_bit and transform_8x8_flag
    /// have contexts of their own by the lower layer's macroblock at the same place (bitstream version 8
    /// and later).
    let lowerMacroblockContexts: Bool
    /// Per macroblock: its ``PredictionDirection`` raw value (0 where it has none).
    let direction: UnsafeMutablePointer<UInt8>
    /// Whether the frame being coded has a backward reference (version 7): SKIP and unsplit INTER
    /// macroblocks then code their direction. Set per frame by the encoder or decoder.
    var hasBackward = false
    /// Per macroblock: absolute motion vector difference (x, y).
    let mvdMagnitude: UnsafeMutablePointer<Int32>
    /// Per luma 8x8 block (grid 2*mbWide wide): coded block pattern bit.
    let cbp8: UnsafeMutablePointer<UInt8>
    /// Per luma 4x4 block (grid 4*mbWide wide): 1 when it has coefficients.
    let nonzeroLuma: UnsafeMutablePointer<UInt8>
    /// Per chroma 4x4 block of each component (grid 2*mbWide wide).
    let nonzeroChroma: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>)
    /// Per luma 8x8 block (grid 2*mbWide wide): the prediction class the deblocking strength compares,
    /// 255 where the macroblock carries no vector, 0 for SKIP and (SPLIT) INTER, else the mode's raw value.
    let deblockingClass: UnsafeMutablePointer<UInt8>
    /// Working memory of the deblocking filter: the boundary strength of each 8x8 unit's left
    /// edge, then of each unit's top edge (two grids 2*mbWide wide); written by the filter.
    let edgeStrengths: UnsafeMutablePointer<UInt8>
    /// The lower layer's vectors and carried-vector flags of the current instant, when the layer predicts
    /// its vectors from them (``useLowerMotion``): the layout of ``motion8`` and ``hasMotion``. They address
    /// this state's own copy (``setLowerMotion(_:)``) or the lower layer's state itself
    /// (``setLowerMotion(from:)``).
    private(set) var lowerMotion8: UnsafePointer<Int32>
    private(set) var lowerHasMotion: UnsafePointer<UInt8>
    /// The copy ``setLowerMotion(_:)`` fills.
    private let copiedLowerMotion8: UnsafeMutablePointer<Int32>
    private let copiedLowerHasMotion: UnsafeMutablePointer<UInt8>
    /// The lower layer's ``direction`` of each macroblock (version 8 reads it as context), addressed
    /// like ``lowerHasMotion``, and the copy the setters fill when they do not read it in place.
    private(set) var lowerDirection: UnsafePointer<UInt8>
    private let copiedLowerDirection: UnsafeMutablePointer<UInt8>
    /// True while coding a frame whose vectors are predicted from the lower layer's.
    private(set) var useLowerMotion = false
    /// Whether residual blocks read their contexts from the signs of the lower layer's levels
    /// (bitstream version 6 and later, in layers with inter-layer motion).
    let lowerLevelsAllowed: Bool
    /// Per macroblock, 384 entries: the sign (-1, 0, 1) of each level of the macroblock's residual, each
    /// block where ``CoefficientLayout`` puts its levels but in *scan* order (so a block above finds the
    /// last nonzero one, and each position's, without the scan table); written for macroblocks whose
    /// ``levelKind`` is not 0 (version 6 on).
    let levelSigns: UnsafeMutablePointer<Int8>
    /// Per macroblock: 0 when it has no residual, 1 when it has residual with 4x4 luma transforms, 2 with 8x8.
    let levelKind: UnsafeMutablePointer<UInt8>
    /// The lower layer's ``levelSigns`` and ``levelKind`` of the current instant (``setLowerMotion(_:)``,
    /// ``setLowerMotion(from:)``), read while ``useLowerLevels``.
    private(set) var lowerLevelSigns: UnsafePointer<Int8>
    private(set) var lowerLevelKind: UnsafePointer<UInt8>
    private let copiedLowerLevelSigns: UnsafeMutablePointer<Int8>
    private let copiedLowerLevelKind: UnsafeMutablePointer<UInt8>
    /// Whether residual blocks hide signs (``SignHiding``; bitstream version 6 and later).
    let hidesSigns: Bool
    /// True while coding a frame whose residual contexts read the lower layer's level signs.
    private(set) var useLowerLevels = false
    /// 64 zero signs: the lower levels of a block whose lower block has none (or of a layer without them).
    nonisolated(unsafe) static let noLowerLevels: UnsafePointer<Int8> = {
        let zeros = UnsafeMutablePointer<Int8>.allocate(capacity: 64)
        zeros.initialize(repeating: 0, count: 64)
        return UnsafePointer(zeros)
    }()

    /// The state of a layer of `geometry` coded with bitstream `version`: the one place that says which
    /// version brings which tool (split macroblocks 2, SKIP with the lower vector 5, lower levels and
    /// sign hiding 6, mode and cbp contexts by the lower macroblock 8), for the encoder and the decoder alike.
    convenience init(geometry: LayerGeometry, version: UInt8) {
        self.init(mbWide: geometry.macroblocksWide, mbHigh: geometry.macroblocksHigh, splitAllowed: version >= 2,
                  skipLowerAllowed: version >= 5, lowerLevelsAllowed: version >= 6, hidesSigns: version >= 6,
                  lowerMacroblockContexts: version >= 8)
    }

    init(mbWide: Int, mbHigh: Int, splitAllowed: Bool = true, skipLowerAllowed: Bool = true, lowerLevelsAllowed: Bool = true,
         hidesSigns: Bool = true, lowerMacroblockContexts: Bool = true) {
        self.mbWide = mbWide
        self.mbHigh = mbHigh
        self.splitAllowed = splitAllowed
        self.skipLowerAllowed = skipLowerAllowed
        self.lowerMacroblockContexts = lowerMacroblockContexts
        self.lowerLevelsAllowed = lowerLevelsAllowed
        self.hidesSigns = hidesSigns
        let n = mbWide * mbHigh
        levelSigns = .allocate(capacity: CoefficientLayout.count * n); levelKind = .allocate(capacity: n)
        levelSigns.initialize(repeating: 0, count: CoefficientLayout.count * n)
        copiedLowerLevelSigns = .allocate(capacity: CoefficientLayout.count * n); copiedLowerLevelKind = .allocate(capacity: n)
        copiedLowerLevelSigns.initialize(repeating: 0, count: CoefficientLayout.count * n)
        copiedLowerLevelKind.initialize(repeating: 0, count: n)
        lowerLevelSigns = UnsafePointer(copiedLowerLevelSigns); lowerLevelKind = UnsafePointer(copiedLowerLevelKind)
        skipLower = .allocate(capacity: n); direction = .allocate(capacity: n)
        motion8 = .allocate(capacity: 8 * n); split = .allocate(capacity: n)
        skip = .allocate(capacity: n); mode = .allocate(capacity: n); transform8x8 = .allocate(capacity: n)
        cbpChroma = .allocate(capacity: n); hasMotion = .allocate(capacity: n)
        mvdMagnitude = .allocate(capacity: 2 * n)
        cbp8 = .allocate(capacity: 4 * n); nonzeroLuma = .allocate(capacity: 16 * n)
        nonzeroChroma = (.allocate(capacity: 4 * n), .allocate(capacity: 4 * n))
        deblockingClass = .allocate(capacity: 4 * n)
        edgeStrengths = .allocate(capacity: 8 * n)
        edgeStrengths.initialize(repeating: 0, count: 8 * n)
        copiedLowerMotion8 = .allocate(capacity: 8 * n); copiedLowerHasMotion = .allocate(capacity: n)
        copiedLowerMotion8.initialize(repeating: 0, count: 8 * n); copiedLowerHasMotion.initialize(repeating: 0, count: n)
        lowerMotion8 = UnsafePointer(copiedLowerMotion8); lowerHasMotion = UnsafePointer(copiedLowerHasMotion)
        copiedLowerDirection = .allocate(capacity: n); copiedLowerDirection.initialize(repeating: 0, count: n)
        lowerDirection = UnsafePointer(copiedLowerDirection)
        reset()
    }

    /// Sets the lower layer's motion for the next frame (nil: vectors are predicted from neighbours alone).
    /// `scale` 2 (version 8): the field is of a lower layer of half this layer's size, read doubled
    /// (``copyDoubledLowerMotion(_:_:_:lowerMbWide:)``), without its levels.
    func setLowerMotion(_ field: MotionField?, scale: Int = 1) {
        guard let field else { useLowerMotion = false; useLowerLevels = false; return }
        let n = mbWide * mbHigh
        useLowerMotion = true
        guard scale == 1 else {
            precondition(scale == 2 && 2 * field.macroblocksWide >= mbWide && 2 * field.macroblocksHigh >= mbHigh,
                         "lower motion field of another size")
            let hasDirections = field.directions.count == field.carriesVector.count
            field.vectors.withUnsafeBufferPointer { vectors in
                field.carriesVector.withUnsafeBufferPointer { carries in
                    field.directions.withUnsafeBufferPointer { directions in
                        copyDoubledLowerMotion(vectors.baseAddress!, carries.baseAddress!, hasDirections ? directions.baseAddress! : nil,
                                               lowerMbWide: field.macroblocksWide)
                    }
                }
            }
            return
        }
        precondition(field.macroblocksWide == mbWide && field.macroblocksHigh == mbHigh, "lower motion field of another size")
        field.vectors.withUnsafeBufferPointer { copiedLowerMotion8.update(from: $0.baseAddress!, count: 8 * n) }
        field.carriesVector.withUnsafeBufferPointer { copiedLowerHasMotion.update(from: $0.baseAddress!, count: n) }
        lowerMotion8 = UnsafePointer(copiedLowerMotion8); lowerHasMotion = UnsafePointer(copiedLowerHasMotion)
        if field.directions.count == n {
            field.directions.withUnsafeBufferPointer { copiedLowerDirection.update(from: $0.baseAddress!, count: n) }
        } else {
            copiedLowerDirection.update(repeating: 0, count: n)
        }
        lowerDirection = UnsafePointer(copiedLowerDirection)
        useLowerLevels = lowerLevelsAllowed
        guard useLowerLevels else { return }
        // A field without levels (made by a layer of version 5 or earlier, or by hand) has none to read.
        if field.levelKind.count == n && field.levelSigns.count == CoefficientLayout.count * n {
            field.levelKind.withUnsafeBufferPointer { copiedLowerLevelKind.update(from: $0.baseAddress!, count: n) }
            field.levelSigns.withUnsafeBufferPointer { copiedLowerLevelSigns.update(from: $0.baseAddress!, count: CoefficientLayout.count * n) }
        } else {
            copiedLowerLevelKind.update(repeating: 0, count: n)
        }
        lowerLevelSigns = UnsafePointer(copiedLowerLevelSigns); lowerLevelKind = UnsafePointer(copiedLowerLevelKind)
    }

    /// Sets the lower layer's motion for the next frame to what `lower` holds after coding the same
    /// instant: with `scale` 1 a layer of this grid, read in place (`lower` must stay unchanged until
    /// this frame is coded); with 2 a layer of half this layer's size, read doubled.
    func setLowerMotion(from lower: FrameSyntaxState, scale: Int = 1) {
        useLowerMotion = true
        guard scale == 1 else {
            precondition(scale == 2 && 2 * lower.mbWide >= mbWide && 2 * lower.mbHigh >= mbHigh, "lower motion field of another size")
            copyDoubledLowerMotion(lower.motion8, lower.hasMotion, UnsafePointer(lower.direction), lowerMbWide: lower.mbWide)
            return
        }
        precondition(lower.mbWide == mbWide && lower.mbHigh == mbHigh, "lower motion field of another size")
        lowerMotion8 = UnsafePointer(lower.motion8); lowerHasMotion = UnsafePointer(lower.hasMotion)
        lowerDirection = UnsafePointer(lower.direction)
        useLowerLevels = lowerLevelsAllowed && lower.lowerLevelsAllowed
        lowerLevelSigns = UnsafePointer(lower.levelSigns); lowerLevelKind = UnsafePointer(lower.levelKind)
    }

    /// The motion of a lower layer of half this layer's size (`lowerMbWide` macroblocks wide) as this
    /// layer reads it (Specs "Motion vectors", version 8): each 8x8 unit takes twice the vector of the
    /// lower unit that covers it (unit (u >> 1, v >> 1)), each macroblock the carried-vector flag and the
    /// direction (`directions`, nil for a field without them: forward) of the lower macroblock that
    /// covers it. The lower layer's levels are not read (their blocks cover other samples).
    private func copyDoubledLowerMotion(_ vectors: UnsafePointer<Int32>, _ carries: UnsafePointer<UInt8>, _ directions: UnsafePointer<UInt8>?,
                                        lowerMbWide: Int) {
        let unitsWide = 2 * mbWide, lowerUnitsWide = 2 * lowerMbWide
        for v in 0..<(2 * mbHigh) {
            let row = (v >> 1) * lowerUnitsWide
            for u in 0..<unitsWide {
                let from = 2 * (row + (u >> 1)), to = 2 * (v * unitsWide + u)
                copiedLowerMotion8[to] = 2 &* vectors[from]
                copiedLowerMotion8[to + 1] = 2 &* vectors[from + 1]
            }
        }
        for y in 0..<mbHigh {
            for x in 0..<mbWide {
                let m = (y >> 1) * lowerMbWide + (x >> 1)
                copiedLowerHasMotion[y * mbWide + x] = carries[m]
                copiedLowerDirection[y * mbWide + x] = directions?[m] ?? 0
            }
        }
        lowerDirection = UnsafePointer(copiedLowerDirection)
        lowerMotion8 = UnsafePointer(copiedLowerMotion8); lowerHasMotion = UnsafePointer(copiedLowerHasMotion)
        useLowerLevels = false
    }

    /// The motion of the frame just coded.
    func motionField() -> MotionField {
        var field = MotionField(macroblocksWide: mbWide, macroblocksHigh: mbHigh)
        let n = mbWide * mbHigh
        field.vectors.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: motion8, count: 8 * n) }
        field.carriesVector.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: hasMotion, count: n) }
        field.directions = Array(UnsafeBufferPointer(start: direction, count: n))
        if lowerLevelsAllowed {
            field.levelKind = Array(UnsafeBufferPointer(start: levelKind, count: n))
            // Only macroblocks with residual hold signs; the others' entries are left stale, and read as zeros.
            var signs = [Int8](repeating: 0, count: CoefficientLayout.count * n)
            signs.withUnsafeMutableBufferPointer { out in
                for i in 0..<n where levelKind[i] != 0 {
                    (out.baseAddress! + i * CoefficientLayout.count).update(from: levelSigns + i * CoefficientLayout.count,
                                                                           count: CoefficientLayout.count)
                }
            }
            field.levelSigns = signs
        }
        return field
    }

    deinit {
        motion8.deallocate(); split.deallocate(); skipLower.deallocate(); direction.deallocate()
        skip.deallocate(); mode.deallocate(); transform8x8.deallocate(); cbpChroma.deallocate(); hasMotion.deallocate()
        mvdMagnitude.deallocate(); cbp8.deallocate(); nonzeroLuma.deallocate()
        nonzeroChroma.0.deallocate(); nonzeroChroma.1.deallocate(); deblockingClass.deallocate(); edgeStrengths.deallocate()
        copiedLowerMotion8.deallocate(); copiedLowerHasMotion.deallocate(); copiedLowerDirection.deallocate()
        levelSigns.deallocate(); levelKind.deallocate(); copiedLowerLevelSigns.deallocate(); copiedLowerLevelKind.deallocate()
    }

    /// Sets every entry as at the start of a picture. Every macroblock writes all of its entries before
    /// a later macroblock, the deblocking filter or the layer above reads them, so this is not needed
    /// for the result; but clearing the arrays in one sweep also brings them into the cache ahead of the
    /// macroblock loop's scattered writes: without it, decoding at 720p executed 3% fewer instructions
    /// and took 2.4% longer (paired runs of the `enhancement` benchmark, one build per core).
    func reset() {
        let n = mbWide * mbHigh
        skip.update(repeating: 0, count: n); mode.update(repeating: 0, count: n); transform8x8.update(repeating: 0, count: n)
        cbpChroma.update(repeating: 0, count: n); hasMotion.update(repeating: 0, count: n)
        motion8.update(repeating: 0, count: 8 * n); split.update(repeating: 0, count: n); skipLower.update(repeating: 0, count: n)
        direction.update(repeating: 0, count: n)
        mvdMagnitude.update(repeating: 0, count: 2 * n)
        cbp8.update(repeating: 0, count: 4 * n); nonzeroLuma.update(repeating: 0, count: 16 * n)
        nonzeroChroma.0.update(repeating: 0, count: 4 * n); nonzeroChroma.1.update(repeating: 0, count: 4 * n)
        deblockingClass.update(repeating: 255, count: 4 * n)
        levelKind.update(repeating: 0, count: n)
    }

    // MARK: Lower-layer levels (Specs "Residual block", version 6)

    /// The signs of the lower layer's levels that a luma block of quadrant `q` of macroblock (x, y) reads
    /// (64 entries in scan order: one 8x8 block, or the quadrant's four 4x4 blocks, 16 each): the lower macroblock's
    /// where it has residual coded with the same transform size, else ``noLowerLevels``.
    @inline(__always) func lowerLumaSigns(_ x: Int, _ y: Int, quadrant q: Int, transform8x8: Bool) -> UnsafePointer<Int8> {
        let i = y * mbWide + x
        guard useLowerLevels && lowerLevelKind[i] == (transform8x8 ? 2 : 1) else { return FrameSyntaxState.noLowerLevels }
        return lowerLevelSigns + i * CoefficientLayout.count + CoefficientLayout.luma8x8(q)
    }

    /// The signs of the lower layer's levels that chroma component `c` (0 Cb, 1 Cr) of macroblock (x, y)
    /// reads (its four 4x4 blocks, 16 each): the lower macroblock's where it has residual, else ``noLowerLevels``.
    @inline(__always) func lowerChromaSigns(_ x: Int, _ y: Int, component c: Int) -> UnsafePointer<Int8> {
        let i = y * mbWide + x
        guard useLowerLevels && lowerLevelKind[i] != 0 else { return FrameSyntaxState.noLowerLevels }
        return lowerLevelSigns + i * CoefficientLayout.count + CoefficientLayout.chroma(c, 0)
    }

    /// Starts recording macroblock (x, y)'s level signs (version 6 on): sets its ``levelKind`` and,
    /// when it has residual, clears its signs and returns them for the blocks to fill (nil otherwise).
    @inline(__always) func beginLevels(_ x: Int, _ y: Int, _ mb: MacroblockData) -> UnsafeMutablePointer<Int8>? {
        guard lowerLevelsAllowed else { return nil }
        let i = y * mbWide + x
        guard mb.mode != .skip && (mb.cbpLuma != 0 || mb.cbpChroma != 0) else { levelKind[i] = 0; return nil }
        levelKind[i] = mb.transform8x8 && mb.cbpLuma != 0 ? 2 : 1
        let out = levelSigns + i * CoefficientLayout.count
        UnsafeMutableRawPointer(out).initializeMemory(as: UInt8.self, repeating: 0, count: CoefficientLayout.count)
        return out
    }

    /// Records the signs of macroblock (x, y)'s levels for the layer above (version 6 on), the coded
    /// blocks' from `levels` (whose uncoded 4x4 blocks inside coded areas are zero), the others as
    /// zeros: the encoder's record of what the decoder's reader records as it reads the blocks.
    func recordLevels(_ x: Int, _ y: Int, _ mb: MacroblockData, _ levels: UnsafePointer<Int32>) {
        guard let out = beginLevels(x, y, mb) else { return }
        for area in 0..<6 {
            let coded = area < 4 ? (mb.cbpLuma >> area) & 1 != 0 : (mb.cbpChroma >> (area - 4)) & 1 != 0
            guard coded else { continue }
            let eight = area < 4 && levelKind[y * mbWide + x] == 2
            let scan = eight ? Quantization.zigzag8Scan : Quantization.zigzag4Scan, n = eight ? 64 : 16
            for block in stride(from: area * 64, to: area * 64 + 64, by: n) {
                for i in 0..<n {
                    let v = levels[block + Int(scan[i])]
                    out[block + i] = v > 0 ? 1 : (v < 0 ? -1 : 0)
                }
            }
        }
    }

    // MARK: Neighbour-derived context increments (Specs "Context selection")

    /// mb_skip_flag's context increment (from ``ContextIndex/skip``): the number of skipped left and top
    /// neighbours, in a set of its own where the lower layer's macroblock is a SKIP (version 8).
    @inline(__always) func skipContext(_ x: Int, _ y: Int) -> Int {
        let n = (x > 0 ? Int(skip[y * mbWide + x - 1]) : 0) + (y > 0 ? Int(skip[(y - 1) * mbWide + x]) : 0)
        guard lowerMacroblockContexts && useLowerMotion && lowerHasMotion[y * mbWide + x] == 1 else { return n }
        return ContextIndex.skipOverSkip - ContextIndex.skip + n
    }

    @inline(__always) func modeCount(_ x: Int, _ y: Int, _ m: MacroblockMode) -> Int {
        let left = x > 0 && skip[y * mbWide + x - 1] == 0 && mode[y * mbWide + x - 1] == m.rawValue ? 1 : 0
        let top = y > 0 && skip[(y - 1) * mbWide + x] == 0 && mode[(y - 1) * mbWide + x] == m.rawValue ? 1 : 0
        return left + top
    }

    /// Motion vector of macroblock (x, y): that of its top-left 8x8 unit (the macroblock's vector,
    /// or its first quadrant's when split); zero when it carries none.
    @inline(__always) func macroblockMotion(_ x: Int, _ y: Int) -> (Int32, Int32) {
        let u = 2 * y * 2 * mbWide + 2 * x
        return (motion8[2 * u], motion8[2 * u + 1])
    }

    /// The second vector a SKIP macroblock (x, y) may take (Specs "Motion vectors", version 5): where the
    /// layer predicts its vectors from the lower layer's and the lower macroblock coded one, the lower
    /// layer's vector of the macroblock's top-left 8x8 unit, unless it equals the neighbours' prediction
    /// of a SKIP (then there is no choice to signal); nil otherwise. `predicted`: that prediction, when
    /// the caller has it.
    @inline(__always) func lowerSkipVector(_ x: Int, _ y: Int, predicted: (Int32, Int32)? = nil) -> (Int32, Int32)? {
        guard skipLowerAllowed && useLowerMotion && lowerHasMotion[y * mbWide + x] == 2 else { return nil }
        let u = 2 * y * 2 * mbWide + 2 * x
        let l = (lowerMotion8[2 &* u], lowerMotion8[2 &* u &+ 1])
        return l == (predicted ?? predictedMotion(x, y, skip: true)) ? nil : l
    }

    /// Context increment of mb_skip_lower_flag: the number of SKIP macroblocks with the lower layer's
    /// vector among left and top.
    @inline(__always) func skipLowerContext(_ x: Int, _ y: Int) -> Int {
        (x > 0 ? Int(skipLower[y * mbWide + x - 1]) : 0) + (y > 0 ? Int(skipLower[(y - 1) * mbWide + x]) : 0)
    }

    /// The number of left and top macroblocks whose direction is `both` (mb_skip_bi_flag and mb_both_flag,
    /// version 7), or with `anyBackward` not forward (mb_backward_flag).
    @inline(__always) func directionContext(_ x: Int, _ y: Int, anyBackward: Bool) -> Int {
        let threshold: UInt8 = anyBackward ? 1 : 2
        let n = (x > 0 && direction[y * mbWide + x - 1] >= threshold ? 1 : 0) + (y > 0 && direction[(y - 1) * mbWide + x] >= threshold ? 1 : 0)
        guard lowerMacroblockContexts && useLowerMotion && lowerDirection[y * mbWide + x] >= threshold else { return n }
        return ContextIndex.directionOverLower - ContextIndex.skipBi + n
    }

    /// Context increment of mb_split_flag: the number of split macroblocks among left and top.
    @inline(__always) func splitContext(_ x: Int, _ y: Int) -> Int {
        (x > 0 ? Int(split[y * mbWide + x - 1]) : 0) + (y > 0 ? Int(split[(y - 1) * mbWide + x]) : 0)
    }

    /// transform_8x8_flag's context increment: the number of left and top neighbours with 8x8 transforms,
    /// in a set of its own where the lower layer's macroblock (read for its levels) has them (version 8).
    @inline(__always) func transformContext(_ x: Int, _ y: Int) -> Int {
        let n = (x > 0 ? Int(transform8x8[y * mbWide + x - 1]) : 0) + (y > 0 ? Int(transform8x8[(y - 1) * mbWide + x]) : 0)
        guard lowerMacroblockContexts && useLowerLevels && lowerLevelKind[y * mbWide + x] == 2 else { return n }
        return ContextIndex.transform8x8Over8x8 - ContextIndex.transform8x8 + n
    }

    /// mb_inter_layer_flag's context increment: the number of non-skipped INTER-LAYER left and top
    /// neighbours, in a set of its own where the lower layer's macroblock carries no vector (version 8).
    @inline(__always) func interLayerContext(_ x: Int, _ y: Int) -> Int {
        let n = modeCount(x, y, .interLayer)
        guard lowerMacroblockContexts && useLowerMotion && lowerHasMotion[y * mbWide + x] == 0 else { return n }
        return ContextIndex.interLayerOverInterLayer - ContextIndex.interLayer + n
    }

    /// Context increment of luma coded-block-pattern bit of quadrant `q`.
    @inline(__always) func cbpLumaContext(_ x: Int, _ y: Int, _ q: Int) -> Int {
        let gx = x * 2 + (q & 1), gy = y * 2 + (q >> 1), w = mbWide * 2
        let left = gx > 0 ? Int(cbp8[gy * w + gx - 1]) : 0
        let top = gy > 0 ? Int(cbp8[(gy - 1) * w + gx]) : 0
        // Version 8: a set of its own where the lower layer's macroblock (read for its levels) has residual.
        guard lowerMacroblockContexts && useLowerLevels && lowerLevelKind[y * mbWide + x] != 0 else { return left + 2 * top }
        return ContextIndex.cbpLumaOverResidual - ContextIndex.cbpLuma + left + 2 * top
    }

    @inline(__always) func cbpChromaContext(_ x: Int, _ y: Int, _ c: Int) -> Int {
        let left = x > 0 ? Int(cbpChroma[y * mbWide + x - 1] >> c) & 1 : 0
        let top = y > 0 ? Int(cbpChroma[(y - 1) * mbWide + x] >> c) & 1 : 0
        return c * 3 + left + top
    }

    @inline(__always) func lumaBlockContext(_ gx: Int, _ gy: Int) -> Int {
        let w = mbWide * 4
        return (gx > 0 ? Int(nonzeroLuma[gy * w + gx - 1]) : 0) + (gy > 0 ? Int(nonzeroLuma[(gy - 1) * w + gx]) : 0)
    }

    @inline(__always) func chromaBlockContext(_ grid: UnsafeMutablePointer<UInt8>, _ gx: Int, _ gy: Int) -> Int {
        let w = mbWide * 2
        return (gx > 0 ? Int(grid[gy * w + gx - 1]) : 0) + (gy > 0 ? Int(grid[(gy - 1) * w + gx]) : 0)
    }

    /// Context increment of the mvd zero flag of component `c` from the left and top macroblocks.
    @inline(__always) func mvdContext(_ x: Int, _ y: Int, _ c: Int) -> Int {
        let s = (x > 0 ? Int(mvdMagnitude[(y * mbWide + x - 1) * 2 + c]) : 0)
            + (y > 0 ? Int(mvdMagnitude[((y - 1) * mbWide + x) * 2 + c]) : 0)
        return s < 3 ? 0 : (s <= 32 ? 1 : 2)
    }

    /// The predicted motion vector of macroblock (x, y) (Specs "Motion vectors"): the median of the 8x8
    /// blocks left of, above and above-right of its top-left block (above-left when above-right is
    /// outside the picture) or, for a coded vector where the lower layer's macroblock carries one, of
    /// the left and top blocks and the lower layer's vector; a SKIP's (`skip`) is always the former.
    @inline(__always) func predictedMotion(_ x: Int, _ y: Int, skip: Bool = false) -> (Int32, Int32) {
        // The neighbours of a whole macroblock, addressed directly: every macroblock that is not a SKIP
        // of the upper layers asks, and the general rule (``predictedMotion(_:_:quadrant:inner:)``) took
        // several times the instructions. Written without branches on the neighbours, which no predictor
        // learns: each neighbour is read at a valid index (its own macroblock's where it lies outside the
        // picture) and kept or zeroed by a select.
        // (Wrapping arithmetic: the indices lie inside the grids, and overflow checks were a third of the code.)
        let m = y &* mbWide &+ x, gw = 2 &* mbWide, u = 2 &* y &* gw &+ 2 &* x
        let left = x > 0, top = y > 0, right = x &+ 1 < mbWide
        // A: left; B: above; C: above-right, or D above-left at the right edge.
        let am = left ? m &- 1 : m, bm = top ? m &- mbWide : m
        let cAvailable = top && (right || left)
        let cm = cAvailable ? (right ? m &- mbWide &+ 1 : m &- mbWide &- 1) : m
        let au = left ? u &- 1 : u, bu = top ? u &- gw : u
        let cu = cAvailable ? (right ? u &- gw &+ 2 : u &- gw &- 1) : u
        @inline(__always) func carries(_ index: Int, _ available: Bool) -> Bool { hasMotion[index] & (available ? 0xFF : 0) != 0 }
        let hasA = carries(am, left), hasB = carries(bm, top), hasC = carries(cm, cAvailable)
        @inline(__always) func vector(_ unit: Int, _ carried: Bool) -> (Int32, Int32) {
            (carried ? motion8[2 &* unit] : 0, carried ? motion8[2 &* unit &+ 1] : 0)
        }
        let a = vector(au, hasA), b = vector(bu, hasB), c = vector(cu, hasC)
        let count = (hasA ? 1 : 0) &+ (hasB ? 1 : 0) &+ (hasC ? 1 : 0)
        // One neighbour with a vector gives its vector (the others are zero, so the sum is that vector);
        // none gives zero (the median of three zeros); two or three their median.
        let neighbours = count == 1 ? (a.0 &+ b.0 &+ c.0, a.1 &+ b.1 &+ c.1) : (median(a.0, b.0, c.0), median(a.1, b.1, c.1))
        guard !skip else { return neighbours }
        let l = (lowerMotion8[2 &* u], lowerMotion8[2 &* u &+ 1])
        let withLower = (median(hasA ? a.0 : l.0, hasB ? b.0 : l.0, l.0), median(hasA ? a.1 : l.1, hasB ? b.1 : l.1, l.1))
        return useLowerMotion && lowerHasMotion[m] != 0 ? withLower : neighbours
    }

    /// The predicted vector of quadrant `q` of a split macroblock (x, y); `inner` holds the vectors of
    /// the macroblock's quadrants before q (lanes 2q, 2q + 1), which count as neighbours carrying vectors:
    /// the lower layer's vector of the quadrant's unit when the layer predicts from it and the lower
    /// macroblock carries one, else the median of the neighbours (a neighbour carries a vector when its
    /// macroblock does).
    @inline(__always) func predictedMotion(_ x: Int, _ y: Int, quadrant q: Int, inner: SIMD8<Int32>) -> (Int32, Int32) {
        let gx = 2 * x + (q & 1), gy = 2 * y + (q >> 1)
        let gw = 2 * mbWide, gh = 2 * mbHigh
        /// (available, carries a vector, x, y) of the 8x8 unit (ux, uy).
        @inline(__always) func unit(_ ux: Int, _ uy: Int) -> (Bool, Bool, Int32, Int32) {
            guard ux >= 0, uy >= 0, ux < gw, uy < gh else { return (false, false, 0, 0) }
            if ux >> 1 == x, uy >> 1 == y {
                let k = (uy & 1) * 2 + (ux & 1)
                // Quadrants after the current one are not decoded yet.
                guard k < q else { return (false, false, 0, 0) }
                return (true, true, inner[2 * k], inner[2 * k + 1])
            }
            // Nor is the macroblock to the right.
            if uy >> 1 == y, ux >> 1 > x { return (false, false, 0, 0) }
            let m = (uy >> 1) * mbWide + (ux >> 1), u = uy * gw + ux
            return (true, hasMotion[m] != 0, motion8[2 * u], motion8[2 * u + 1])
        }
        let a = unit(gx - 1, gy), b = unit(gx, gy - 1)
        if useLowerMotion && lowerHasMotion[y * mbWide + x] != 0 {
            // The lower layer's vector of the unit, and the left and top neighbours standing in for it
            // where they carry none: the median keeps the lower vector unless both neighbours disagree with it.
            let u = gy * gw + gx
            let lx = lowerMotion8[2 * u], ly = lowerMotion8[2 * u + 1]
            return (median(a.1 ? a.2 : lx, b.1 ? b.2 : lx, lx), median(a.1 ? a.3 : ly, b.1 ? b.3 : ly, ly))
        }
        var c = unit(gx + 1, gy - 1)
        if !c.0 { c = unit(gx - 1, gy - 1) }
        let count = (a.1 ? 1 : 0) + (b.1 ? 1 : 0) + (c.1 ? 1 : 0)
        if count == 0 { return (0, 0) }
        if count == 1 { return a.1 ? (a.2, a.3) : (b.1 ? (b.2, b.3) : (c.2, c.3)) }
        return (median(a.1 ? a.2 : 0, b.1 ? b.2 : 0, c.1 ? c.2 : 0), median(a.1 ? a.3 : 0, b.1 ? b.3 : 0, c.1 ? c.3 : 0))
    }

    @inline(__always) private func median(_ a: Int32, _ b: Int32, _ c: Int32) -> Int32 {
        max(min(a, b), min(max(a, b), c))
    }

    /// Records a SKIP macroblock with the vector (mvx, mvy) (zero without a reference), including the
    /// cleared coded-block flags of its blocks: ``MacroblockWriter/clearBlockFlags(_:_:_:)`` then
    /// ``record(_:_:_:hasReference:)`` of a SKIP ``MacroblockData``, without building one (skips are most
    /// macroblocks, and the copy of the structure cost more than the stores). `fromLower`: the vector is
    /// the lower layer's (version 5, ``lowerSkipVector(_:_:predicted:)``); `both`: it predicts from both
    /// directions (version 7).
    @inline(__always) func recordSkip(_ x: Int, _ y: Int, _ mvx: Int32, _ mvy: Int32, hasReference: Bool, fromLower: Bool = false,
                                      both: Bool = false) {
        let i = y * mbWide + x
        skip[i] = 1
        skipLower[i] = fromLower ? 1 : 0
        direction[i] = both ? PredictionDirection.both.rawValue : 0
        levelKind[i] = 0
        mode[i] = hasReference ? MacroblockMode.skip.rawValue : MacroblockMode.interLayer.rawValue
        transform8x8[i] = 0
        cbpChroma[i] = 0
        hasMotion[i] = hasReference ? 1 : 0
        split[i] = 0
        mvdMagnitude[2 * i] = 0
        mvdMagnitude[2 * i + 1] = 0
        let w = mbWide * 2
        let vector = hasReference ? SIMD4<Int32>(mvx, mvy, mvx, mvy) : SIMD4<Int32>()
        let deblocking: UInt8 = hasReference ? (both ? Self.deblockingClass(.both) : 0) : 255
        for r in 0..<2 {
            let u = (y * 2 + r) * w + x * 2
            UnsafeMutableRawPointer(motion8 + 2 * u).storeBytes(of: vector, as: SIMD4<Int32>.self)
            UnsafeMutableRawPointer(cbp8 + u).storeBytes(of: 0, as: UInt16.self)
            UnsafeMutableRawPointer(deblockingClass + u).storeBytes(of: UInt16(deblocking) * 0x101, as: UInt16.self)
        }
        clearBlockFlags(x, y)
    }

    /// Clears the coded-block flags of every luma and chroma 4x4 block of macroblock (x, y).
    @inline(__always) func clearBlockFlags(_ x: Int, _ y: Int) {
        let w = mbWide * 2, lw = mbWide * 4
        for r in 0..<2 {
            let u = (y * 2 + r) * w + x * 2
            UnsafeMutableRawPointer(nonzeroChroma.0 + u).storeBytes(of: 0, as: UInt16.self)
            UnsafeMutableRawPointer(nonzeroChroma.1 + u).storeBytes(of: 0, as: UInt16.self)
        }
        for r in 0..<4 { UnsafeMutableRawPointer(nonzeroLuma + (y * 4 + r) * lw + x * 4).storeBytes(of: 0, as: UInt32.self) }
    }

    /// Records the macroblock-level outcome of (x, y) once it is coded.
    @inline(__always) func record(_ x: Int, _ y: Int, _ mb: MacroblockData, hasReference: Bool) {
        let i = y * mbWide + x
        skipLower[i] = mb.mode == .skip && mb.skipLower ? 1 : 0
        direction[i] = mb.direction.rawValue
        skip[i] = mb.mode == .skip ? 1 : 0
        mode[i] = mb.mode == .skip && !hasReference ? MacroblockMode.interLayer.rawValue : mb.mode.rawValue
        transform8x8[i] = mb.transform8x8 ? 1 : 0
        cbpChroma[i] = UInt8(mb.cbpChroma)
        let moving = hasReference && (mb.mode == .skip || mb.usesMotion)
        hasMotion[i] = moving ? (mb.mode == .skip ? 1 : 2) : 0
        let splitting = moving && mb.split
        split[i] = splitting ? 1 : 0
        if splitting {
            let d = mb.quadrantDifference
            mvdMagnitude[2 * i] = (abs(d[0]) + abs(d[2]) + abs(d[4]) + abs(d[6]) + 2) >> 2
            mvdMagnitude[2 * i + 1] = (abs(d[1]) + abs(d[3]) + abs(d[5]) + abs(d[7]) + 2) >> 2
        } else {
            mvdMagnitude[2 * i] = abs(mb.mvdx)
            mvdMagnitude[2 * i + 1] = abs(mb.mvdy)
        }
        let w = mbWide * 2
        for q in 0..<4 {
            let u = (y * 2 + (q >> 1)) * w + x * 2 + (q & 1)
            let (vx, vy) = !moving ? (0, 0) : (splitting ? (mb.quadrantMotion[2 * q], mb.quadrantMotion[2 * q + 1]) : (mb.mvx, mb.mvy))
            motion8[2 * u] = vx
            motion8[2 * u + 1] = vy
        }
        for q in 0..<4 { cbp8[(y * 2 + (q >> 1)) * w + x * 2 + (q & 1)] = UInt8((mb.cbpLuma >> q) & 1) }
        let deblocking: UInt8 = !moving ? 255
            : (mb.direction != .forward ? Self.deblockingClass(mb.direction) : (mb.mode == .skip || mb.mode == .inter ? 0 : mb.mode.rawValue))
        for q in 0..<4 { deblockingClass[(y * 2 + (q >> 1)) * w + x * 2 + (q & 1)] = deblocking }
    }

    /// The deblocking class of a macroblock predicted from the backward reference (version 7): 4 + its
    /// direction, apart from every mode's class.
    @inline(__always) static func deblockingClass(_ direction: PredictionDirection) -> UInt8 { 4 + direction.rawValue }
}
