import Foundation
import Testing
@testable import StrataBench

@Suite struct BjontegaardDeltaTests {
    let anchor = [RatePoint(kbps: 400, quality: 34.1), RatePoint(kbps: 700, quality: 36.4),
                  RatePoint(kbps: 1200, quality: 38.3), RatePoint(kbps: 2100, quality: 40.0)]

    @Test func identicalCurvesHaveZeroBDRate() throws {
        let bd = try #require(BjontegaardDelta.rate(anchor: anchor, test: anchor))
        #expect(abs(bd) < 1e-9)
    }

    @Test func halfTheRateAtEveryQualityIsMinusFiftyPercent() throws {
        let half = anchor.map { RatePoint(kbps: $0.kbps / 2, quality: $0.quality) }
        let bd = try #require(BjontegaardDelta.rate(anchor: anchor, test: half))
        #expect(abs(bd - -50) < 1e-9)
        let double = anchor.map { RatePoint(kbps: $0.kbps * 2, quality: $0.quality) }
        #expect(abs(try #require(BjontegaardDelta.rate(anchor: anchor, test: double)) - 100) < 1e-9)
    }

    /// Two straight lines in (quality, log10 rate) with different slopes: the mean log difference
    /// over the common range is computable by hand.
    @Test func straightLinesGiveTheHandComputedMeanDifference() throws {
        // anchor: log10 r = 2 + 0.1 q on q in 30...40; test: log10 r = 1.9 + 0.11 q.
        let qs = [30.0, 33, 36, 40]
        let a = qs.map { RatePoint(kbps: pow(10, 2 + 0.1 * $0), quality: $0) }
        let t = qs.map { RatePoint(kbps: pow(10, 1.9 + 0.11 * $0), quality: $0) }
        // difference = -0.1 + 0.01 q, mean over 30...40 is -0.1 + 0.35 = 0.25.
        let expected = (pow(10, 0.25) - 1) * 100
        let bd = try #require(BjontegaardDelta.rate(anchor: a, test: t))
        #expect(abs(bd - expected) < 1e-9)
    }

    @Test func curvesWithoutCommonQualityHaveNoBDRate() {
        let higher = anchor.map { RatePoint(kbps: $0.kbps, quality: $0.quality + 20) }
        #expect(BjontegaardDelta.rate(anchor: anchor, test: higher) == nil)
        #expect(BjontegaardDelta.overlap(anchor: anchor, test: higher) == 0)
        #expect(BjontegaardDelta.rate(anchor: [anchor[0]], test: anchor) == nil)
    }

    /// Figure from PyPI `bjontegaard` 1.x (`bd_rate(..., method='pchip')`) on these curves.
    @Test func agreesWithTheReferencePackage() throws {
        let test = [RatePoint(kbps: 380, quality: 34.5), RatePoint(kbps: 650, quality: 36.6),
                    RatePoint(kbps: 1150, quality: 38.6), RatePoint(kbps: 1900, quality: 40.1)]
        let bd = try #require(BjontegaardDelta.rate(anchor: anchor, test: test))
        #expect(abs(bd - BjontegaardDeltaTests.referenceFigure) < 1e-6)
    }

    static let referenceFigure = -12.443033287783145
}

@Suite struct MonotoneCubicTests {
    @Test func passesThroughItsPoints() throws {
        let x = [0.0, 1, 2.5, 4, 7], y = [1.0, 3, 3.2, 8, 9]
        let c = try #require(MonotoneCubic(x: x, y: y))
        for (xi, yi) in zip(x, y) { #expect(abs(c.value(at: xi) - yi) < 1e-12) }
    }

    @Test func monotoneDataGiveAMonotoneCurveWithoutOvershoot() throws {
        // Data with a flat stretch and a jump, where an ordinary cubic spline overshoots.
        let x = [0.0, 1, 2, 3, 4, 5], y = [0.0, 0.1, 0.1, 5, 5.1, 5.2]
        let c = try #require(MonotoneCubic(x: x, y: y))
        var previous = -Double.infinity
        for i in 0...500 {
            let v = c.value(at: Double(i) / 100)
            #expect(v >= previous - 1e-12)
            #expect(v >= -1e-12 && v <= 5.2 + 1e-12)
            previous = v
        }
        // Flat between equal neighbours: PCHIP keeps the plateau flat.
        #expect(abs(c.value(at: 1.5) - 0.1) < 1e-12)
    }

    @Test func integralMatchesNumericalQuadrature() throws {
        let c = try #require(MonotoneCubic(x: [30, 33, 37, 41], y: [2.6, 2.9, 3.3, 3.45]))
        let n = 20_000
        var sum = 0.0
        let a = 31.0, b = 40.0, h = (b - a) / Double(n)
        for i in 0..<n { sum += c.value(at: a + (Double(i) + 0.5) * h) * h }
        #expect(abs(c.integral(from: a, to: b) - sum) < 1e-7)
    }

    @Test func slopesMatchSciPyPchipOnAKnownCase() throws {
        // scipy.interpolate.PchipInterpolator([0,1,3,4],[0,1,2,4]).derivative()([0,1,3,4])
        let c = try #require(MonotoneCubic(x: [0, 1, 3, 4], y: [0, 1, 2, 4]))
        let expected = MonotoneCubicTests.scipySlopes
        for (s, e) in zip(c.slopes, expected) { #expect(abs(s - e) < 1e-12) }
    }

    static let scipySlopes: [Double] = [1.1666666666666667, 0.6923076923076923, 0.8571428571428571, 2.4999999999999996]
}
