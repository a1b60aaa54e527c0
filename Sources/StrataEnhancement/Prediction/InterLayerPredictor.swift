import StrataCore

/// Builds the inter-layer prediction picture: the decoded lower layer upsampled to this layer's
/// size by the normative filter, then padded to whole macroblocks by edge replication.
final class InterLayerPredictor {
    private let luma: Upsampler
    private let chroma: Upsampler
    private let width: Int, height: Int

    init(_ p: EnhancementLayerParameters) {
        width = p.width
        height = p.height
        let filter = UpsamplingFilter(version: p.version)
        luma = Upsampler(inWidth: p.referenceWidth, inHeight: p.referenceHeight, outWidth: p.width, outHeight: p.height, filter: filter)
        chroma = Upsampler(inWidth: p.referenceWidth / 2, inHeight: p.referenceHeight / 2, outWidth: p.width / 2, outHeight: p.height / 2,
                           filter: filter)
    }

    func form(_ lower: Frame, into out: Picture) {
        for i in 0..<3 {
            let src = lower[plane: i]
            src.withUnsafeBufferPointer { s in form(plane: i, from: s.baseAddress!, stride: src.stride, into: out) }
        }
    }

    /// Forms macroblock row `band` of `out` alone (16 luma and 8 chroma rows of the coded area, padded
    /// like the whole picture) from `lower`, a ``Frame`` or a ``Picture`` of the lower layer (its
    /// top-left `referenceWidth x referenceHeight` samples, read in place).
    func formBand(_ band: Int, from lower: LowerLayerSource, into out: Picture) {
        for i in 0..<3 {
            switch lower {
            case .frame(let frame):
                let src = frame[plane: i]
                src.withUnsafeBufferPointer { s in form(plane: i, from: s.baseAddress!, stride: src.stride, into: out, band: band) }
            case .picture(let picture):
                let src = picture.plane(i)
                form(plane: i, from: UnsafePointer(src.origin), stride: src.stride, into: out, band: band)
            }
        }
    }

    /// The whole plane, or the rows of macroblock row `band` (whose padding rows below the visible
    /// picture copy its last visible row, which lies in the same macroblock row).
    private func form(plane i: Int, from src: UnsafePointer<UInt8>, stride: Int, into out: Picture, band: Int? = nil) {
        let dst = out.plane(i)
        let w = i == 0 ? width : width / 2, h = i == 0 ? height : height / 2
        guard let band else {
            (i == 0 ? luma : chroma).upsample(src, stride, dst.origin, dst.stride)
            dst.padRight(visibleWidth: w, rows: h)
            dst.padBelow(visibleHeight: h)
            return
        }
        let size = i == 0 ? 16 : 8, first = band * size, end = min(first + size, dst.height)
        let visible = first..<min(end, h)
        (i == 0 ? luma : chroma).upsample(src, stride, dst.origin, dst.stride, rows: visible)
        dst.padRight(visibleWidth: w, rows: visible)
        for y in max(first, h)..<max(end, h) { (dst.origin + y * dst.stride).update(from: dst.origin + (h - 1) * dst.stride, count: dst.width) }
    }
}

/// Where the bands of a picture's inter-layer prediction are formed from when the decoder forms them
/// as macroblocks first need them (``Picture/pendingLower``).
enum LowerLayerSource {
    /// A decoded lower frame handed to the decoder.
    case frame(Frame)
    /// The picture of the lower layer's decoder, read in place (it holds the picture while this one
    /// may still need it: both layers keep the pictures of the same instants as references).
    case picture(Picture)
}
