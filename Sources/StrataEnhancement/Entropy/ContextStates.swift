import Foundation

/// Adaptive probability of each binary decision (context) of the enhancement syntax.
///
/// A state packs two estimates of P(bin = 0) in 1/32768 units: the low 16 bits adapt fast
/// (rate 1/16), the high 16 bits slowly (rate 1/128); the coder uses their mean. Two rates
/// track both quick local changes and stable statistics, which a single rate cannot.
struct ContextStates: Sendable {
    /// One packed state per context, indexed by ``ContextIndex``.
    var states: [UInt32]

    /// The state every context starts from in a picture without a temporal reference: P = 1/2.
    static let initialState: UInt32 = 16384 << 16 | 16384

    init() { states = [UInt32](repeating: Self.initialState, count: ContextIndex.count) }

    /// P(bin = 0) in 1/32768 units of a packed state.
    @inline(__always) static func probabilityOfZero(_ s: UInt32) -> UInt32 { ((s & 0xFFFF) &+ (s >> 16)) >> 1 }

    /// The state after coding `bin` in state `s`.
    @inline(__always) static func updated(_ s: UInt32, bin: Int) -> UInt32 {
        // Both estimates stay within 0...32768, so wrapping arithmetic never wraps (and leaves out
        // the overflow checks, a branch each, from every bin).
        var fast = s & 0xFFFF, slow = s >> 16
        if bin == 0 {
            fast &+= (32768 &- fast) >> 4
            slow &+= (32768 &- slow) >> 7
        } else {
            fast &-= fast >> 4
            slow &-= slow >> 7
        }
        return slow << 16 | fast
    }
}

/// The cost in 1/256 bit of coding a 0 and a 1 in each context, from its state: what the encoder's
/// rate estimates (``RateEstimator``) read, millions of bins a frame, while the states change only
/// with the bins actually coded (``ArithmeticBinWriter`` keeps both in step). A bin's cost is then
/// one load, not the state's probability and a table look-up.
final class ContextCosts {
    /// Two entries per context, `2 * context + bin`.
    let values: UnsafeMutablePointer<Int32>

    init() {
        values = .allocate(capacity: 2 * ContextIndex.count)
        values.initialize(repeating: 0, count: 2 * ContextIndex.count)
    }

    /// Costs of the contexts `states`, every one of them (``ContextIndex/count``).
    convenience init(states: UnsafePointer<UInt32>) {
        self.init()
        refresh(from: states)
    }

    deinit { values.deallocate() }

    /// Sets every context's costs from `states`.
    func refresh(from states: UnsafePointer<UInt32>) {
        for context in 0..<ContextIndex.count { ContextCosts.set(values, context, states[context]) }
    }

    /// Cost in 1/256 bit of a bin whose probability is `(index + 0.5) / 256`.
    nonisolated(unsafe) static let costTable: UnsafeMutablePointer<Int32> = {
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        for i in 0..<256 { table[i] = Int32((-log2((Double(i) + 0.5) / 256) * 256).rounded()) }
        return table
    }()

    /// Sets the costs of `context` from its state `s`: ``costTable`` at its probability of each value.
    @inline(__always) static func set(_ values: UnsafeMutablePointer<Int32>, _ context: Int, _ s: UInt32) {
        let p0 = ContextStates.probabilityOfZero(s), table = ContextCosts.costTable
        values[2 &* context] = table[Int(p0 >> 7)]
        values[2 &* context &+ 1] = table[Int((32768 &- p0) >> 7)]
    }
}

/// Where each syntax element's contexts start in ``ContextStates/states``.
enum ContextIndex {
    /// mb_skip_flag: 3 contexts by the number of skipped left/top neighbours.
    static let skip = 0
    /// mb_inter_layer_flag: 3 contexts by the number of inter-layer left/top neighbours.
    static let interLayer = 3
    /// mb_bi_flag: 3 contexts by the number of bi-predicted left/top neighbours.
    static let bi = 6
    /// transform_8x8_flag: 3 contexts by the number of left/top neighbours using 8x8 transforms.
    static let transform8x8 = 9
    /// coded_block_pattern luma bits: 4 contexts from the left and top 8x8 blocks' bits.
    static let cbpLuma = 12
    /// coded_block_pattern chroma bits: 3 contexts per component from the left and top macroblocks.
    static let cbpChroma = 16
    /// mvd zero flag: 3 contexts per component by neighbouring mvd magnitude.
    static let mvdZero = 22
    /// mvd magnitude prefix bins: 5 contexts per component.
    static let mvdPrefix = 28
    /// mb_differential_flag: 3 contexts by the number of differential left/top neighbours.
    static let differential = 38
    /// Residual contexts start here, ``residualCategorySize`` per block category.
    static let residual = 41
    /// Per category: coded_block_flag (3), significance (16), last (16), greater-than-one (5), magnitude (5).
    static let residualCategorySize = 45
    static let cbfOffset = 0, sigOffset = 3, lastOffset = 19, gt1Offset = 35, absOffset = 40
    /// Block categories: luma 4x4, luma 8x8, chroma 4x4, each for temporal (0...2) and inter-layer (3...5) prediction.
    static let categoryCount = 6
    /// mb_split_flag (bitstream version 2): 3 contexts by the number of split left/top neighbours.
    static let split = residual + residualCategorySize * categoryCount
    /// mb_skip_lower_flag (bitstream version 5): 3 contexts by the number of left/top SKIP macroblocks
    /// with the lower layer's vector.
    static let skipLower = split + 3
    /// Residual contexts chosen by the lower layer's levels (bitstream version 6), ``refinementCategorySize``
    /// per block category: significance where the lower level at the position is not zero (16), last
    /// where the lower block has a nonzero level later in scan order (16), and the sign of a level
    /// whose lower level is not zero, coded as "differs from the lower level's sign" (1).
    static let refinement = skipLower + 3
    static let refinementCategorySize = 33
    static let sigLowerOffset = 0, lastLowerOffset = 16, signLowerOffset = 32
    /// Version 7, frames with a backward reference: mb_skip_bi_flag, 3 contexts by the number of left/top
    /// macroblocks predicted from both directions.
    static let skipBi = refinement + refinementCategorySize * categoryCount
    /// mb_backward_flag (version 7): 3 contexts by the number of left/top macroblocks predicted from the backward reference.
    static let backward = skipBi + 3
    /// mb_both_flag (version 7): 3 contexts by the number of left/top macroblocks predicted from both directions.
    static let both = backward + 3
    /// mb_skip_flag where the lower layer's macroblock is a SKIP (version 8, layers with inter-layer
    /// motion): 3 contexts by the number of skipped left/top neighbours.
    static let skipOverSkip = both + 3
    /// cbp_luma_bit where the lower layer's macroblock has residual (version 8, layers with lower
    /// levels): 4 contexts as cbp_luma_bit's.
    static let cbpLumaOverResidual = skipOverSkip + 3
    /// Total number of contexts.
    /// transform_8x8_flag where the lower layer's macroblock used 8x8 transforms (version 8, layers with
    /// lower levels): 3 contexts as transform_8x8_flag's.
    static let transform8x8Over8x8 = cbpLumaOverResidual + 4
    /// mb_inter_layer_flag where the lower layer's macroblock carries no vector (version 8, layers with
    /// inter-layer motion): 3 contexts as mb_inter_layer_flag's.
    static let interLayerOverInterLayer = transform8x8Over8x8 + 3
    static let directionOverLower = interLayerOverInterLayer + 3
    static let count = directionOverLower + 9
}
