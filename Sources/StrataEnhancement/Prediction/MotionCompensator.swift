/// Forms motion-compensated predictions from a reference picture whose samples outside the coded
/// area are, normatively, the nearest edge sample. Blocks whose filter support lies inside the
/// replicated margin are read in place; others are first gathered with clamped coordinates.
final class MotionCompensator {
    private let temp: UnsafeMutablePointer<Int16>
    private let gather: UnsafeMutablePointer<UInt8>
    private static let gatherStride = 48

    init() {
        temp = .allocate(capacity: 32 * 32)
        gather = .allocate(capacity: MotionCompensator.gatherStride * 40)
        gather.initialize(repeating: 0, count: MotionCompensator.gatherStride * 40)
    }

    deinit {
        temp.deallocate()
        gather.deallocate()
    }

    /// Copies rows `y0 ..< y0 + rows`, columns `x0 ..< x0 + cols` of `plane` (clamped) into the gather buffer.
    private func gatherBlock(_ plane: PicturePlane, _ x0: Int, _ y0: Int, _ cols: Int, _ rows: Int) {
        let s = MotionCompensator.gatherStride
        for r in 0..<rows {
            let sy = min(max(y0 + r, 0), plane.height - 1)
            let row = plane.origin + sy * plane.stride
            for c in 0..<cols { gather[r * s + c] = row[min(max(x0 + c, 0), plane.width - 1)] }
        }
    }

    /// Luma prediction of the `width x height` block (width 8 or a multiple of 16) at (x, y) displaced
    /// by (mvx, mvy) quarter samples; with `averaging`, averaged into what `dst` holds.
    @inline(__always)
    func predictLuma(_ ref: PicturePlane, _ x: Int, _ y: Int, _ mvx: Int32, _ mvy: Int32, _ width: Int, _ height: Int,
                     _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int, averaging: Bool = false) {
        let ix = x + Int(mvx >> 2), iy = y + Int(mvy >> 2), fx = Int(mvx & 3), fy = Int(mvy & 3)
        let m = ref.margin
        if ix - 2 >= -m && iy - 2 >= -m && ix + width + 4 <= ref.width + m && iy + height + 3 <= ref.height + m {
            Interpolation.lumaSIMD(ref.origin + iy * ref.stride + ix, ref.stride, dst, dstStride, width, height, fx, fy, temp,
                                   averaging: averaging)
        } else {
            gatherBlock(ref, ix - 2, iy - 2, width + 8, height + 5)
            let s = MotionCompensator.gatherStride
            Interpolation.lumaSIMD(gather + 2 * s + 2, s, dst, dstStride, width, height, fx, fy, temp, averaging: averaging)
        }
    }

    /// Chroma prediction of the block at chroma position (x, y) for the luma vector (mvx, mvy),
    /// which is in eighth chroma samples; with `averaging`, averaged into what `dst` holds.
    @inline(__always)
    func predictChroma(_ ref: PicturePlane, _ x: Int, _ y: Int, _ mvx: Int32, _ mvy: Int32, _ width: Int, _ height: Int,
                       _ dst: UnsafeMutablePointer<UInt8>, _ dstStride: Int, averaging: Bool = false) {
        let ix = x + Int(mvx >> 3), iy = y + Int(mvy >> 3), fx = Int(mvx & 7), fy = Int(mvy & 7)
        let m = ref.margin
        if ix >= -m && iy >= -m && ix + 9 <= ref.width + m && iy + height + 1 <= ref.height + m {
            Interpolation.chromaSIMD(ref.origin + iy * ref.stride + ix, ref.stride, dst, dstStride, width, height, fx, fy,
                                     averaging: averaging)
        } else {
            gatherBlock(ref, ix, iy, 16, height + 1)
            Interpolation.chromaSIMD(gather, MotionCompensator.gatherStride, dst, dstStride, width, height, fx, fy, averaging: averaging)
        }
    }
}

/// The three prediction blocks of one macroblock: 16x16 luma, 8x8 Cb, 8x8 Cr (rows 16 bytes apart),
/// with a scratch area of its own. A view of memory a ``MacroblockPredictions`` owns: the encoder's
/// decisions and the decoder's macroblock loop pass predictions around per macroblock, and as a plain
/// value a prediction costs no reference counting (as a class, each use retained and released it).
struct MacroblockPrediction {
    let luma: UnsafeMutablePointer<UInt8>
    let cb: UnsafeMutablePointer<UInt8>
    let cr: UnsafeMutablePointer<UInt8>
    static let stride = 16
    /// Bytes of one prediction: the three blocks, then the scratch area (the lower layer's moved blocks).
    static let size = 256 + 128 + 128 + 512

    private let scratch: UnsafeMutablePointer<UInt8>

    /// The prediction laid out at `memory` (``size`` bytes).
    fileprivate init(memory: UnsafeMutablePointer<UInt8>) {
        luma = memory; cb = memory + 256; cr = memory + 384; scratch = memory + 512
    }

    @inline(__always) func plane(_ i: Int) -> UnsafeMutablePointer<UInt8> { i == 0 ? luma : (i == 1 ? cb : cr) }

    /// This prediction's blocks as a target of the forming functions.
    var target: MacroblockTarget { MacroblockTarget(luma: luma, cb: cb, cr: cr, lumaStride: 16, chromaStride: 16) }

    /// Motion-compensated prediction of macroblock (mbx, mby).
    func formMotion(_ mc: MotionCompensator, _ ref: Picture, _ mbx: Int, _ mby: Int, _ mvx: Int32, _ mvy: Int32) {
        MacroblockPrediction.formMotion(mc, ref, mbx, mby, mvx, mvy, into: target)
    }

    /// Motion-compensated prediction of a split macroblock: quadrant q (8x8 luma, 4x4 chroma) with the
    /// vector in lanes 2q, 2q + 1 of `vectors`.
    func formSplitMotion(_ mc: MotionCompensator, _ ref: Picture, _ mbx: Int, _ mby: Int, _ vectors: SIMD8<Int32>) {
        MacroblockPrediction.formSplitMotion(mc, ref, mbx, mby, vectors, into: target)
    }

    /// Inter-layer prediction: the co-located block of the upsampled lower layer.
    func formInterLayer(_ up: Picture, _ mbx: Int, _ mby: Int) {
        MacroblockPrediction.formInterLayer(MacroblockTarget(up), mbx, mby, into: target)
    }

    /// ``formMotion(_:_:_:_:_:_:)`` into any target (the decoder forms a macroblock without residual in place).
    static func formMotion(_ mc: MotionCompensator, _ ref: Picture, _ mbx: Int, _ mby: Int, _ mvx: Int32, _ mvy: Int32,
                           into t: MacroblockTarget) {
        mc.predictLuma(ref.luma, mbx * 16, mby * 16, mvx, mvy, 16, 16, t.luma, t.lumaStride)
        mc.predictChroma(ref.cb, mbx * 8, mby * 8, mvx, mvy, 8, 8, t.cb, t.chromaStride)
        mc.predictChroma(ref.cr, mbx * 8, mby * 8, mvx, mvy, 8, 8, t.cr, t.chromaStride)
    }

    /// ``formSplitMotion(_:_:_:_:_:)`` into any target.
    static func formSplitMotion(_ mc: MotionCompensator, _ ref: Picture, _ mbx: Int, _ mby: Int, _ vectors: SIMD8<Int32>,
                                into t: MacroblockTarget) {
        for q in 0..<4 {
            let qx = q & 1, qy = q >> 1, vx = vectors[2 * q], vy = vectors[2 * q + 1]
            mc.predictLuma(ref.luma, mbx * 16 + qx * 8, mby * 16 + qy * 8, vx, vy, 8, 8,
                           t.luma + qy * 8 * t.lumaStride + qx * 8, t.lumaStride)
            mc.predictChroma(ref.cb, mbx * 8 + qx * 4, mby * 8 + qy * 4, vx, vy, 4, 4,
                             t.cb + qy * 4 * t.chromaStride + qx * 4, t.chromaStride)
            mc.predictChroma(ref.cr, mbx * 8 + qx * 4, mby * 8 + qy * 4, vx, vy, 4, 4,
                             t.cr + qy * 4 * t.chromaStride + qx * 4, t.chromaStride)
        }
    }

    /// ``formInterLayer(_:_:_:)`` from the upsampled lower picture `up` (``MacroblockTarget/init(_:)``) into any target.
    static func formInterLayer(_ up: MacroblockTarget, _ mbx: Int, _ mby: Int, into t: MacroblockTarget) {
        let source = up.macroblock(mbx, mby)
        for i in 0..<3 {
            let size = i == 0 ? 16 : 8
            Reconstruction.copyBlock(source.plane(i), source.stride(i), t.plane(i), t.stride(i), size, size)
        }
    }

    /// Bi prediction: this (motion-compensated) prediction averaged with the inter-layer one.
    func averageWith(_ up: Picture, _ mbx: Int, _ mby: Int) {
        averageWith(MacroblockTarget(up), mbx, mby)
    }

    /// ``averageWith(_:_:_:)-(Picture,_,_)`` with the upsampled lower picture given as a target (``MacroblockTarget/init(_:)``).
    func averageWith(_ up: MacroblockTarget, _ mbx: Int, _ mby: Int) {
        let source = up.macroblock(mbx, mby)
        for i in 0..<3 {
            let size = i == 0 ? 16 : 8
            Reconstruction.averageSIMD(plane(i), 16, source.plane(i), source.stride(i), size, size)
        }
    }

    /// Differential prediction: adds the lower layer's change since the reference, `current - MC(reference)`
    /// of the upsampled lower pictures with the same vector, to this motion-compensated prediction.
    func addLowerLayerChange(_ mc: MotionCompensator, _ lowerReference: Picture, _ lowerCurrent: Picture,
                             _ mbx: Int, _ mby: Int, _ mvx: Int32, _ mvy: Int32) {
        addLowerLayerChange(mc, lowerReference, MacroblockTarget(lowerCurrent), mbx, mby, mvx, mvy)
    }

    /// ``addLowerLayerChange(_:_:_:_:_:_:_:)-(_,_,Picture,_,_,_,_)`` with the current upsampled lower picture given as a target.
    func addLowerLayerChange(_ mc: MotionCompensator, _ lowerReference: Picture, _ lowerCurrent: MacroblockTarget,
                             _ mbx: Int, _ mby: Int, _ mvx: Int32, _ mvy: Int32) {
        mc.predictLuma(lowerReference.luma, mbx * 16, mby * 16, mvx, mvy, 16, 16, scratch, 16)
        mc.predictChroma(lowerReference.cb, mbx * 8, mby * 8, mvx, mvy, 8, 8, scratch + 256, 16)
        mc.predictChroma(lowerReference.cr, mbx * 8, mby * 8, mvx, mvy, 8, 8, scratch + 384, 16)
        let source = lowerCurrent.macroblock(mbx, mby)
        for i in 0..<3 {
            let size = i == 0 ? 16 : 8
            let moved = i == 0 ? scratch : (i == 1 ? scratch + 256 : scratch + 384)
            Reconstruction.addDifferenceSIMD(plane(i), 16, source.plane(i), source.stride(i), moved, 16, size, size)
        }
    }

    /// The prediction of a macroblock of direction `mb.direction` (version 7): the backward
    /// reference's block at `mb.bmvx, mb.bmvy`, or the rounded average of the forward reference's
    /// at `mb.mvx, mb.mvy` and that block.
    func formDirected(_ mc: MotionCompensator, forward: Picture, backward: Picture, _ mb: MacroblockData, _ mbx: Int, _ mby: Int) {
        MacroblockPrediction.formDirected(mc, forward: forward, backward: backward, mb, mbx, mby, into: target)
    }

    /// This prediction averaged, `(a + b + 1) >> 1` per sample, with `ref`'s block at (mvx, mvy).
    func averageWithMotion(_ mc: MotionCompensator, _ ref: Picture, _ mbx: Int, _ mby: Int, _ mvx: Int32, _ mvy: Int32) {
        MacroblockPrediction.averageWithMotion(mc, ref, mbx, mby, mvx, mvy, into: target)
    }

    /// ``averageWithMotion(_:_:_:_:_:_:)`` into any target: the interpolation kernels average as they
    /// store, so the second block needs neither memory of its own nor a pass.
    static func averageWithMotion(_ mc: MotionCompensator, _ ref: Picture, _ mbx: Int, _ mby: Int, _ mvx: Int32, _ mvy: Int32,
                                  into t: MacroblockTarget) {
        mc.predictLuma(ref.luma, mbx * 16, mby * 16, mvx, mvy, 16, 16, t.luma, t.lumaStride, averaging: true)
        mc.predictChroma(ref.cb, mbx * 8, mby * 8, mvx, mvy, 8, 8, t.cb, t.chromaStride, averaging: true)
        mc.predictChroma(ref.cr, mbx * 8, mby * 8, mvx, mvy, 8, 8, t.cr, t.chromaStride, averaging: true)
    }

    /// ``formDirected(_:forward:backward:_:_:_:)`` into any target (the decoder forms a macroblock without
    /// residual in place).
    static func formDirected(_ mc: MotionCompensator, forward: Picture, backward: Picture, _ mb: MacroblockData, _ mbx: Int, _ mby: Int,
                             into t: MacroblockTarget) {
        if mb.direction == .backward {
            formMotion(mc, backward, mbx, mby, mb.bmvx, mb.bmvy, into: t)
        } else {
            formMotion(mc, forward, mbx, mby, mb.mvx, mb.mvy, into: t)
            averageWithMotion(mc, backward, mbx, mby, mb.bmvx, mb.bmvy, into: t)
        }
    }

    func copy(from other: MacroblockPrediction) {
        luma.update(from: other.luma, count: 256); cb.update(from: other.cb, count: 128); cr.update(from: other.cr, count: 128)
    }
}

/// Owns the memory of a fixed number of ``MacroblockPrediction``s (one allocation, freed with it).
final class MacroblockPredictions {
    private let memory: UnsafeMutablePointer<UInt8>
    /// The predictions, each a view of this object's memory: valid while it lives.
    let all: [MacroblockPrediction]

    init(count: Int) {
        let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: count * MacroblockPrediction.size)
        memory.initialize(repeating: 0, count: count * MacroblockPrediction.size)
        self.memory = memory
        all = (0..<count).map { MacroblockPrediction(memory: memory + $0 * MacroblockPrediction.size) }
    }

    deinit { memory.deallocate() }

    subscript(_ i: Int) -> MacroblockPrediction { all[i] }
}
