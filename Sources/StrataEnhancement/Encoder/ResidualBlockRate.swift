/// The rate of one residual block exactly as ``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:hidesSigns:)``
/// codes it, priced with ``ContextCosts``, kept so that moving one level is priced without pricing the
/// whole block again (the rate-distortion quantizer prices many such moves a block).
///
/// The rate has two parts. The *significance map* is a sum over the scan positions before the last
/// nonzero level of a term that depends only on whether the position's level is zero (its
/// significance bin, and for a nonzero level its `last` bin of 0), plus the last position's bins: a
/// level that becomes zero or nonzero changes one term, or, at the last position, the sum up to the
/// new last. The *levels* (magnitudes and signs) depend on the nonzero levels alone, from the last
/// back (their contexts count the levels after them; the hidden signs follow where the nonzero levels
/// are), so they are priced again over the list of nonzero positions, not over every position.
struct ResidualBlockRate {
    private let levels: UnsafeMutablePointer<Int32>
    private let scan: UnsafePointer<UInt8>
    private let count: Int, base: Int, refinement: Int
    private let lower: UnsafePointer<Int8>
    private let hidesSigns: Bool
    private let costs: UnsafePointer<Int32>
    /// ``MacroblockWriter/lastLowerPosition(_:_:)`` of the block.
    private let lowerLast: Int
    /// The nonzero scan positions in increasing order (`nonzeroCount` of them), in memory the caller lends.
    private let nonzero: UnsafeMutablePointer<Int8>
    private(set) var nonzeroCount = 0
    /// The sum of the significance map's terms before the last nonzero position.
    private var mapBeforeLast = 0
    /// The rate of the levels as they are, 1/256 bit (0 when every level is zero).
    private(set) var rate = 0

    /// One level's move priced by ``price(_:to:)``, for ``apply(_:)``.
    struct Move {
        let position: Int, level: Int32, rate: Int
        fileprivate let mapBeforeLast: Int
    }

    /// Prices `levels` (raster order, `count` = 16 or 64) as they are. `nonzeroScratch` holds at least `count` bytes.
    init(levels: UnsafeMutablePointer<Int32>, count: Int, scan: UnsafePointer<UInt8>, context: Int, refinement: Int,
         lower: UnsafePointer<Int8>, hidesSigns: Bool, costs: UnsafePointer<Int32>, nonzeroScratch: UnsafeMutablePointer<Int8>) {
        self.levels = levels
        self.scan = scan
        self.count = count
        base = context
        self.refinement = refinement
        self.lower = lower
        self.hidesSigns = hidesSigns
        self.costs = costs
        lowerLast = MacroblockWriter.lastLowerPosition(lower, count)
        nonzero = nonzeroScratch
        for i in 0..<count where levels[Int(scan[i])] != 0 {
            nonzero[nonzeroCount] = Int8(i)
            nonzeroCount += 1
        }
        guard nonzeroCount > 0 else { return }
        let last = Int(nonzero[nonzeroCount - 1])
        var next = 0
        for i in 0..<last {
            let significant = next < nonzeroCount && Int(nonzero[next]) == i
            if significant { next += 1 }
            mapBeforeLast &+= term(i, significant: significant)
        }
        rate = mapBeforeLast &+ tail(last) &+ levelRate(changing: -1, to: 0)
    }

    @inline(__always) private func cost(_ bin: Int, _ context: Int) -> Int { Int(costs[2 &* context &+ bin]) }

    /// The significance bin's context at scan position `i`, and its `last` bin's.
    @inline(__always) private func contexts(_ i: Int) -> (significance: Int, last: Int) {
        let p = MacroblockWriter.positionContext(i, count)
        return (lower[i] != 0 ? refinement + ContextIndex.sigLowerOffset + p : base + ContextIndex.sigOffset + p,
                i < lowerLast ? refinement + ContextIndex.lastLowerOffset + p : base + ContextIndex.lastOffset + p)
    }

    /// The map's bins at a scan position before the last nonzero one.
    @inline(__always) private func term(_ i: Int, significant: Bool) -> Int {
        let c = contexts(i)
        return significant ? cost(1, c.significance) &+ cost(0, c.last) : cost(0, c.significance)
    }

    /// The map's bins at the last nonzero position (none at the block's final position).
    @inline(__always) private func tail(_ last: Int) -> Int {
        guard last < count - 1 else { return 0 }
        let c = contexts(last)
        return cost(1, c.significance) &+ cost(1, c.last)
    }

    /// The rate of the magnitudes and signs with the level at scan position `changed` (-1: none) set
    /// to `newLevel`, and the nonzero positions as the list says (the caller has made the list agree).
    private func levelRate(changing changed: Int, to newLevel: Int32) -> Int {
        var hidden: UInt64 = 0
        if hidesSigns {
            var tracker = SignHiding.Tracker()
            for j in 0..<nonzeroCount {
                let i = Int(nonzero[j])
                tracker.significant(i, bypassSign: lower[i] == 0)
            }
            hidden = tracker.finish()
        }
        var total = 0, greater = 0, equal = 0
        var j = nonzeroCount
        while j > 0 {
            j -= 1
            let i = Int(nonzero[j])
            let level = i == changed ? newLevel : levels[Int(scan[i])]
            let magnitude = Int(level.magnitude)
            let g1 = greater != 0 ? 0 : min(4, 1 + equal)
            if magnitude > 1 {
                total &+= cost(1, base + ContextIndex.gt1Offset + g1)
                let context = base + ContextIndex.absOffset + min(4, greater)
                let v = magnitude - 2
                total &+= min(v, 13) &* cost(1, context)
                if v < 13 {
                    total &+= cost(0, context)
                } else {
                    // (Escapes are rare: priced as the writer codes them.)
                    var escape = RateEstimator(costs: costs)
                    escape.expGolomb(v - 13, 0)
                    total &+= escape.cost
                }
                greater += 1
            } else {
                total &+= cost(0, base + ContextIndex.gt1Offset + g1)
                equal += 1
            }
            if (hidden >> UInt64(i)) & 1 != 0 {
                // Hidden: no bin.
            } else if lower[i] == 0 {
                total &+= 256
            } else {
                total &+= cost((level < 0) != (lower[i] < 0) ? 1 : 0, refinement + ContextIndex.signLowerOffset)
            }
        }
        return total
    }

    /// Where scan position `i` is in the nonzero list, or where it would go.
    @inline(__always) private func slot(_ i: Int) -> Int {
        var j = 0
        while j < nonzeroCount && Int(nonzero[j]) < i { j += 1 }
        return j
    }

    /// The block's rate with the level at scan position `i` (now `levels[scan[i]]`) moved to
    /// `newLevel`, the levels themselves unchanged. Moving the only nonzero level to zero prices 0.
    mutating func price(_ i: Int, to newLevel: Int32) -> Move {
        let old = levels[Int(scan[i])]
        let last = Int(nonzero[nonzeroCount - 1])
        if (old != 0) == (newLevel != 0) {
            // The same positions are nonzero: only the levels' rate changes.
            return Move(position: i, level: newLevel, rate: mapBeforeLast &+ tail(last) &+ levelRate(changing: i, to: newLevel),
                        mapBeforeLast: mapBeforeLast)
        }
        let j = slot(i)
        if newLevel != 0 {
            // A new nonzero level, before the last (moves never pass it).
            precondition(i < last, "a level beyond the block's last is never added")
            let map = mapBeforeLast &- term(i, significant: false) &+ term(i, significant: true)
            insert(i, at: j)
            let levelsRate = levelRate(changing: i, to: newLevel)
            remove(at: j)
            return Move(position: i, level: newLevel, rate: map &+ tail(last) &+ levelsRate, mapBeforeLast: map)
        }
        if nonzeroCount == 1 { return Move(position: i, level: 0, rate: 0, mapBeforeLast: 0) }
        var map: Int, newLast = last
        if i < last {
            map = mapBeforeLast &- term(i, significant: true) &+ term(i, significant: false)
        } else {
            // The last level goes: the map ends at the one before it.
            newLast = Int(nonzero[nonzeroCount - 2])
            map = mapBeforeLast &- term(newLast, significant: true)
            for k in (newLast + 1)..<last { map &-= term(k, significant: false) }
        }
        remove(at: j)
        let levelsRate = levelRate(changing: -1, to: 0)
        insert(i, at: j)
        return Move(position: i, level: 0, rate: map &+ tail(newLast) &+ levelsRate, mapBeforeLast: map)
    }

    /// Makes `move` (priced by ``price(_:to:)`` from the levels as they are now): sets the level and the rate.
    mutating func apply(_ move: Move) {
        let k = Int(scan[move.position]), old = levels[k]
        if old == 0 && move.level != 0 {
            insert(move.position, at: slot(move.position))
        } else if old != 0 && move.level == 0 {
            remove(at: slot(move.position))
        }
        levels[k] = move.level
        mapBeforeLast = move.mapBeforeLast
        rate = move.rate
    }

    private mutating func insert(_ i: Int, at j: Int) {
        var k = nonzeroCount
        while k > j {
            nonzero[k] = nonzero[k - 1]
            k -= 1
        }
        nonzero[j] = Int8(i)
        nonzeroCount += 1
    }

    private mutating func remove(at j: Int) {
        for k in j..<(nonzeroCount - 1) { nonzero[k] = nonzero[k + 1] }
        nonzeroCount -= 1
    }
}
