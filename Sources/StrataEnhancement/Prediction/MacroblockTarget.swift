internal import CStrataPrefetch

/// Where a macroblock's prediction is formed: its 16x16 luma and 8x8 chroma blocks and their row strides,
/// either a ``MacroblockPrediction``'s buffers or the macroblock's place in a picture.
struct MacroblockTarget {
    let luma: UnsafeMutablePointer<UInt8>, cb: UnsafeMutablePointer<UInt8>, cr: UnsafeMutablePointer<UInt8>
    let lumaStride: Int, chromaStride: Int

    /// The whole of `picture` (its top-left macroblock); ``macroblock(_:_:)`` addresses the others. Made
    /// once per picture, so that the per-macroblock work reads no class properties.
    init(_ picture: Picture) {
        luma = picture.luma.origin
        cb = picture.cb.origin
        cr = picture.cr.origin
        lumaStride = picture.luma.stride
        chromaStride = picture.cb.stride
    }

    /// Macroblock (mbx, mby) of the picture this target addresses.
    @inline(__always) func macroblock(_ mbx: Int, _ mby: Int) -> MacroblockTarget {
        MacroblockTarget(luma: luma + mby * 16 * lumaStride + mbx * 16, cb: cb + mby * 8 * chromaStride + mbx * 8,
                         cr: cr + mby * 8 * chromaStride + mbx * 8, lumaStride: lumaStride, chromaStride: chromaStride)
    }

    init(luma: UnsafeMutablePointer<UInt8>, cb: UnsafeMutablePointer<UInt8>, cr: UnsafeMutablePointer<UInt8>,
         lumaStride: Int, chromaStride: Int) {
        self.luma = luma; self.cb = cb; self.cr = cr
        self.lumaStride = lumaStride; self.chromaStride = chromaStride
    }

    /// Asks the processor to bring into cache, for reading or writing soon, the cache line holding the
    /// first sample of each of the 16 luma and 2 x 8 chroma rows of macroblock (mbx, mby) (64 bytes:
    /// the luma of up to four macroblocks). A hint only: nothing is read or changed.
    @inline(__always) func prefetch(_ mbx: Int, _ mby: Int, forWriting: Bool = false) {
        let m = macroblock(mbx, mby)
        for r in 0..<16 {
            if forWriting { strata_prefetch_write(m.luma + r &* lumaStride) } else { strata_prefetch_read(m.luma + r &* lumaStride) }
        }
        for r in 0..<8 {
            if forWriting {
                strata_prefetch_write(m.cb + r &* chromaStride); strata_prefetch_write(m.cr + r &* chromaStride)
            } else {
                strata_prefetch_read(m.cb + r &* chromaStride); strata_prefetch_read(m.cr + r &* chromaStride)
            }
        }
    }

    @inline(__always) func plane(_ i: Int) -> UnsafeMutablePointer<UInt8> { i == 0 ? luma : (i == 1 ? cb : cr) }

    /// The row stride of plane `i` (0 luma, 1 Cb, 2 Cr).
    @inline(__always) func stride(_ i: Int) -> Int { i == 0 ? lumaStride : chromaStride }
}
