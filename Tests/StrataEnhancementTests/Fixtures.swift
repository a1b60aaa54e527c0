import StrataCore
@testable import StrataEnhancement

/// Small generated clips and lower layers shared by the tests.
enum Fixtures {
    /// A moving synthetic clip.
    static func clip(width: Int = 128, height: Int = 96, frames: Int = 8, noise: Int = 1) -> [Frame] {
        SyntheticClip(width: width, height: height, frameCount: frames, seed: 7, noise: noise).frames()
    }

    /// A frame whose luma sample at (x, y) is `luma(x, y)`, chroma flat at 128.
    static func frame(width: Int, height: Int, luma sample: (Int, Int) -> UInt8) -> Frame {
        var frame = Frame(width: width, height: height)
        var luma = frame.luma
        let stride = luma.stride
        luma.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                for x in 0..<width { p[y * stride + x] = sample(x, y) }
            }
        }
        frame.luma = luma
        frame.cb.fill(128)
        frame.cr.fill(128)
        return frame
    }

    /// Temporal id of frame `i` in a dyadic hierarchy of `layers` temporal layers.
    static func temporalId(_ i: Int, layers: Int) -> Int {
        guard layers > 1 else { return 0 }
        let period = 1 << (layers - 1)
        var t = layers - 1, k = i % period
        if k == 0 { return 0 }
        while k % 2 == 0 { k /= 2; t -= 1 }
        return t
    }

    /// A degraded half-resolution picture standing in for a decoded base: downscaled, then
    /// quantized to steps of `step` code values.
    static func lowerLayer(_ frame: Frame, step: Int = 12) -> Frame {
        let scaler = try! Scaler(from: frame.width, frame.height, to: frame.width / 2, frame.height / 2)
        var low = scaler.scale(frame)
        for i in 0..<3 {
            var plane = low[plane: i]
            let stride = plane.stride, w = plane.width, h = plane.height
            plane.withUnsafeMutableBufferPointer { p in
                for y in 0..<h {
                    for x in 0..<w { p[y * stride + x] = UInt8(min(255, Int(p[y * stride + x]) / step * step + step / 2)) }
                }
            }
            low[plane: i] = plane
        }
        return low
    }

    /// Mean luma PSNR of `frames` against `reference`.
    static func psnr(_ reference: [Frame], _ frames: [Frame]) -> Double {
        var acc = QualityAccumulator()
        for (a, b) in zip(reference, frames) { acc.add(reference: a, test: b, measureSSIM: false) }
        return acc.psnrY
    }

    /// Encodes a clip with one layer in presentation order (so no frame predicts from a later one);
    /// returns payloads and reconstructions.
    static func encode(_ source: [Frame], lower: [Frame], qp: Int, temporalLayers: Int = 3,
                       referenceWidth: Int? = nil, referenceHeight: Int? = nil,
                       version: UInt8 = EnhancementLayerParameters.bitstreamVersion) throws -> (payloads: [[UInt8]], frames: [Frame]) {
        let parameters = EnhancementLayerParameters(width: source[0].width, height: source[0].height,
                                                    referenceWidth: referenceWidth ?? lower[0].width,
                                                    referenceHeight: referenceHeight ?? lower[0].height,
                                                    qp: qp, temporalLayers: temporalLayers, version: version)
        let encoder = try EnhancementEncoder(parameters: parameters)
        var payloads: [[UInt8]] = [], frames: [Frame] = []
        for (i, frame) in source.enumerated() {
            let coded = try encoder.encode(source: frame, lower: lower[i], temporalId: temporalId(i, layers: temporalLayers))
            payloads.append(coded.payload)
            frames.append(coded.reconstruction)
        }
        return (payloads, frames)
    }
}
