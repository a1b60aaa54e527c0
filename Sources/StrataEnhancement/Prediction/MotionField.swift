/// The motion of one decoded enhancement frame: a vector per 8x8 luma unit and, per macroblock,
/// whether it carries one (Specs "Motion vectors"); from bitstream version 6 also the signs of its
/// coefficient levels. A layer configured with `inter_layer_motion` predicts its vectors from the
/// motion field of the layer below at the same instant, and from version 6 chooses the contexts of
/// its residual by the lower layer's levels.
public struct MotionField: Sendable, Equatable {
    /// Macroblocks per row and per column of the layer the field belongs to.
    public let macroblocksWide: Int, macroblocksHigh: Int
    /// Per 8x8 unit in raster order of the unit grid (`2 * macroblocksWide` wide), x then y in quarter samples.
    public internal(set) var vectors: [Int32]
    /// Per macroblock: 0 when it carries no vector (its units hold (0, 0)), 1 when it carries one as a
    /// SKIP macroblock, 2 when it coded its vector(s) (INTER, SPLIT INTER, BI or DIFFERENTIAL).
    public internal(set) var carriesVector: [UInt8]
    /// Per macroblock (bitstream version 6 on; empty before): 0 without residual, 1 with residual coded
    /// with 4x4 luma transforms, 2 with 8x8 ones.
    var levelKind: [UInt8] = []
    /// Per macroblock with residual, 384 entries where its coefficient levels are kept (luma blocks,
    /// then Cb, then Cr), each block's in scan order: the sign of each level, -1, 0 or 1. A layer above
    /// reads them as contexts.
    var levelSigns: [Int8] = []
    /// Per macroblock (bitstream version 7 on; empty before): its ``PredictionDirection`` raw value,
    /// which a layer above of version 8 reads as context.
    var directions: [UInt8] = []

    /// A field of `macroblocksWide x macroblocksHigh` macroblocks without vectors.
    public init(macroblocksWide: Int, macroblocksHigh: Int) {
        self.macroblocksWide = macroblocksWide
        self.macroblocksHigh = macroblocksHigh
        vectors = [Int32](repeating: 0, count: 8 * macroblocksWide * macroblocksHigh)
        carriesVector = [UInt8](repeating: 0, count: macroblocksWide * macroblocksHigh)
    }
}

extension MotionField {
    /// Checks that `field` is what a layer with `parameters` needs: present when the layer uses
    /// inter-layer motion, and of the lower layer's macroblock grid (this layer's, or from version 8
    /// that of a layer of half its size). Returns the field to use (nil for other layers, which ignore
    /// one given).
    static func checked(_ field: MotionField?, for parameters: EnhancementLayerParameters) throws(EnhancementError) -> MotionField? {
        guard parameters.interLayerMotion else { return nil }
        guard let field else { throw .lowerMotionMismatch(reason: "the layer predicts its vectors from the lower layer's, none given") }
        let geometry = LayerGeometry(width: parameters.referenceWidth, height: parameters.referenceHeight)
        guard field.macroblocksWide == geometry.macroblocksWide, field.macroblocksHigh == geometry.macroblocksHigh else {
            throw .lowerMotionMismatch(reason: "field of \(field.macroblocksWide)x\(field.macroblocksHigh) macroblocks, "
                                       + "the lower layer has \(geometry.macroblocksWide)x\(geometry.macroblocksHigh)")
        }
        return field
    }
}
