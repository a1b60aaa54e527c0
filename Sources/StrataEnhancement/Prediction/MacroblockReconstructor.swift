/// The normative reconstruction of a macroblock from its prediction and levels: dequantize,
/// inverse transform, add, clip (Specs "Reconstruction"). Shared by encoder and decoder so the
/// encoder's reference pictures equal the decoder's output.
final class MacroblockReconstructor {
    private let coefficients: UnsafeMutablePointer<Int32>
    private let residual: UnsafeMutablePointer<Int16>
    private let scratch: UnsafeMutablePointer<Int32>

    init() {
        coefficients = .allocate(capacity: 64); coefficients.initialize(repeating: 0, count: 64)
        residual = .allocate(capacity: 256); residual.initialize(repeating: 0, count: 256)
        scratch = .allocate(capacity: 64); scratch.initialize(repeating: 0, count: 64)
    }

    deinit { coefficients.deallocate(); residual.deallocate(); scratch.deallocate() }

    /// Luma QP to chroma QP (equal in version 1).
    @inline(__always) static func chromaQP(_ qp: Int) -> Int { qp }

    /// Writes the reconstruction of macroblock (mbx, mby) into `out`.
    func reconstruct(_ mb: MacroblockData, _ levels: UnsafePointer<Int32>, _ qp: Int, _ pred: MacroblockPrediction,
                     _ out: Picture, _ mbx: Int, _ mby: Int) {
        let lumaOut = out.luma.origin + mby * 16 * out.luma.stride + mbx * 16, ls = out.luma.stride
        for q in 0..<4 {
            let qx = (q & 1) * 8, qy = (q >> 1) * 8
            let p = pred.luma + qy * 16 + qx, o = lumaOut + qy * ls + qx
            if (mb.cbpLuma >> q) & 1 == 0 {
                Reconstruction.copyBlock(p, 16, o, ls, 8, 8)
            } else if mb.transform8x8 {
                Quantization.dequantizeSIMD(levels + CoefficientLayout.luma8x8(q), coefficients, 64, qp)
                Transform.inverse8x8SIMD(coefficients, residual, 8, scratch)
                Reconstruction.addClipSIMD(p, 16, residual, 8, o, ls, 8, 8)
            } else {
                for s in 0..<4 {
                    let b = q * 4 + s
                    let sx = (s & 1) * 4, sy = (s >> 1) * 4
                    reconstruct4x4(levels + CoefficientLayout.luma4x4(b), qp, p + sy * 16 + sx, 16, o + sy * ls + sx, ls)
                }
            }
        }
        let cqp = MacroblockReconstructor.chromaQP(qp)
        for c in 0..<2 {
            let plane = c == 0 ? out.cb : out.cr, cs = plane.stride
            let o = plane.origin + mby * 8 * cs + mbx * 8, p = c == 0 ? pred.cb : pred.cr
            if (mb.cbpChroma >> c) & 1 == 0 {
                Reconstruction.copyBlock(p, 16, o, cs, 8, 8)
            } else {
                for k in 0..<4 {
                    let kx = (k & 1) * 4, ky = (k >> 1) * 4
                    reconstruct4x4(levels + CoefficientLayout.chroma(c, k), cqp, p + ky * 16 + kx, 16, o + ky * cs + kx, cs)
                }
            }
        }
    }

    /// Reconstructs one 4x4 block (a copy of the prediction when it has no coefficients); the
    /// encoder uses it too, to measure the distortion of the blocks it prices.
    @inline(__always)
    func reconstruct4x4(_ levels: UnsafePointer<Int32>, _ qp: Int, _ p: UnsafePointer<UInt8>, _ ps: Int,
                                _ o: UnsafeMutablePointer<UInt8>, _ os: Int) {
        if !MacroblockWriter.hasNonzero(levels, 16) {
            Reconstruction.copyBlock(p, ps, o, os, 4, 4)
            return
        }
        Quantization.dequantizeSIMD(levels, coefficients, 16, qp)
        Transform.inverse4x4SIMD(coefficients, residual, 4)
        Reconstruction.addClipSIMD(p, ps, residual, 4, o, os, 4, 4)
    }
}
