import Foundation
import Strata
import Testing
@testable import StrataBench

@Suite struct RungSearchTests {
    /// A smooth monotone encoder model: quality falls 0.55 per CRF step with a little curvature,
    /// rate halves every 6 steps.
    static func model(_ p: Double) -> LadderSample {
        let quality = 48 - 0.55 * p - 0.004 * p * p
        return LadderSample(parameter: p, kbps: 4000 * pow(2, -p / 6), score: QualityScore(psnrY: quality, ssim: 0.9, vmaf: nil),
                            encodeSeconds: 0.1)
    }

    func settings(target: Double, granularity: Double = 0.25, start: Double = 23) -> RungSearch.Settings {
        RungSearch.Settings(target: target, metric: .psnrY, tolerance: 0.1, range: 0...51, granularity: granularity,
                            start: start, step: 4)
    }

    @Test(arguments: [30.0, 34.2, 37.77, 41.0, 45.5])
    func convergesWithinToleranceWithoutRepeatingAnEncode(target: Double) throws {
        var asked: [Double] = []
        let rung = try RungSearch.match(settings(target: target)) { p in
            asked.append(p)
            return Self.model(p)
        }
        #expect(rung.method == .search)
        #expect(abs(rung.score.psnrY - target) <= 0.1)
        #expect(Set(asked).count == asked.count)
        #expect(asked.count <= 8)
        #expect(rung.evaluations == asked.count)
        #expect(abs(rung.kbps - Self.model(rung.parameter).kbps) < 1e-9)
    }

    @Test func knownSamplesAreReusedAndNeverReencoded() throws {
        let known = [10.0, 20, 30].map(Self.model)
        var asked: [Double] = []
        let target = Self.model(20).score.psnrY + 0.05
        let rung = try RungSearch.match(settings(target: target), known: known) { p in
            asked.append(p)
            return Self.model(p)
        }
        #expect(asked.isEmpty)
        #expect(rung.parameter == 20)
        #expect(rung.evaluations == 0)
    }

    /// With integer steps of about 0.6 dB a 0.1 dB window is often stepped over: the rung is then
    /// interpolated between the two bracketing encodes, in log rate.
    @Test func integerParametersFallBackToInterpolationBetweenNeighbours() throws {
        // Quality at p = 20 and p = 21: 35.4 and 34.686; target between them, 0.3 dB from each.
        let target = (Self.model(20).score.psnrY + Self.model(21).score.psnrY) / 2
        var asked: [Double] = []
        let rung = try RungSearch.match(settings(target: target, granularity: 1, start: 28)) { p in
            asked.append(p)
            return Self.model(p)
        }
        #expect(rung.method == .interpolation)
        #expect(asked.contains(20) && asked.contains(21))
        #expect(Set(asked).count == asked.count)
        #expect(abs(rung.score.psnrY - target) < 1e-9)
        let expectedKbps = sqrt(Self.model(20).kbps * Self.model(21).kbps)
        #expect(abs(rung.kbps - expectedKbps) / expectedKbps < 1e-3)
        #expect(rung.parameter > 20 && rung.parameter < 21)
    }

    @Test func unreachableTargetReportsTheBound() throws {
        let rung = try RungSearch.match(settings(target: 60)) { Self.model($0) }
        #expect(rung.method == .bound)
        #expect(rung.parameter == 0)
    }

    @Test func defaultSweepTriesTheGivenPlanFirstThenDistinctPlansThatAllFitA720pSource() throws {
        let plans = BenchHarness.defaultSweepPlans(around: .standard)
        #expect(plans.first == .standard)
        #expect(Set(plans).count == plans.count && plans.count == 6)
        #expect(plans.contains(.halfSizeBase))
        for plan in plans { try plan.validate(sourceWidth: 1280, sourceHeight: 720) }
        // Around the half-size plan itself, that plan is not tried twice.
        #expect(BenchHarness.defaultSweepPlans(around: .halfSizeBase).count == 5)
    }

    @Test func ladderSpacingRuleCountsRungsAtOneAndAHalfTimesTheCountedRungBelow() {
        #expect(BenchHarness.countedRungs(kbps: [500, 800, 1300]) == [true, true, true])
        #expect(BenchHarness.countedRungs(kbps: [500, 700, 800]) == [true, false, true])
        #expect(BenchHarness.countedRungs(kbps: [500, 740, 1000, 1600]) == [true, false, true, true])
    }

    @Test func rateAtQualityInterpolatesTheBracketInLogRate() throws {
        // The model's rate is exponential in the parameter and its quality nearly linear, so the
        // log-rate interpolation at a target between two samples lands close to the model's own rate.
        let samples = [12.0, 18, 24, 30].map(Self.model)
        for p in [13.0, 20.5, 27.25] {
            let target = Self.model(p).score.psnrY
            let rate = try #require(RungSearch.rateAtQuality(target, samples: samples, metric: .psnrY))
            #expect(abs(rate / Self.model(p).kbps - 1) < 0.01, "parameter \(p)")
        }
        // A sample at the target gives its own rate; one sample alone gives none.
        #expect(RungSearch.rateAtQuality(Self.model(18).score.psnrY, samples: samples, metric: .psnrY) == Self.model(18).kbps)
        #expect(RungSearch.rateAtQuality(30, samples: [Self.model(18)], metric: .psnrY) == nil)
        // Without a bracket the two nearest samples extrapolate over the short step to the target.
        let above = [20.0, 22].map(Self.model)
        let target = Self.model(22.5).score.psnrY
        let rate = try #require(RungSearch.rateAtQuality(target, samples: above, metric: .psnrY))
        #expect(abs(rate / Self.model(22.5).kbps - 1) < 0.01)
        #expect(rate < Self.model(22).kbps)
    }
}
