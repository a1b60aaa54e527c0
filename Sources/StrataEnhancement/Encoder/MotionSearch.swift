/// Block motion estimation for a 16x16 macroblock or an 8x8 quadrant: predictor candidates, integer diamond
/// refinement on SAD, then half- and quarter-sample refinement, also on SAD, over the reference's
/// ``SearchPlanes``, each scored with the approximate cost of coding the vector difference (lambda * bits).
enum MotionSearch {
    /// Approximate bits of a vector difference component (quarter samples).
    @inline(__always) static func componentBits(_ d: Int32) -> Int {
        if d == 0 { return 1 }
        let a = Int(d.magnitude)
        return a < 9 ? 2 + a : 6 + 2 * (Int.bitWidth - (a - 8).leadingZeroBitCount)
    }

    @inline(__always) static func vectorBits(_ mvx: Int32, _ mvy: Int32, _ px: Int32, _ py: Int32) -> Int {
        componentBits(mvx - px) + componentBits(mvy - py)
    }

    /// Finds a vector for the `size x size` block (16 or 8) whose luma starts at `source` (rows
    /// `sourceStride`) at picture position (x, y); `candidates` holds (x, y) pairs of vectors to try
    /// first; the diamond steps of the whole-sample stage start at `firstStep` and halve down to 1. Returns
    /// quarter samples; with `subsample` false, the whole-sample vector before sub-sample refinement.
    /// (No array is built inside: the search runs several times per macroblock.)
    static func search(source: UnsafePointer<UInt8>, sourceStride: Int, reference planes: SearchPlanes, x: Int, y: Int,
                       size: Int = 16, predicted: (Int32, Int32), candidates: UnsafeBufferPointer<Int32>, lambda: Double,
                       subsample: Bool = true, firstStep: Int = 8) -> (Int32, Int32) {
        let reference = planes.full
        let m = min(reference.margin, planes.reach) - 12
        let minX = -(x + m), maxX = reference.width - size - x + m
        let minY = -(y + m), maxY = reference.height - size - y + m
        let lambdaInt = max(1, Int(lambda * 16))
        let refOrigin = reference.origin, stride = reference.stride
        @inline(__always) func costInteger(_ dx: Int, _ dy: Int) -> Int {
            let sad = BlockMetrics.sadSIMD(source, sourceStride, refOrigin + (y + dy) * stride + x + dx, stride, size, size)
            return sad * 16 + lambdaInt * MotionSearch.vectorBits(Int32(dx * 4), Int32(dy * 4), predicted.0, predicted.1)
        }
        // Positions already priced are not priced again (the result is the same, as a cost is compared
        // only for being strictly lower): a candidate equal to an earlier one (often the zero vector, or
        // neighbours sharing a vector), and, in the diamond, the centre just left behind.
        var bestX = 0, bestY = 0, best = Int.max
        let candidateCount = candidates.count / 2 + 2
        withUnsafeTemporaryAllocation(of: (Int, Int).self, capacity: candidateCount) { tried in
            var triedCount = 0
            for i in 0..<candidateCount {
                let cx = i < candidates.count / 2 ? candidates[2 * i] : (i == candidates.count / 2 ? predicted.0 : 0)
                let cy = i < candidates.count / 2 ? candidates[2 * i + 1] : (i == candidates.count / 2 ? predicted.1 : 0)
                let dx = min(max(Int((cx + 2) >> 2), minX), maxX), dy = min(max(Int((cy + 2) >> 2), minY), maxY)
                if (0..<triedCount).contains(where: { tried[$0] == (dx, dy) }) { continue }
                tried.initializeElement(at: triedCount, to: (dx, dy))
                triedCount += 1
                let cost = costInteger(dx, dy)
                if cost < best { best = cost; bestX = dx; bestY = dy }
            }
        }
        var step = firstStep
        while step >= 1 {
            defer { step >>= 1 }
            // The direction back to the previous centre (costlier than the current one): none at first.
            var back = -1
            var moved = true, iterations = 0
            while moved && iterations < 16 {
                moved = false
                iterations += 1
                let cx = bestX, cy = bestY
                var direction = -1
                // Right, left, down, up.
                for k in 0..<4 where k != back {
                    let dx = cx + (k == 0 ? step : (k == 1 ? -step : 0)), dy = cy + (k == 2 ? step : (k == 3 ? -step : 0))
                    guard dx >= minX, dx <= maxX, dy >= minY, dy <= maxY else { continue }
                    let cost = costInteger(dx, dy)
                    if cost < best { best = cost; bestX = dx; bestY = dy; moved = true; direction = k }
                }
                back = direction ^ 1
            }
        }
        // Sub-sample refinement: half samples exact, quarter samples approximated (``SearchPlanes``).
        var mvx = Int32(bestX * 4), mvy = Int32(bestY * 4)
        guard subsample else { return (mvx, mvy) }
        // SAD, not SATD: on three real clips (1280x720, 640x272, 176x144) `strata bench` storage_ratio
        // went 0.755 -> 0.751, 0.878 -> 0.875 and 1.103 -> 1.104, and each layer encodes 15-25 % faster.
        @inline(__always) func costFractional(_ vx: Int32, _ vy: Int32, exact: Bool = false) -> Int {
            let sad = planes.sad(source, sourceStride, x, y, vx, vy, size, exact: exact)
            return sad * 16 + lambdaInt * MotionSearch.vectorBits(vx, vy, predicted.0, predicted.1)
        }
        // The whole-sample winner's cost is the one the whole-sample stage found (the same block and bits).
        var bestFractional = best
        var halfX = mvx, halfY = mvy, halfCost = bestFractional
        // The eight neighbours at half-sample distance, then at quarter-sample distance, row by row.
        var fraction: Int32 = 2
        while fraction >= 1 {
            defer { fraction -= 1 }
            let cx = mvx, cy = mvy
            for j: Int32 in -1...1 {
                for i: Int32 in -1...1 where i != 0 || j != 0 {
                    let ox = i * fraction, oy = j * fraction
                    let cost = costFractional(cx + ox, cy + oy)
                    if cost < bestFractional { bestFractional = cost; mvx = cx + ox; mvy = cy + oy }
                }
            }
            if fraction == 2 { (halfX, halfY, halfCost) = (mvx, mvy, bestFractional) }
        }
        // The quarter-sample stage compares approximations (``SearchPlanes``); its winner is kept only
        // if its normative prediction also beats the best half-sample vector (exact on the planes).
        if (mvx != halfX || mvy != halfY) && costFractional(mvx, mvy, exact: true) > halfCost {
            return (halfX, halfY)
        }
        return (mvx, mvy)
    }
}
