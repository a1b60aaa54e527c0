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
        luma = Upsampler(inWidth: p.referenceWidth, inHeight: p.referenceHeight, outWidth: p.width, outHeight: p.height)
        chroma = Upsampler(inWidth: p.referenceWidth / 2, inHeight: p.referenceHeight / 2, outWidth: p.width / 2, outHeight: p.height / 2)
    }

    func form(_ lower: Frame, into out: Picture) {
        for i in 0..<3 {
            let dst = out.plane(i), src = lower[plane: i]
            let w = i == 0 ? width : width / 2, h = i == 0 ? height : height / 2
            let upsampler = i == 0 ? luma : chroma
            src.withUnsafeBufferPointer { s in upsampler.upsample(s.baseAddress!, src.stride, dst.origin, dst.stride) }
            dst.padRight(visibleWidth: w, rows: h)
            dst.padBelow(visibleHeight: h)
        }
    }
}
