import StrataCore
import Testing
@testable import StrataEnhancement

@Suite struct RateControlTests {
    static let parameters = EnhancementLayerParameters(width: 64, height: 48, referenceWidth: 32, referenceHeight: 24, qp: 30, temporalLayers: 2)

    /// Encodes two segments, each at the QP the controller picks; returns kbit/s and PSNR over the clip and per segment.
    static func run(_ target: EnhancementRateTarget) throws -> (kbps: Double, psnr: Double, segmentPSNR: [Double], qps: [Int]) {
        let source = Fixtures.clip(width: 64, height: 48, frames: 8)
        let lower = source.map { Fixtures.lowerLayer($0) }
        let ids = (0..<8).map { $0 % 2 }
        let encoder = try EnhancementEncoder(parameters: parameters)
        var bytes = 0, quality = QualityAccumulator(), segmentPSNR: [Double] = [], qps: [Int] = []
        var hint: Int? = nil
        for segment in 0..<2 {
            let range = (segment * 4)..<(segment * 4 + 4)
            let (qp, _) = try EnhancementRateControl.chooseQP(target: target, parameters: parameters, frameRate: 25,
                                                              sources: Array(source[range]), lowers: Array(lower[range]),
                                                              temporalIds: Array(ids[range]), hint: hint)
            hint = qp
            qps.append(qp)
            encoder.beginSegment()
            encoder.setQP(qp)
            var segmentQuality = QualityAccumulator()
            for i in range {
                let coded = try encoder.encode(source: source[i], lower: lower[i], temporalId: ids[i])
                bytes += coded.payload.count
                quality.add(reference: source[i], test: coded.reconstruction, measureSSIM: false)
                segmentQuality.add(reference: source[i], test: coded.reconstruction, measureSSIM: false)
            }
            segmentPSNR.append(segmentQuality.psnrY)
        }
        return (Double(bytes) * 8 / 1000 / (8.0 / 25), quality.psnrY, segmentPSNR, qps)
    }

    @Test func bitrateTargetIsMetWithinTenPercent() throws {
        for target in [60.0, 150.0] {
            let result = try Self.run(.kbps(target))
            #expect(abs(result.kbps / target - 1) < 0.1, "target \(target) kbit/s, got \(result.kbps) at QPs \(result.qps)")
        }
    }

    @Test func qualityTargetIsMetPerSegment() throws {
        let result = try Self.run(.psnr(38))
        for psnr in result.segmentPSNR { #expect(abs(psnr - 38) < 0.75, "segment PSNR \(psnr) dB at QPs \(result.qps)") }
    }

    @Test func fixedQPNeedsNoTrials() throws {
        let (qp, trials) = try EnhancementRateControl.chooseQP(target: .qp(33), parameters: Self.parameters, frameRate: 25,
                                                               sources: [], lowers: [], temporalIds: [])
        #expect(qp == 33 && trials.isEmpty)
    }

    /// Successive segments' thresholds between two neighbouring QPs spread evenly over 0...1, so a
    /// target a fraction f of the way to the higher QP gets it in about f of the segments.
    @Test func segmentsDitherBetweenNeighbouringQPs() {
        #expect((0..<7).map { EnhancementRateControl.ditherThreshold($0) } == [0.5, 0.25, 0.75, 0.125, 0.625, 0.375, 0.875])
        for fraction in [0.1, 0.36, 0.5, 0.8] {
            let higher = (0..<64).filter { fraction >= EnhancementRateControl.ditherThreshold($0) }.count
            #expect(abs(Double(higher) / 64 - fraction) < 1.0 / 32, "\(fraction): \(higher) of 64")
        }
    }
}
