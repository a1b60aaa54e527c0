import Foundation
import StrataCore

/// What a layer's rate control aims at.
public enum EnhancementRateTarget: Sendable, Hashable, Codable {
    /// A fixed base quantizer for every segment.
    case qp(Int)
    /// A bitrate of the layer alone, in kbit/s.
    case kbps(Double)
    /// A luma PSNR of the layer's reconstruction against its source, in dB.
    case psnr(Double)
}

/// One trial encode of a segment at one QP.
public struct EnhancementSegmentTrial: Sendable, Hashable {
    /// The base QP tried.
    public var qp: Int
    /// Bytes of all frame payloads of the segment.
    public var bytes: Int
    /// Luma PSNR of the segment's reconstruction.
    public var psnrY: Double
    /// Bitrate of the segment at the given frame rate.
    public var kbps: Double
}

/// Per-segment rate control: the QP of each segment is chosen by encoding the segment at trial QPs
/// (secant search on log-rate or PSNR, at most `maximumTrials`), so every segment of a layer meets
/// the same target and segments keep a similar quality or size.
///
/// When the target lies between two neighbouring QPs, a segment takes the higher one if the target
/// lies beyond a threshold of the way to it, the thresholds of successive segments running through
/// 1/2, 1/4, 3/4, 1/8, 5/8, ... (ordered dithering): a clip whose rate falls steeply from one QP to
/// the next (a small picture, where a few macroblocks turn to SKIP at once) then meets its target
/// on average over its segments, not just each segment's nearest QP, while every segment is still
/// chosen on its own (the same QPs for any number of segments encoded at once).
public enum EnhancementRateControl {
    /// Picks the base QP for one segment. `sources`, `lowers` and `temporalIds` are the segment's
    /// frames in coding order; `hint` (e.g. the previous segment's QP) starts the search; `segment`
    /// (the segment's index in the stream) picks the threshold between two neighbouring QPs.
    /// `chromaWeight` is the encoder's (``EnhancementEncoder/init(parameters:chromaWeight:)``).
    /// Returns the chosen QP and every trial made, the chosen one included.
    public static func chooseQP(target: EnhancementRateTarget, parameters: EnhancementLayerParameters, frameRate: Double,
                                sources: [Frame], lowers: [Frame], lowerMotion: [MotionField]? = nil, temporalIds: [Int], hint: Int? = nil,
                                segment: Int = 0, maximumTrials: Int = 5, chromaWeight: Int = 1) throws(EnhancementError) -> (qp: Int, trials: [EnhancementSegmentTrial]) {
        if case .qp(let qp) = target { return (min(max(qp, 0), 51), []) }
        guard !sources.isEmpty, sources.count == lowers.count, sources.count == temporalIds.count else {
            throw .unsupportedParameters(reason: "rate control needs as many sources, lower pictures and temporal ids (\(sources.count), \(lowers.count), \(temporalIds.count))")
        }
        let encoder = try EnhancementEncoder(parameters: parameters, chromaWeight: chromaWeight)
        var trials: [Int: EnhancementSegmentTrial] = [:]
        func trial(_ qp: Int) throws(EnhancementError) -> EnhancementSegmentTrial {
            if let t = trials[qp] { return t }
            encoder.beginSegment()
            encoder.setQP(qp)
            var bytes = 0
            var quality = QualityAccumulator()
            for i in EnhancementCodingOrder.indices(temporalIds: temporalIds) {
                let coded = try encoder.encode(source: sources[i], lower: lowers[i], lowerMotion: lowerMotion?[i], temporalId: temporalIds[i],
                                               position: i)
                bytes += coded.payload.count
                quality.add(reference: sources[i], test: coded.reconstruction, measureSSIM: false)
            }
            let t = EnhancementSegmentTrial(qp: qp, bytes: bytes, psnrY: quality.psnrY,
                                            kbps: Double(bytes) * 8 / 1000 / (Double(sources.count) / frameRate))
            trials[qp] = t
            return t
        }
        // Error that grows with QP and is zero at the target.
        func error(_ t: EnhancementSegmentTrial) -> Double {
            switch target {
            case .kbps(let kbps): return log(kbps) - log(max(t.kbps, 1e-3))
            case .psnr(let psnr): return psnr - t.psnrY
            case .qp: return 0
            }
        }
        let slopeGuess: Double
        if case .psnr = target { slopeGuess = 0.45 } else { slopeGuess = log(2) / 6 }
        var below: EnhancementSegmentTrial? = nil, above: EnhancementSegmentTrial? = nil
        var qp = min(max(hint ?? parameters.qp, 0), 51)
        for _ in 0..<maximumTrials {
            let t = try trial(qp)
            let e = error(t)
            if e <= 0 { if below == nil || t.qp > below!.qp { below = t } } else { if above == nil || t.qp < above!.qp { above = t } }
            if let b = below, let a = above, a.qp - b.qp <= 1 { break }
            var next: Double
            if let b = below, let a = above {
                let eb = error(b), ea = error(a)
                next = Double(b.qp) + (0 - eb) * Double(a.qp - b.qp) / (ea - eb)
                next = min(max(next, Double(b.qp) + 1), Double(a.qp) - 1)
            } else {
                next = Double(qp) - e / slopeGuess
                if let b = below { next = max(next, Double(b.qp) + 1) }
                if let a = above { next = min(next, Double(a.qp) - 1) }
            }
            let rounded = min(max(Int(next.rounded()), 0), 51)
            if trials[rounded] != nil || rounded == qp { break }
            qp = rounded
        }
        let all = trials.values.sorted { $0.qp < $1.qp }
        if let b = below, let a = above, a.qp - b.qp == 1 {
            // How far the target lies from the lower QP's result towards the higher one's, 0...1.
            let fraction = (0 - error(b)) / (error(a) - error(b))
            return (fraction >= ditherThreshold(segment) ? a.qp : b.qp, all)
        }
        let best = all.min { abs(error($0)) < abs(error($1)) }!
        return (best.qp, all)
    }

    /// The threshold of segment `index`: the radical inverse of `index + 1` in base 2 (1/2, 1/4, 3/4,
    /// 1/8, 5/8, ...), which spreads any run of consecutive segments evenly over 0...1.
    static func ditherThreshold(_ index: Int) -> Double {
        var n = max(index, 0) + 1, value = 0.0, unit = 0.5
        while n > 0 {
            if n & 1 == 1 { value += unit }
            n >>= 1
            unit /= 2
        }
        return value
    }
}
