import StrataTestSupport
import Testing
@testable import StrataEnhancement

@Suite struct DeblockingTests {
    /// A 32x16 picture: left macroblock flat at `left`, right one flat at `right`, both with coefficients.
    static func picture(left: UInt8, right: UInt8) -> (Picture, FrameSyntaxState) {
        let picture = Picture(geometry: LayerGeometry(width: 32, height: 16), margin: 16)
        for y in 0..<16 {
            (picture.luma.origin + y * picture.luma.stride).update(repeating: left, count: 16)
            (picture.luma.origin + y * picture.luma.stride + 16).update(repeating: right, count: 16)
        }
        let syntax = FrameSyntaxState(mbWide: 2, mbHigh: 1)
        var mb = MacroblockData()
        mb.mode = .interLayer
        mb.cbpLuma = 15
        syntax.record(0, 0, mb, hasReference: true)
        syntax.record(1, 0, mb, hasReference: true)
        return (picture, syntax)
    }

    @Test func smallStepsAtCodedBlockEdgesAreSmoothed() {
        let (picture, syntax) = Self.picture(left: 100, right: 106)
        DeblockingFilter.apply(picture, syntax, qp: 32)
        let row = (0..<32).map { picture.luma.origin[$0] }
        #expect(row[15] > 100 && row[16] < 106, "edge samples move towards each other: \(row[13...18])")
        #expect(row[0] == 100 && row[31] == 106, "samples away from the edge are untouched")
    }

    @Test func realEdgesAndLowQPAreLeftAlone() {
        let (sharp, syntax) = Self.picture(left: 40, right: 200)
        DeblockingFilter.apply(sharp, syntax, qp: 32)
        #expect(sharp.luma.origin[15] == 40 && sharp.luma.origin[16] == 200)
        let (fine, syntax2) = Self.picture(left: 100, right: 106)
        DeblockingFilter.apply(fine, syntax2, qp: 10)
        #expect(fine.luma.origin[15] == 100 && fine.luma.origin[16] == 106)
    }

    @Test func theOffsetShiftsTheThresholdQP() {
        // At QP 32 a step of 6 is smoothed; 16 steps lower (QP 16, alpha 4) it is not, and QP 26's
        // thresholds (offset -6) still smooth it, exactly as QP 26 itself does.
        let (off, syntax) = Self.picture(left: 100, right: 106)
        DeblockingFilter.apply(off, syntax, qp: 32, offset: -16)
        #expect(off.luma.origin[15] == 100 && off.luma.origin[16] == 106)
        let (shifted, syntax2) = Self.picture(left: 100, right: 106)
        DeblockingFilter.apply(shifted, syntax2, qp: 32, offset: -6)
        let (direct, syntax3) = Self.picture(left: 100, right: 106)
        DeblockingFilter.apply(direct, syntax3, qp: 26)
        #expect((0..<32).map { shifted.luma.origin[$0] } == (0..<32).map { direct.luma.origin[$0] })
        #expect(shifted.luma.origin[15] > 100)
        // Offsets past either end of the table are limited to QP 0...51.
        let (low, syntax4) = Self.picture(left: 100, right: 106)
        DeblockingFilter.apply(low, syntax4, qp: 10, offset: -51)
        #expect(low.luma.origin[15] == 100)
    }

    @Test("the SIMD edge filters (luma and chroma, horizontal and vertical edges) equal the scalar reference")
    func edgeSIMDMatchesScalar() {
        var random = SplitMix64(seed: 77)
        var filtered = 0
        for round in 0..<4000 {
            // Six rows of eight samples around a random level, with steps small enough that many lanes filter.
            let level = Int(random.next() % 256), spread = Int(1 + random.next() % (round % 2 == 0 ? 12 : 60))
            let rows = (0..<(6 * 8)).map { _ in UInt8(clamping: level + Int(random.next() % UInt64(2 * spread + 1)) - spread) }
            let qp = 16 + Int(random.next() % 36)
            let alpha = DeblockingFilter.alpha[qp], beta = DeblockingFilter.beta[qp]
            let tc0 = (beta * Int32(1 + random.next() % 2) + 4) >> 3
            // Horizontal edge: six rows of eight, the edge between rows 2 and 3.
            var scalar = rows, simd = rows
            scalar.withUnsafeMutableBufferPointer { DeblockingFilter.filterLuma($0.baseAddress! + 3 * 8, 8, 1, alpha, beta, tc0) }
            simd.withUnsafeMutableBufferPointer { DeblockingFilter.filterLumaRowsSIMD($0.baseAddress! + 3 * 8, 8, alpha, beta, tc0) }
            #expect(simd == scalar, "horizontal edge, round \(round): qp \(qp) tc0 \(tc0)")
            if scalar != rows { filtered += 1 }
            // Vertical edge: eight lines of eight samples (p3...q3), the edge between columns 3 and 4.
            let lines = (0..<64).map { _ in UInt8(clamping: level + Int(random.next() % UInt64(2 * spread + 1)) - spread) }
            var scalarLines = lines, simdLines = lines
            scalarLines.withUnsafeMutableBufferPointer { DeblockingFilter.filterLuma($0.baseAddress! + 4, 1, 8, alpha, beta, tc0) }
            simdLines.withUnsafeMutableBufferPointer { DeblockingFilter.filterLumaColumnsSIMD($0.baseAddress! + 4, 8, alpha, beta, tc0) }
            #expect(simdLines == scalarLines, "vertical edge, round \(round): qp \(qp) tc0 \(tc0)")
            if scalarLines != lines { filtered += 1 }
            // Chroma, both directions, on the same samples.
            var chromaScalar = rows, chromaSIMD = rows
            chromaScalar.withUnsafeMutableBufferPointer { DeblockingFilter.filterChroma($0.baseAddress! + 3 * 8, 8, 1, alpha, beta, tc0 + 1) }
            chromaSIMD.withUnsafeMutableBufferPointer { DeblockingFilter.filterChromaRowsSIMD($0.baseAddress! + 3 * 8, 8, alpha, beta, tc0 + 1) }
            #expect(chromaSIMD == chromaScalar, "chroma horizontal edge, round \(round)")
            var chromaScalarLines = lines, chromaSIMDLines = lines
            chromaScalarLines.withUnsafeMutableBufferPointer { DeblockingFilter.filterChroma($0.baseAddress! + 4, 1, 8, alpha, beta, tc0 + 1) }
            chromaSIMDLines.withUnsafeMutableBufferPointer { DeblockingFilter.filterChromaColumnsSIMD($0.baseAddress! + 4, 8, alpha, beta, tc0 + 1) }
            #expect(chromaSIMDLines == chromaScalarLines, "chroma vertical edge, round \(round)")
        }
        #expect(filtered > 2000, "enough edges are really filtered for the comparison to mean something")
    }

    @Test("the SIMD edge strengths equal the spec's rule applied edge by edge")
    func edgeStrengthsSIMDMatchScalar() {
        var random = SplitMix64(seed: 5)
        var counts = [0, 0, 0]
        // Widths whose 8x8 grids leave remainders for the scalar tail (2 * 5 = 10, 2 * 7 = 14) and none (2 * 4 = 8).
        for (mbWide, mbHigh) in [(5, 4), (7, 3), (4, 4), (1, 1), (12, 5)] {
            for round in 0..<40 {
                let syntax = FrameSyntaxState(mbWide: mbWide, mbHigh: mbHigh)
                let hasReference = round % 8 != 0
                for y in 0..<mbHigh {
                    for x in 0..<mbWide {
                        var mb = MacroblockData()
                        mb.mode = MacroblockMode(rawValue: UInt8(random.next() % 5))!
                        // Small vectors, so that differences below and above 4 both occur.
                        mb.mvx = Int32(random.next() % 9) - 4; mb.mvy = Int32(random.next() % 9) - 4
                        if mb.mode == .inter && random.next() % 2 == 0 {
                            mb.split = true
                            for k in 0..<8 { mb.quadrantMotion[k] = Int32(random.next() % 13) - 6 }
                        }
                        mb.cbpLuma = random.next() % 3 == 0 ? Int(random.next() % 16) : 0
                        syntax.record(x, y, mb, hasReference: hasReference)
                    }
                }
                let n = 8 * mbWide * mbHigh
                DeblockingFilter.edgeStrengthsScalar(syntax)
                let scalar = Array(UnsafeBufferPointer(start: syntax.edgeStrengths, count: n))
                syntax.edgeStrengths.update(repeating: 9, count: n)
                DeblockingFilter.edgeStrengthsSIMD(syntax)
                let simd = Array(UnsafeBufferPointer(start: syntax.edgeStrengths, count: n))
                #expect(simd == scalar, "\(mbWide)x\(mbHigh) macroblocks, round \(round)")
                for s in scalar { counts[Int(s)] += 1 }
            }
        }
        #expect(counts.allSatisfy { $0 > 1000 }, "every strength occurs often: \(counts)")
    }

    @Test("a whole picture filtered with the SIMD strengths and filters equals the scalar references")
    func wholePictureMatchesScalarReference() {
        var random = SplitMix64(seed: 9)
        var changed = 0
        // Grids with and without a tail of edges that does not fill eight lanes (2 * 12 = 24, 2 * 5 = 10, 2 * 9 = 18).
        for (mbWide, mbHigh) in [(12, 3), (5, 4), (9, 2), (1, 2)] {
            for round in 0..<12 {
                let geometry = LayerGeometry(width: mbWide * 16, height: mbHigh * 16)
                let simd = Picture(geometry: geometry, margin: 16), scalar = Picture(geometry: geometry, margin: 16)
                // Blocks at random levels with small noise, so that edges of every size occur.
                for plane in 0..<3 {
                    let a = simd.plane(plane), b = scalar.plane(plane), block = plane == 0 ? 8 : 4
                    var levels: [Int] = []
                    for _ in 0..<((a.width / block + 1) * (a.height / block + 1)) { levels.append(Int(random.next() % 200) + 20) }
                    for y in 0..<a.height {
                        for x in 0..<a.width {
                            let level = levels[(y / block) * (a.width / block + 1) + x / block] + Int(random.next() % 7) - 3
                            let v = UInt8(clamping: level)
                            a.origin[y * a.stride + x] = v
                            b.origin[y * b.stride + x] = v
                        }
                    }
                }
                let syntax = FrameSyntaxState(mbWide: mbWide, mbHigh: mbHigh)
                for y in 0..<mbHigh {
                    for x in 0..<mbWide {
                        var mb = MacroblockData()
                        mb.mode = MacroblockMode(rawValue: UInt8(random.next() % 5))!
                        mb.mvx = Int32(random.next() % 9) - 4; mb.mvy = Int32(random.next() % 9) - 4
                        mb.cbpLuma = random.next() % 2 == 0 ? Int(random.next() % 16) : 0
                        syntax.record(x, y, mb, hasReference: true)
                    }
                }
                let qp = 24 + Int(random.next() % 24)
                DeblockingFilter.apply(simd, syntax, qp: qp)
                let before = (0..<scalar.luma.height).map { scalar.luma.origin[$0 * scalar.luma.stride + 7] }
                DeblockingFilter.apply(scalar, syntax, qp: qp, vectorized: false)
                for plane in 0..<3 {
                    let a = simd.plane(plane), b = scalar.plane(plane)
                    for y in 0..<a.height {
                        let rowA = Array(UnsafeBufferPointer(start: a.origin + y * a.stride, count: a.width))
                        let rowB = Array(UnsafeBufferPointer(start: b.origin + y * b.stride, count: b.width))
                        #expect(rowA == rowB, "\(mbWide)x\(mbHigh) macroblocks, round \(round), plane \(plane), row \(y)")
                    }
                }
                if before != (0..<scalar.luma.height).map({ scalar.luma.origin[$0 * scalar.luma.stride + 7] }) { changed += 1 }
            }
        }
        #expect(changed > 10, "the filter changes samples in most pictures: \(changed)")
    }
}
