import Foundation

/// The encoder's per-macroblock decisions: motion search, then a rate-distortion choice among
/// skip, temporal (inter), split inter, inter-layer and bi prediction and between 4x4 and 8x8
/// transforms, with rate-distortion optimised levels and per-block coefficient zeroing; lambda
/// follows the quantizer (2^((QP - 12) / 3) on SSE).
final class MacroblockEncoder {
    private let geometry: LayerGeometry
    private let compensator = MotionCompensator()
    private let searchPlanes: SearchPlaneCache
    private let reconstructor = MacroblockReconstructor()
    /// Predictions per candidate: skip (motion with the predicted vector), inter, inter-layer, bi,
    /// differential, split inter (a vector per 8x8 quadrant), skip with the lower layer's vector, and in
    /// frames with a backward reference (version 7) the backward block, the average of the forward and
    /// backward blocks, and the skip averaged with the backward block at the mirrored vector.
    private let predictions: [MacroblockPrediction]
    /// The memory of ``predictions``.
    private let predictionMemory = MacroblockPredictions(count: 10)
    private let residual: UnsafeMutablePointer<Int16>
    private let coefficients: UnsafeMutablePointer<Int32>
    private let dequantized: UnsafeMutablePointer<Int32>
    private let blockResidual: UnsafeMutablePointer<Int16>
    private let scratch: UnsafeMutablePointer<Int32>
    private let candidateLevels: UnsafeMutablePointer<Int32>
    private let levels4: UnsafeMutablePointer<Int32>
    private let levels8: UnsafeMutablePointer<Int32>
    /// The rates (1/256 bit) of the candidate's coded blocks as the quantizer priced them, by
    /// ``CoefficientLayout`` offset / 16: luma 4x4 blocks, luma 8x8 blocks (at 4q), chroma blocks.
    private let blockRates4: UnsafeMutablePointer<Int32>, blockRates8: UnsafeMutablePointer<Int32>
    private let chromaBlockRates: UnsafeMutablePointer<Int32>
    private let bestLevels: UnsafeMutablePointer<Int32>
    private let reconstructed: UnsafeMutablePointer<UInt8>
    /// Vector candidates of the macroblock search, (x, y) pairs: up to five.
    private let candidates: UnsafeMutablePointer<Int32>
    /// The single candidate of a quadrant search: the macroblock's vector.
    private let quadrantCandidate: UnsafeMutablePointer<Int32>
    private let scratchPicture: Picture
    /// ``psychovisualStrength`` times the square root of the picture's lambda: the weight of a unit of
    /// lost texture energy (``textureLoss(_:_:_:)``) in squared-error units.
    private var psychovisualScale = 0.0
    /// Texture (AC) energy of the source's four luma quadrants of the current macroblock
    /// (``BlockMetrics/hadamardACEnergy8x8(_:_:)``), raster order.
    private var sourceEnergy = SIMD4<Int>()
    /// How much a unit of chroma squared error weighs against a unit of luma's in every decision
    /// (``EnhancementEncoder/init(parameters:chromaWeight:)``).
    private let chromaWeight: Int

    /// Rounding offset of the quantizer in 1/256 of a step (1/3). The rate-distortion refinement
    /// (``RateDistortionQuantizer``) then lowers the levels that are not worth their bits, so the
    /// offset starts above the 1/6 of plain H.264 inter quantization (measured on real 720p clips).
    static let deadZone: Int32 = 85
    /// A skip whose distortion is below lambda times this many bits is taken without searching further.
    static let earlySkipBits = 2.0
    /// Strength of the psychovisual term every luma decision adds to its squared error: the source's
    /// texture energy that a candidate (a prediction left uncoded or a reconstruction) has lost, times
    /// this and the square root of lambda (the SATD-domain lambda of the motion search). Squared error
    /// alone prefers a smooth block to a textured one of the same error, and VMAF, like the eye, does
    /// not. With lost texture charged, not texture added (x264's psy-rd charges both), `strata bench`
    /// at equal quality on three real clips went 0.7527 -> 0.7313 (bigbuckbunny 720p), 0.8910 -> 0.8827
    /// (bikes 640x272) and 1.1219 -> 1.0763 (carphone 176x144); strengths 0.25 and 0.35 gave 0.7293 and
    /// 0.7325, 0.8826 and 0.8844, 1.0943 and 1.0700. Charging any change of energy gained less at 0.1
    /// and lost from 0.25 on; a plain lower lambda (0.85x) gained 0.5% at most.
    static let psychovisualStrength = 0.3
    /// Weight of a vector's bits in the macroblock's motion searches (forward and backward), as a
    /// multiple of the square root of lambda that the mode decisions use: a field that follows its
    /// predictions pays for itself in the vectors, skips and neighbours after it, which one search
    /// does not see. `strata bench` at equal quality (bigbuckbunny / bikes / carphone_pristine): 1x
    /// 0.6068 / 0.7191 / 0.9163, 1.5x 0.6057 / 0.7185 / 0.9126, 2x 0.6052 / 0.7174 / 0.9094, 3x
    /// 0.6067 / 0.7178 / 0.9112, 4x 0.6118 / 0.7214 / 0.9259.
    static let motionLambdaScale = 2.0
    /// The frame's inter-layer filter (version 8), applied to the INTER-LAYER candidate.
    private var interLayerFilter: InterLayerFilter?
    /// Whether the picture being coded prices each coded macroblock's luma with 4x4 transforms too
    /// (``pricesLuma4x4(macroblocks:temporalId:recentShare:)``).
    private var pricesLuma4x4 = true

    /// The largest picture, in macroblocks, whose every frame prices the luma residual with both
    /// transform sizes (352x288). In larger pictures the frames of temporal id 0 price both, and the
    /// frames between them only when the latest frame of temporal id 0 chose 4x4 transforms for at
    /// least ``luma4x4ShareToKeep`` of its macroblocks with coded luma; otherwise they code luma with
    /// 8x8 transforms alone. On natural video at 640x272 and 1280x720 the 4x4 blocks won at most a fifth
    /// of the coded macroblocks of temporal id 0 and saved nothing in the frames between: `strata bench`
    /// storage_ratio 0.5406 -> 0.5394 (bigbuckbunny) and 0.6213 -> 0.6185 (bikes), at equal quality
    /// 0.5453 -> 0.5440 and 0.6316 -> 0.6300, top point BD-rate +12.8% -> +12.6% and +53.8% -> +54.3%,
    /// for 4.3% fewer encoder instructions (8x8 alone in every frame saved 7.8%, with 0.5373 / 0.6180
    /// and +13.5% / +53.4%). On synthetic graphics (ffmpeg's testsrc2 at 1280x720) they won about
    /// four fifths and the frames between keep them: 8x8 alone there cost 3% more rate for 0.55 dB
    /// less. At 176x144 they pay in every frame (carphone_pristine with 8x8 alone: 0.7739 -> 0.7836 at
    /// equal quality), and so small a picture costs little to price twice. The decoder reads either
    /// size anywhere.
    static let largestPictureForLuma4x4 = 396
    /// The share of a frame of temporal id 0's luma-coded macroblocks choosing 4x4 transforms above
    /// which the frames after it price them too (``largestPictureForLuma4x4``).
    static let luma4x4ShareToKeep = 0.5

    /// Whether a frame of temporal id `temporalId` in a layer of `macroblocks` prices its luma residual
    /// with 4x4 transforms too, `recentShare` being the share of the latest frame of temporal id 0
    /// (``luma4x4Share(_:)``).
    static func pricesLuma4x4(macroblocks: Int, temporalId: Int, recentShare: Double) -> Bool {
        macroblocks <= largestPictureForLuma4x4 || temporalId == 0 || recentShare >= luma4x4ShareToKeep
    }

    /// The share of the picture's macroblocks with coded luma that chose 4x4 transforms (0 with none).
    static func luma4x4Share(_ syntax: FrameSyntaxState) -> Double {
        var small = 0, coded = 0
        let gridWidth = 2 * syntax.mbWide
        for y in 0..<syntax.mbHigh {
            for x in 0..<syntax.mbWide {
                let u = 2 * y * gridWidth + 2 * x
                guard syntax.cbp8[u] | syntax.cbp8[u + 1] | syntax.cbp8[u + gridWidth] | syntax.cbp8[u + gridWidth + 1] != 0 else { continue }
                coded += 1
                if syntax.transform8x8[y * syntax.mbWide + x] == 0 { small += 1 }
            }
        }
        return coded > 0 ? Double(small) / Double(coded) : 0
    }

    /// `references` is how many distinct reference pictures can be alive at once.
    init(geometry: LayerGeometry, references: Int, chromaWeight: Int = 1) {
        self.geometry = geometry
        self.chromaWeight = chromaWeight
        predictions = predictionMemory.all
        searchPlanes = SearchPlaneCache(capacity: max(references, 2))
        residual = .allocate(capacity: 384); residual.initialize(repeating: 0, count: 384)
        coefficients = .allocate(capacity: 64); coefficients.initialize(repeating: 0, count: 64)
        dequantized = .allocate(capacity: 64); dequantized.initialize(repeating: 0, count: 64)
        blockResidual = .allocate(capacity: 64); blockResidual.initialize(repeating: 0, count: 64)
        scratch = .allocate(capacity: 64); scratch.initialize(repeating: 0, count: 64)
        candidateLevels = .allocate(capacity: CoefficientLayout.count); candidateLevels.initialize(repeating: 0, count: CoefficientLayout.count)
        levels4 = .allocate(capacity: 256); levels4.initialize(repeating: 0, count: 256)
        levels8 = .allocate(capacity: 256); levels8.initialize(repeating: 0, count: 256)
        blockRates4 = .allocate(capacity: 16); blockRates4.initialize(repeating: 0, count: 16)
        blockRates8 = .allocate(capacity: 16); blockRates8.initialize(repeating: 0, count: 16)
        chromaBlockRates = .allocate(capacity: 8); chromaBlockRates.initialize(repeating: 0, count: 8)
        bestLevels = .allocate(capacity: CoefficientLayout.count); bestLevels.initialize(repeating: 0, count: CoefficientLayout.count)
        reconstructed = .allocate(capacity: 64); reconstructed.initialize(repeating: 0, count: 64)
        candidates = .allocate(capacity: 10); candidates.initialize(repeating: 0, count: 10)
        quadrantCandidate = .allocate(capacity: 2); quadrantCandidate.initialize(repeating: 0, count: 2)
        scratchPicture = Picture(geometry: LayerGeometry(width: 16, height: 16), margin: 0)
    }

    deinit {
        residual.deallocate(); coefficients.deallocate(); dequantized.deallocate(); blockResidual.deallocate()
        scratch.deallocate(); candidateLevels.deallocate(); levels4.deallocate(); levels8.deallocate()
        blockRates4.deallocate(); blockRates8.deallocate(); chromaBlockRates.deallocate()
        bestLevels.deallocate(); reconstructed.deallocate(); candidates.deallocate(); quadrantCandidate.deallocate()
    }

    /// The psychovisual term of an 8x8 luma area standing for the source's quadrant `q`: the texture
    /// energy it lacks against the source, weighted (``psychovisualStrength``); 0 when it has as much.
    @inline(__always) private func textureLoss(_ q: Int, _ area: UnsafePointer<UInt8>, _ stride: Int) -> Int {
        let lost = sourceEnergy[q] - BlockMetrics.hadamardACEnergy8x8(area, stride)
        return lost > 0 ? Int((psychovisualScale * Double(lost)).rounded()) : 0
    }

    /// ``textureLoss(_:_:_:)`` of a whole luma prediction left uncoded.
    private func textureLoss(_ p: MacroblockPrediction) -> Int {
        var total = 0
        for q in 0..<4 { total += textureLoss(q, p.luma + (q >> 1) * 8 * 16 + (q & 1) * 8, 16) }
        return total
    }

    /// Lagrange multiplier on SSE for a QP.
    static func lambda(qp: Int) -> Double { 1.0 * pow(2, Double(qp - 12) / 3) }

    /// Chooses, writes and reconstructs every macroblock of a picture; `backward` is its backward
    /// reference (version 7; the caller has set ``FrameSyntaxState/hasBackward``).
    /// `pricesLuma4x4`: whether coded macroblocks price their luma with 4x4 transforms too
    /// (``pricesLuma4x4(macroblocks:temporalId:recentShare:)``).
    func encodePicture(_ writer: inout ArithmeticBinWriter, qp: Int, source: Picture, interLayer: Picture, filter: InterLayerFilter? = nil,
                       reference: Picture?,
                       backward: Picture?, current: Picture, syntax: FrameSyntaxState, costs: UnsafePointer<Int32>,
                       pricesLuma4x4: Bool) {
        self.pricesLuma4x4 = pricesLuma4x4
        let lambda = MacroblockEncoder.lambda(qp: qp)
        psychovisualScale = MacroblockEncoder.psychovisualStrength * lambda.squareRoot()
        interLayerFilter = filter
        let planes = reference.map { searchPlanes.planes(for: $0) }
        // The backward picture's planes, found once a picture and passed beside it (as a pair, an
        // optional tuple, both were retained and released at every macroblock).
        let backwardPlanes = backward.map { searchPlanes.planes(for: $0) }
        var chosen = MacroblockData()
        for mby in 0..<geometry.macroblocksHigh {
            for mbx in 0..<geometry.macroblocksWide {
                let winner = decide(qp: qp, lambda: lambda, source: source, interLayer: interLayer, reference: reference,
                                    planes: planes, backward: backward, backwardPlanes: backwardPlanes,
                                    syntax: syntax, costs: costs, mbx: mbx, mby: mby, chosen: &chosen)
                MacroblockWriter.write(&writer, chosen, bestLevels, syntax, mbx, mby, hasReference: reference != nil)
                syntax.recordLevels(mbx, mby, chosen, bestLevels)
                reconstructor.reconstruct(chosen, bestLevels, qp, predictions[winner], current, mbx, mby)
                let i = mby * geometry.macroblocksWide + mbx
                (current.motion[2 * i], current.motion[2 * i + 1]) = syntax.macroblockMotion(mbx, mby)
            }
        }
    }

    /// Picks the macroblock's syntax (into `chosen` and ``bestLevels``); returns the index of its prediction.
    private func decide(qp: Int, lambda: Double, source: Picture, interLayer: Picture, reference: Picture?, planes: SearchPlanes?,
                        backward: Picture?, backwardPlanes: SearchPlanes?,
                        syntax: FrameSyntaxState, costs: UnsafePointer<Int32>, mbx: Int, mby: Int,
                        chosen: inout MacroblockData) -> Int {
        let hasReference = reference != nil
        let (px, py) = syntax.predictedMotion(mbx, mby)
        var bestCost = Double.infinity, winner = 2
        let sourceLuma = source.luma.origin + mby * 16 * source.luma.stride + mbx * 16, sourceStride = source.luma.stride
        for q in 0..<4 {
            sourceEnergy[q] = BlockMetrics.hadamardACEnergy8x8(sourceLuma + (q >> 1) * 8 * sourceStride + (q & 1) * 8, sourceStride)
        }

        /// `skipDistortion`: the skip prediction's SSE when the caller has it already.
        func consider(_ mb: MacroblockData, _ index: Int, skipDistortion: Int? = nil) {
            var candidate = mb
            let cost: Double
            if mb.mode == .skip {
                candidateLevels.update(repeating: 0, count: CoefficientLayout.count)
                var estimator = RateEstimator(costs: costs)
                MacroblockWriter.write(&estimator, candidate, candidateLevels, syntax, mbx, mby, hasReference: hasReference)
                let sse = (skipDistortion ?? distortion(source, predictions[index], mbx, mby)) + textureLoss(predictions[index])
                cost = Double(sse) + lambda * Double(estimator.cost) / 256
            } else {
                // The bins before the residual are part of the candidate's rate whatever the residual.
                var estimator = RateEstimator(costs: costs)
                estimator.bin(0, ContextIndex.skip + syntax.skipContext(mbx, mby))
                MacroblockWriter.writePrediction(&estimator, candidate, syntax, mbx, mby, hasReference: hasReference)
                cost = codeResidual(&candidate, qp: qp, lambda: lambda, bound: bestCost, prefixRate: estimator.cost,
                                    source: source, prediction: predictions[index],
                                    syntax: syntax, costs: costs, mbx: mbx, mby: mby)
            }
            if cost < bestCost {
                bestCost = cost
                winner = index
                chosen = candidate
                bestLevels.update(from: candidateLevels, count: CoefficientLayout.count)
            }
        }

        if let interLayerFilter {
            MacroblockPrediction.formFilteredInterLayer(MacroblockTarget(interLayer), mbx, mby, filter: interLayerFilter,
                                                        width: geometry.codedWidth, height: geometry.codedHeight,
                                                        into: predictions[2].target)
        } else {
            predictions[2].formInterLayer(interLayer, mbx, mby)
        }
        if let reference, let planes {
            let src = source.luma.origin + mby * 16 * source.luma.stride + mbx * 16
            // Early skip: when the predicted vector already leaves an error below what any coded
            // alternative could save, the search and the other candidates are not worth their time.
            let (sx, sy) = syntax.predictedMotion(mbx, mby, skip: true)
            predictions[0].formMotion(compensator, reference, mbx, mby, sx, sy)
            var skip = MacroblockData()
            skip.mvx = sx; skip.mvy = sy
            let skipDistortion = distortion(source, predictions[0], mbx, mby)
            consider(skip, 0, skipDistortion: skipDistortion)
            // A SKIP may also take the vector the lower layer coded here (version 5; FrameSyntaxState.lowerSkipVector):
            // a macroblock whose motion the lower layer found, left without residual, no longer pays for the
            // mode, vector and coded-block bins of an INTER macroblock (`strata bench` at equal quality:
            // bigbuckbunny 0.7313 -> 0.7227, bikes 0.8828 -> 0.8753, carphone 1.0763 -> 1.0725).
            var skipIndex = 0, bestSkipDistortion = skipDistortion, bestSkip = skip
            if let (lx, ly) = syntax.lowerSkipVector(mbx, mby, predicted: (sx, sy)) {
                predictions[6].formMotion(compensator, reference, mbx, mby, lx, ly)
                var skipLower = MacroblockData()
                skipLower.mvx = lx; skipLower.mvy = ly; skipLower.skipLower = true
                let lowerDistortion = distortion(source, predictions[6], mbx, mby)
                consider(skipLower, 6, skipDistortion: lowerDistortion)
                if lowerDistortion < skipDistortion { (skipIndex, bestSkipDistortion, bestSkip) = (6, lowerDistortion, skipLower) }
            }
            // Version 7: the better skip averaged with the backward reference's block at the mirrored
            // vector (the hierarchy puts the two references equally far on either side).
            if let backward {
                var skipBoth = bestSkip
                skipBoth.direction = .both
                skipBoth.bmvx = -skipBoth.mvx; skipBoth.bmvy = -skipBoth.mvy
                predictions[9].copy(from: predictions[skipIndex])
                predictions[9].averageWithMotion(compensator, backward, mbx, mby, skipBoth.bmvx, skipBoth.bmvy)
                let bothDistortion = distortion(source, predictions[9], mbx, mby)
                consider(skipBoth, 9, skipDistortion: bothDistortion)
                if bothDistortion < bestSkipDistortion { (skipIndex, bestSkipDistortion) = (9, bothDistortion) }
            }
            if Double(bestSkipDistortion) < lambda * MacroblockEncoder.earlySkipBits {
                return winner
            }
            // Early skip, second test: every 4x4 block of the skip's residual quantizes to zero, and the
            // skip predicts at least as well as the lower layer (by SATD), so neither a residual nor
            // another vector of the same area is likely to pay (a looser test, without the lower layer's
            // check, cost 0.9 % of the rate on a clip where inter-layer prediction often wins).
            // (The inter-layer SATD is kept for the choice below.)
            var interLayerSATD: Int?
            if residualQuantizesToZero(source, predictions[skipIndex], mbx, mby, qp: qp) {
                let ls = source.luma.stride
                let satd = BlockMetrics.satdSIMD(src, ls, predictions[2].luma, 16, 16, 16)
                interLayerSATD = satd
                if BlockMetrics.satdSIMD(src, ls, predictions[skipIndex].luma, 16, 16, 16) <= satd {
                    return winner
                }
            }
            // Candidates: the reference's vectors here, right and below, then this picture's left and top.
            var count = 0
            let w = geometry.macroblocksWide, i = mby * w + mbx
            for n in 0..<3 {
                let m = n == 0 ? i : (n == 1 ? i + 1 : i + w)
                guard m < geometry.macroblockCount else { continue }
                candidates[count] = reference.motion[2 * m]; candidates[count + 1] = reference.motion[2 * m + 1]
                count += 2
            }
            for n in 0..<2 {
                let nx = n == 0 ? mbx - 1 : mbx, ny = n == 0 ? mby : mby - 1
                guard nx >= 0 && ny >= 0 && syntax.hasMotion[ny * w + nx] != 0 else { continue }
                (candidates[count], candidates[count + 1]) = syntax.macroblockMotion(nx, ny)
                count += 2
            }
            // Where the lower layer (of this size, or half of it) carries a vector here, the predicted vector is the median
            // of it and the neighbours', and the lower layer's own search has already found the motion: single-
            // sample steps refine it (`strata bench` at equal quality 0.7559 -> 0.7552 on bigbuckbunny and
            // 0.8941 -> 0.8925 on bikes; the 1x layers encode 6-8% faster; steps from 2 gained less).
            // Elsewhere the diamond starts at 16 samples: with four temporal layers the frames of temporal
            // id 0 are eight frames apart (at equal quality 0.6109 -> 0.6068 on bigbuckbunny, 0.7206 ->
            // 0.7190 on bikes, 0.9198 -> 0.9152 on carphone_pristine; from 32, 0.6078 / 0.7186 / 0.9171).
            let guided = syntax.useLowerMotion && syntax.lowerHasMotion[i] != 0
            // Over a lower macroblock that is a SKIP, BI and DIFFERENTIAL are not formed: on the 100-frame
            // bigbuckbunny stream's 1280x720 layers such macroblocks (70% of the full decisions) chose them
            // in 1% of the cases or fewer, against 4-5% each over a coded lower vector. `strata bench` at equal
            // quality 0.5529 -> 0.5511 / 0.6597 -> 0.6612 / 0.8914 -> 0.8901 (bigbuckbunny / bikes /
            // carphone_pristine), encoding about 4% faster. (Leaving out split INTER there too, another 4%:
            // 0.5538 / 0.6600 / 0.8912, but the top layer's BD-rate against x264 +14.9% -> +15.7%. Leaving
            // out BOTH there, which won 1% of the macroblocks it was priced for: 0.5649 / 0.6733 / 0.9526;
            // the searches over a lower macroblock without a vector, where INTER-LAYER won 84-91%: 0.5619 /
            // 0.6898 / 0.9083.)
            let overLowerSkip = syntax.useLowerMotion && syntax.lowerHasMotion[i] == 1
            let (mvx, mvy) = MotionSearch.search(source: src, sourceStride: source.luma.stride, reference: planes,
                                                 x: mbx * 16, y: mby * 16, predicted: (px, py),
                                                 candidates: UnsafeBufferPointer(start: candidates, count: count),
                                                 lambda: lambda.squareRoot() * MacroblockEncoder.motionLambdaScale,
                                                 firstStep: guided ? 1 : 16)
            predictions[1].formMotion(compensator, reference, mbx, mby, mvx, mvy)
            // Rate-distortion checks are costly: try the best predictions by SATD (plus the vector's cost) only.
            let ls = source.luma.stride
            let vectorCost = Int(lambda.squareRoot() * Double(MotionSearch.vectorBits(mvx, mvy, px, py)))
            let satdInter = BlockMetrics.satdSIMD(src, ls, predictions[1].luma, 16, 16, 16) + vectorCost
            let satdInterLayer = interLayerSATD ?? BlockMetrics.satdSIMD(src, ls, predictions[2].luma, 16, 16, 16)
            var satdBi = Int.max, satdDifferential = Int.max
            if !overLowerSkip {
                predictions[3].copy(from: predictions[1])
                predictions[3].averageWith(interLayer, mbx, mby)
                predictions[4].copy(from: predictions[1])
                predictions[4].addLowerLayerChange(compensator, reference.upsampledLower!, interLayer, mbx, mby, mvx, mvy)
                satdBi = BlockMetrics.satdSIMD(src, ls, predictions[3].luma, 16, 16, 16) + vectorCost
                satdDifferential = BlockMetrics.satdSIMD(src, ls, predictions[4].luma, 16, 16, 16) + vectorCost
            }
            // Split inter: each quadrant searched around the macroblock's vector, predicted in order;
            // only when some quadrant's best whole-sample vector leaves the macroblock's, as otherwise
            // the four vectors end up (nearly) equal and the split costs more than it gains.
            var satdSplit = Int.max, split = MacroblockData()
            if syntax.splitAllowed && quadrantsDiverge(source: src, stride: ls, reference: planes, mbx: mbx, mby: mby,
                                                       vector: (mvx, mvy), lambda: lambda) {
                split.mode = .inter
                split.split = true
                var bits = 1
                for q in 0..<4 {
                    let qx = (q & 1) * 8, qy = (q >> 1) * 8
                    let (qpx, qpy) = syntax.predictedMotion(mbx, mby, quadrant: q, inner: split.quadrantMotion)
                    (quadrantCandidate[0], quadrantCandidate[1]) = (mvx, mvy)
                    let (vx, vy) = MotionSearch.search(source: src + qy * ls + qx, sourceStride: ls, reference: planes,
                                                       x: mbx * 16 + qx, y: mby * 16 + qy, size: 8, predicted: (qpx, qpy),
                                                       candidates: UnsafeBufferPointer(start: quadrantCandidate, count: 2),
                                                       lambda: lambda.squareRoot())
                    split.quadrantMotion[2 * q] = vx; split.quadrantMotion[2 * q + 1] = vy
                    split.quadrantDifference[2 * q] = vx - qpx; split.quadrantDifference[2 * q + 1] = vy - qpy
                    bits += MotionSearch.vectorBits(vx, vy, qpx, qpy)
                }
                split.mvx = split.quadrantMotion[0]; split.mvy = split.quadrantMotion[1]
                split.mvdx = split.quadrantDifference[0]; split.mvdy = split.quadrantDifference[1]
                let v = split.quadrantMotion
                // Four equal vectors are the unsplit macroblock at a higher price.
                if v[0] != v[2] || v[0] != v[4] || v[0] != v[6] || v[1] != v[3] || v[1] != v[5] || v[1] != v[7] {
                    predictions[5].formSplitMotion(compensator, reference, mbx, mby, v)
                    satdSplit = BlockMetrics.satdSIMD(src, ls, predictions[5].luma, 16, 16, 16) + Int(lambda.squareRoot() * Double(bits))
                }
            }
            // Version 7: the backward reference's block, searched from the mirrored vectors, alone (its
            // vector coded as the mirror of a forward one) and averaged with the forward block.
            var satdBackward = Int.max, satdBoth = Int.max, backwardVector: (Int32, Int32) = (0, 0)
            if let backward, let backwardPlanes {
                candidates[0] = -mvx; candidates[1] = -mvy
                backwardVector = MotionSearch.search(source: src, sourceStride: ls, reference: backwardPlanes, x: mbx * 16, y: mby * 16,
                                                     predicted: (-px, -py), candidates: UnsafeBufferPointer(start: candidates, count: 2),
                                                     lambda: lambda.squareRoot() * MacroblockEncoder.motionLambdaScale)
                let (bx, by) = backwardVector
                predictions[7].formMotion(compensator, backward, mbx, mby, bx, by)
                predictions[8].copy(from: predictions[1])
                predictions[8].averageWith(predictions[7].target, 0, 0)
                let backwardBits = MotionSearch.vectorBits(-bx, -by, px, py)
                satdBackward = BlockMetrics.satdSIMD(src, ls, predictions[7].luma, 16, 16, 16) + Int(lambda.squareRoot() * Double(backwardBits + 1))
                satdBoth = BlockMetrics.satdSIMD(src, ls, predictions[8].luma, 16, 16, 16) + vectorCost
                    + Int(lambda.squareRoot() * Double(MotionSearch.vectorBits(bx, by, -mvx, -mvy) + 1))
            }
            let best = min(satdInter, satdInterLayer, satdBi, satdDifferential, satdSplit, satdBackward, satdBoth)
            // Inter and inter-layer prediction are tried within a margin of the best SATD; bi,
            // differential and split inter, which win far less often (a few percent of macroblocks
            // between them on real clips), only when they beat both by SATD outright. Trying them
            // within the margin too took a third of the encoding time for 0.1-0.2 % of the rate.
            let margin = best + best / 8 + 16
            let extraMargin = min(satdInter, satdInterLayer)
            if satdInter <= margin {
                var inter = MacroblockData()
                inter.mode = .inter
                inter.mvx = mvx; inter.mvy = mvy; inter.mvdx = mvx - px; inter.mvdy = mvy - py
                consider(inter, 1)
            }
            if satdInterLayer <= margin {
                var interLayerMB = MacroblockData()
                interLayerMB.mode = .interLayer
                consider(interLayerMB, 2)
            }
            if satdBi <= extraMargin {
                var bi = MacroblockData()
                bi.mode = .bi
                bi.mvx = mvx; bi.mvy = mvy; bi.mvdx = mvx - px; bi.mvdy = mvy - py
                consider(bi, 3)
            }
            if satdDifferential <= extraMargin {
                var differential = MacroblockData()
                differential.mode = .differential
                differential.mvx = mvx; differential.mvy = mvy; differential.mvdx = mvx - px; differential.mvdy = mvy - py
                consider(differential, 4)
            }
            if satdSplit <= extraMargin { consider(split, 5) }
            if satdBackward <= margin {
                var backwardMB = MacroblockData()
                backwardMB.mode = .inter
                backwardMB.direction = .backward
                (backwardMB.bmvx, backwardMB.bmvy) = backwardVector
                backwardMB.mvx = -backwardVector.0; backwardMB.mvy = -backwardVector.1
                backwardMB.mvdx = backwardMB.mvx - px; backwardMB.mvdy = backwardMB.mvy - py
                consider(backwardMB, 7)
            }
            if satdBoth <= margin {
                var both = MacroblockData()
                both.mode = .inter
                both.direction = .both
                both.mvx = mvx; both.mvy = mvy; both.mvdx = mvx - px; both.mvdy = mvy - py
                (both.bmvx, both.bmvy) = backwardVector
                both.bmvdx = backwardVector.0 + mvx; both.bmvdy = backwardVector.1 + mvy
                consider(both, 8)
            }
        } else {
            consider(MacroblockData(), 2)
            var interLayerMB = MacroblockData()
            interLayerMB.mode = .interLayer
            consider(interLayerMB, 2)
        }
        return winner
    }

    /// Whether the whole-sample search of some 8x8 quadrant, started from the macroblock's vector and
    /// priced against it, ends elsewhere than that vector rounded to whole samples. Single-sample
    /// steps suffice for the question (the same check with the full 8-4-2-1 search found 0.15 % more
    /// on a clip with much split motion, at about a tenth more encoding time).
    private func quadrantsDiverge(source: UnsafePointer<UInt8>, stride: Int, reference: SearchPlanes, mbx: Int, mby: Int,
                                  vector: (Int32, Int32), lambda: Double) -> Bool {
        let whole = (((vector.0 + 2) >> 2) << 2, ((vector.1 + 2) >> 2) << 2)
        (quadrantCandidate[0], quadrantCandidate[1]) = vector
        for q in 0..<4 {
            let qx = (q & 1) * 8, qy = (q >> 1) * 8
            let found = MotionSearch.search(source: source + qy * stride + qx, sourceStride: stride, reference: reference,
                                            x: mbx * 16 + qx, y: mby * 16 + qy, size: 8, predicted: vector,
                                            candidates: UnsafeBufferPointer(start: quadrantCandidate, count: 2),
                                            lambda: lambda.squareRoot(), subsample: false, firstStep: 1)
            if found != whole { return true }
        }
        return false
    }

    /// Whether every 4x4 block of the macroblock's residual against `p` (luma and chroma) certainly
    /// quantizes to zero with the 4x4 transform.
    private func residualQuantizesToZero(_ source: Picture, _ p: MacroblockPrediction, _ mbx: Int, _ mby: Int, qp: Int) -> Bool {
        for i in 0..<3 {
            let plane = source.plane(i), size = i == 0 ? 16 : 8, q = i == 0 ? qp : MacroblockReconstructor.chromaQP(qp)
            let src = plane.origin + mby * size * plane.stride + mbx * size, pred = p.plane(i)
            let largest = BlockMetrics.largestSAD4x4SIMD(src, plane.stride, pred, 16, size, size)
            if !Quantization.quantizesToZero4x4(sumOfMagnitudes: largest, qp: q, deadZone: MacroblockEncoder.deadZone) { return false }
        }
        return true
    }

    /// SSE of a prediction against the source over the whole macroblock (luma and chroma).
    private func distortion(_ source: Picture, _ p: MacroblockPrediction, _ mbx: Int, _ mby: Int) -> Int {
        var total = 0
        for i in 0..<3 {
            let plane = source.plane(i), size = i == 0 ? 16 : 8
            total += (i == 0 ? 1 : chromaWeight) * BlockMetrics.sseSIMD(plane.origin + mby * size * plane.stride + mbx * size, plane.stride,
                                                                         p.plane(i), 16, size, size)
        }
        return total
    }

    /// Quantizes the residual of a non-skip candidate, choosing the transform size and zeroing blocks
    /// whose coefficients cost more than they gain. Fills ``candidateLevels`` and the pattern fields
    /// of `mb`; returns its rate-distortion cost, or infinity as soon as that cost is certain to be
    /// at least `bound` (the best candidate's so far, which only a lower cost replaces): then the
    /// levels and fields are left unfinished, as they will not be used. `prefixRate` is the rate (1/256
    /// bit) of the macroblock's bins before its residual (mb_skip_flag and ``MacroblockWriter/writePrediction``),
    /// which every transform size's price starts from; with the distortion done so far it bounds the
    /// cost from below (compared as the cost is formed, distortion plus rate, so that rounding cannot
    /// make the bound exceed the cost).
    private func codeResidual(_ mb: inout MacroblockData, qp: Int, lambda: Double, bound: Double, prefixRate: Int,
                              source: Picture, prediction p: MacroblockPrediction,
                              syntax: FrameSyntaxState, costs: UnsafePointer<Int32>, mbx: Int, mby: Int) -> Double {
        let srcLuma = source.luma.origin + mby * 16 * source.luma.stride + mbx * 16, ls = source.luma.stride
        let prefixCost = lambda * Double(prefixRate) / 256
        Reconstruction.residualSIMD(srcLuma, ls, p.luma, 16, residual, 16, 16, 16)
        let categoryBase = mb.mode == .interLayer ? 3 : 0
        let base4 = MacroblockWriter.residualContext(categoryBase), base8 = MacroblockWriter.residualContext(categoryBase + 1)
        let refinement4 = MacroblockWriter.refinementContext(categoryBase), refinement8 = MacroblockWriter.refinementContext(categoryBase + 1)
        var pattern4 = 0, pattern8 = 0, distortion4 = 0, distortion8 = 0
        let scan4 = Quantization.zigzag4Scan, scan8 = Quantization.zigzag8Scan
        // The smaller distortion of the transform sizes priced.
        @inline(__always) func leastDistortion() -> Int { pricesLuma4x4 ? min(distortion4, distortion8) : distortion8 }
        for q in 0..<4 {
            // The distortion of the quadrants done and the prefix's rate are part of either transform
            // size's cost, and every other part is not negative: once they reach `bound`, this
            // candidate cannot win.
            if q > 0 && Double(leastDistortion()) + prefixCost >= bound { return .infinity }
            let qx = (q & 1) * 8, qy = (q >> 1) * 8
            let src = srcLuma + qy * ls + qx, pred = p.luma + qy * 16 + qx
            let zeroDistortion = BlockMetrics.sseSIMD(src, ls, pred, 16, 8, 8) + textureLoss(q, pred, 16)
            let magnitude: Int
            if pricesLuma4x4 {
                // 4x4 transforms.
                let (rate4, any4, sum) = codeQuad4x4(residual: residual + qy * 16 + qx, residualStride: 16, prediction: pred,
                                                     levels: levels4 + q * 64, rates: blockRates4 + q * 4, qp: qp,
                                                     context: base4, refinement: refinement4,
                                                     lower: syntax.lowerLumaSigns(mbx, mby, quadrant: q, transform8x8: false),
                                                     hidesSigns: syntax.hidesSigns,
                                                     scan: scan4, costs: costs, lambda: lambda)
                magnitude = sum
                if let coded4 = codedDistortion(any: any4, rate: rate4, source: src, stride: ls, zeroDistortion: zeroDistortion,
                                                lambda: lambda, lumaQuadrant: q) {
                    pattern4 |= 1 << q
                    distortion4 += coded4
                } else {
                    distortion4 += zeroDistortion
                    (levels4 + q * 64).update(repeating: 0, count: 64)
                }
            } else {
                // (What the 4x4 pass sums for the 8x8 transform's test below.)
                var sum = 0
                for k in 0..<4 { sum += BlockMetrics.sumOfMagnitudes4x4SIMD(residual + (qy + (k >> 1) * 4) * 16 + qx + (k & 1) * 4, 16) }
                magnitude = sum
            }
            // 8x8 transform, unless the quadrant certainly quantizes to zero with it.
            let lv8 = levels8 + q * 64
            if Quantization.quantizesToZero8x8(sumOfMagnitudes: magnitude, qp: qp, deadZone: MacroblockEncoder.deadZone) {
                lv8.update(repeating: 0, count: 64)
                distortion8 += zeroDistortion
                continue
            }
            Transform.forward8x8SIMD(residual + qy * 16 + qx, 16, coefficients, scratch)
            let refined = Quantization.quantizeSIMD(coefficients, lv8, 64, qp, MacroblockEncoder.deadZone) > 0
                ? RateDistortionQuantizer.refine(coefficients, lv8, count: 64, qp: qp, scan: scan8,
                                                 context: base8, refinement: refinement8,
                                                 lower: syntax.lowerLumaSigns(mbx, mby, quadrant: q, transform8x8: true),
                                                 hidesSigns: syntax.hidesSigns, costs: costs, lambda: lambda)
                : (nonzero: 0, rate: 0)
            if refined.nonzero > 0 {
                blockRates8[4 * q] = Int32(refined.rate)
                Quantization.dequantizeSIMD(lv8, dequantized, 64, qp)
                Transform.inverse8x8SIMD(dequantized, blockResidual, 8, scratch)
                Reconstruction.addClipSIMD(pred, 16, blockResidual, 8, reconstructed, 8, 8, 8)
                if let coded8 = codedDistortion(any: true, rate: refined.rate, source: src, stride: ls,
                                                zeroDistortion: zeroDistortion, lambda: lambda, lumaQuadrant: q) {
                    pattern8 |= 1 << q
                    distortion8 += coded8
                } else {
                    distortion8 += zeroDistortion
                    lv8.update(repeating: 0, count: 64)
                }
            } else {
                distortion8 += zeroDistortion
            }
        }
        // Chroma: each component coded or not as a whole, its error weighed by ``chromaWeight`` (its
        // levels and coding decided with lambda / weight, the same trade).
        if Double(leastDistortion()) + prefixCost >= bound { return .infinity }
        let chromaLambda = lambda / Double(chromaWeight)
        candidateLevels.update(repeating: 0, count: CoefficientLayout.count)
        var chromaDistortion = 0, cbpChroma = 0
        let cqp = MacroblockReconstructor.chromaQP(qp)
        let baseC = MacroblockWriter.residualContext(categoryBase + 2), refinementC = MacroblockWriter.refinementContext(categoryBase + 2)
        for c in 0..<2 {
            let plane = c == 0 ? source.cb : source.cr, cs = plane.stride
            let src = plane.origin + mby * 8 * cs + mbx * 8, pred = c == 0 ? p.cb : p.cr
            let res = residual + 256 + c * 64
            Reconstruction.residualSIMD(src, cs, pred, 16, res, 8, 8, 8)
            let zeroDistortion = BlockMetrics.sseSIMD(src, cs, pred, 16, 8, 8)
            let (rate, any, _) = codeQuad4x4(residual: res, residualStride: 8, prediction: pred,
                                             levels: candidateLevels + CoefficientLayout.chroma(c, 0), rates: chromaBlockRates + c * 4,
                                             qp: cqp, context: baseC,
                                             refinement: refinementC, lower: syntax.lowerChromaSigns(mbx, mby, component: c),
                                             hidesSigns: syntax.hidesSigns,
                                             scan: scan4, costs: costs, lambda: chromaLambda)
            if let coded = codedDistortion(any: any, rate: rate, source: src, stride: cs, zeroDistortion: zeroDistortion, lambda: chromaLambda) {
                cbpChroma |= 1 << c
                chromaDistortion += chromaWeight * coded
            } else {
                chromaDistortion += chromaWeight * zeroDistortion
                (candidateLevels + CoefficientLayout.chroma(c, 0)).update(repeating: 0, count: 64)
            }
        }
        mb.cbpChroma = cbpChroma
        // Price both transform sizes with the exact macroblock syntax: the prefix's bins (the same for
        // both), then the coded block pattern, transform size and the residual blocks, whose rates the
        // quantizer gave.
        func price(_ pattern: Int, _ use8x8: Bool, _ distortion: Int) -> Double {
            var trial = mb
            trial.cbpLuma = pattern
            trial.transform8x8 = use8x8 && pattern != 0
            candidateLevels.update(from: use8x8 ? levels8 : levels4, count: 256)
            var writer = KnownBlockRates(estimator: RateEstimator(costs: costs), levels: candidateLevels,
                                         lumaRates: use8x8 ? blockRates8 : blockRates4, chromaRates: chromaBlockRates)
            writer.estimator.cost = prefixRate
            MacroblockWriter.writeResidual(&writer, trial, candidateLevels, syntax, mbx, mby)
            return Double(distortion + chromaDistortion) + lambda * Double(writer.estimator.cost) / 256
        }
        // A size whose distortion and prefix already reach `bound` is not priced (the syntax writer is the costly part).
        let cost4 = !pricesLuma4x4 || Double(distortion4 + chromaDistortion) + prefixCost >= bound
            ? .infinity : price(pattern4, false, distortion4)
        let cost8 = Double(distortion8 + chromaDistortion) + prefixCost >= bound ? .infinity : price(pattern8, true, distortion8)
        if cost8 < cost4 {
            mb.cbpLuma = pattern8
            mb.transform8x8 = pattern8 != 0
            candidateLevels.update(from: levels8, count: 256)
            return cost8
        }
        mb.cbpLuma = pattern4
        mb.transform8x8 = false
        candidateLevels.update(from: levels4, count: 256)
        return cost4
    }

    /// Codes the four 4x4 blocks of one 8x8 area (a luma quadrant or a chroma component; levels
    /// 16 per block, raster order; `lower` the signs of the lower layer's levels in the same layout):
    /// transform, quantize, price each block with its coded-block flag (the rate of each coded block
    /// alone into `rates`), and reconstruct the area into ``reconstructed`` (8 wide). Returns the rate in 1/256
    /// bit, whether any block has coefficients and the sum of the area's residual magnitudes.
    private func codeQuad4x4(residual res: UnsafePointer<Int16>, residualStride: Int, prediction pred: UnsafePointer<UInt8>,
                             levels: UnsafeMutablePointer<Int32>, rates: UnsafeMutablePointer<Int32>, qp: Int, context: Int, refinement: Int,
                             lower: UnsafePointer<Int8>, hidesSigns: Bool, scan: UnsafePointer<UInt8>,
                             costs: UnsafePointer<Int32>, lambda: Double) -> (rate: Int, any: Bool, magnitude: Int) {
        var rate = 0, any = false, total = 0
        for k in 0..<4 {
            let kx = (k & 1) * 4, ky = (k >> 1) * 4
            let lv = levels + k * 16, block = res + ky * residualStride + kx
            var estimator = RateEstimator(costs: costs)
            let magnitude = BlockMetrics.sumOfMagnitudes4x4SIMD(block, residualStride)
            total += magnitude
            // A block that certainly quantizes to zero skips the transform and the quantizer.
            let certainlyZero = Quantization.quantizesToZero4x4(sumOfMagnitudes: magnitude, qp: qp, deadZone: MacroblockEncoder.deadZone)
            if certainlyZero {
                lv.update(repeating: 0, count: 16)
            } else {
                Transform.forward4x4SIMD(block, residualStride, coefficients)
            }
            let refined = !certainlyZero && Quantization.quantizeSIMD(coefficients, lv, 16, qp, MacroblockEncoder.deadZone) > 0
                ? RateDistortionQuantizer.refine(coefficients, lv, count: 16, qp: qp, scan: scan, context: context,
                                                 refinement: refinement, lower: lower + k * 16, hidesSigns: hidesSigns,
                                                 costs: costs, lambda: lambda)
                : (nonzero: 0, rate: 0)
            if refined.nonzero > 0 {
                rates[k] = Int32(refined.rate)
                estimator.bin(1, context + ContextIndex.cbfOffset + 1)
                estimator.cost += refined.rate
                any = true
            } else {
                estimator.bin(0, context + ContextIndex.cbfOffset + 1)
            }
            rate += estimator.cost
            reconstructor.reconstruct4x4(lv, qp, pred + ky * 16 + kx, 16, reconstructed + ky * 8 + kx, 8)
        }
        return (rate, any, total)
    }

    /// The distortion of an 8x8 area as reconstructed in ``reconstructed`` when coding its
    /// coefficients (`rate`, 1/256 bit) costs less than leaving it at the prediction; nil otherwise.
    /// For luma quadrant `lumaQuadrant` the distortion includes the reconstruction's texture loss
    /// (``textureLoss(_:_:_:)``; `zeroDistortion` then includes the prediction's).
    private func codedDistortion(any: Bool, rate: Int, source: UnsafePointer<UInt8>, stride: Int, zeroDistortion: Int,
                                 lambda: Double, lumaQuadrant: Int? = nil) -> Int? {
        guard any else { return nil }
        var coded = BlockMetrics.sseSIMD(source, stride, reconstructed, 8, 8, 8)
        if let lumaQuadrant { coded += textureLoss(lumaQuadrant, reconstructed, 8) }
        return Double(coded) + lambda * Double(rate) / 256 < Double(zeroDistortion) ? coded : nil
    }
}
