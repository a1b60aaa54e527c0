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
            let src = lower[plane: i]
            src.withUnsafeBufferPointer { s in form(plane: i, from: s.baseAddress!, stride: src.stride, into: out) }
        }
    }

    /// ``form(_:into:)`` from the lower layer's decoded picture, read in place (its top-left
    /// `referenceWidth x referenceHeight` samples).
    func form(_ lower: Picture, into out: Picture) {
        for i in 0..<3 {
            let src = lower.plane(i)
            form(plane: i, from: UnsafePointer(src.origin), stride: src.stride, into: out)
        }
    }

    private func form(plane i: Int, from src: UnsafePointer<UInt8>, stride: Int, into out: Picture) {
        let dst = out.plane(i)
        let w = i == 0 ? width : width / 2, h = i == 0 ? height : height / 2
        (i == 0 ? luma : chroma).upsample(src, stride, dst.origin, dst.stride)
        dst.padRight(visibleWidth: w, rows: h)
        dst.padBelow(visibleHeight: h)
    }
}
