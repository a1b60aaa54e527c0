/// How a macroblock is predicted (Specs "Macroblock modes").
enum MacroblockMode: UInt8 {
    /// No residual. With a temporal reference: motion-compensated with the predicted vector;
    /// without one: the upsampled lower layer.
    case skip = 0
    /// Motion-compensated from the temporal reference with a coded vector difference, plus residual.
    case inter = 1
    /// The upsampled lower layer, plus residual.
    case interLayer = 2
    /// Rounded average of the motion-compensated and the upsampled lower-layer predictions, plus residual.
    case bi = 3
    /// Motion-compensated prediction plus the lower layer's change since the reference (the current
    /// upsampled lower picture minus the reference's, motion-compensated with the same vector), plus residual.
    case differential = 4
}

/// The decoded or chosen syntax of one macroblock, apart from its coefficient levels.
struct MacroblockData {
    var mode: MacroblockMode = .skip
    /// Final motion vector in quarter luma samples (meaningful for skip with reference, inter, bi).
    var mvx: Int32 = 0, mvy: Int32 = 0
    /// Coded motion vector difference.
    var mvdx: Int32 = 0, mvdy: Int32 = 0
    var transform8x8 = false
    /// Bit q set: luma 8x8 quadrant q has coefficients.
    var cbpLuma = 0
    /// Bit 0: Cb has coefficients; bit 1: Cr.
    var cbpChroma = 0

    var usesMotion: Bool { mode == .inter || mode == .bi || mode == .differential }
}

/// Layout of a macroblock's coefficient levels in one 384-entry buffer.
enum CoefficientLayout {
    /// Luma 4x4 block `b` (quadrant * 4 + raster index inside the quadrant), raster 4x4 order.
    @inline(__always) static func luma4x4(_ b: Int) -> Int { b * 16 }
    /// Luma 8x8 block of quadrant `q`, raster 8x8 order.
    @inline(__always) static func luma8x8(_ q: Int) -> Int { q * 64 }
    /// Chroma component `c` (0 Cb, 1 Cr), 4x4 block `k` (raster inside the 8x8 block).
    @inline(__always) static func chroma(_ c: Int, _ k: Int) -> Int { 256 + c * 64 + k * 16 }
    static let count = 384
    /// Pixel offset (x, y) inside the macroblock of luma 4x4 block `b`.
    @inline(__always) static func luma4x4Origin(_ b: Int) -> (Int, Int) {
        let q = b >> 2, s = b & 3
        return ((q & 1) * 8 + (s & 1) * 4, (q >> 1) * 8 + (s >> 1) * 4)
    }
}

/// Per-picture record of what later macroblocks' contexts and vector predictions read from their
/// neighbours. Allocated once per codec instance; ``reset()`` starts a picture.
final class FrameSyntaxState {
    let mbWide: Int, mbHigh: Int
    /// Per macroblock: 1 when skipped.
    let skip: UnsafeMutablePointer<UInt8>
    /// Per macroblock: mode raw value.
    let mode: UnsafeMutablePointer<UInt8>
    /// Per macroblock: 1 when the 8x8 transform is used.
    let transform8x8: UnsafeMutablePointer<UInt8>
    /// Per macroblock: chroma coded block pattern.
    let cbpChroma: UnsafeMutablePointer<UInt8>
    /// Per macroblock: 1 when it carries a motion vector for prediction of later vectors.
    let hasMotion: UnsafeMutablePointer<UInt8>
    /// Per macroblock: motion vector (x, y).
    let motion: UnsafeMutablePointer<Int32>
    /// Per macroblock: absolute motion vector difference (x, y).
    let mvdMagnitude: UnsafeMutablePointer<Int32>
    /// Per luma 8x8 block (grid 2*mbWide wide): coded block pattern bit.
    let cbp8: UnsafeMutablePointer<UInt8>
    /// Per luma 4x4 block (grid 4*mbWide wide): 1 when it has coefficients.
    let nonzeroLuma: UnsafeMutablePointer<UInt8>
    /// Per chroma 4x4 block of each component (grid 2*mbWide wide).
    let nonzeroChroma: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>)

    init(mbWide: Int, mbHigh: Int) {
        self.mbWide = mbWide
        self.mbHigh = mbHigh
        let n = mbWide * mbHigh
        skip = .allocate(capacity: n); mode = .allocate(capacity: n); transform8x8 = .allocate(capacity: n)
        cbpChroma = .allocate(capacity: n); hasMotion = .allocate(capacity: n)
        motion = .allocate(capacity: 2 * n); mvdMagnitude = .allocate(capacity: 2 * n)
        cbp8 = .allocate(capacity: 4 * n); nonzeroLuma = .allocate(capacity: 16 * n)
        nonzeroChroma = (.allocate(capacity: 4 * n), .allocate(capacity: 4 * n))
        reset()
    }

    deinit {
        skip.deallocate(); mode.deallocate(); transform8x8.deallocate(); cbpChroma.deallocate(); hasMotion.deallocate()
        motion.deallocate(); mvdMagnitude.deallocate(); cbp8.deallocate(); nonzeroLuma.deallocate()
        nonzeroChroma.0.deallocate(); nonzeroChroma.1.deallocate()
    }

    func reset() {
        let n = mbWide * mbHigh
        skip.update(repeating: 0, count: n); mode.update(repeating: 0, count: n); transform8x8.update(repeating: 0, count: n)
        cbpChroma.update(repeating: 0, count: n); hasMotion.update(repeating: 0, count: n)
        motion.update(repeating: 0, count: 2 * n); mvdMagnitude.update(repeating: 0, count: 2 * n)
        cbp8.update(repeating: 0, count: 4 * n); nonzeroLuma.update(repeating: 0, count: 16 * n)
        nonzeroChroma.0.update(repeating: 0, count: 4 * n); nonzeroChroma.1.update(repeating: 0, count: 4 * n)
    }

    // MARK: Neighbour-derived context increments (Specs "Context selection")

    @inline(__always) func skipContext(_ x: Int, _ y: Int) -> Int {
        (x > 0 ? Int(skip[y * mbWide + x - 1]) : 0) + (y > 0 ? Int(skip[(y - 1) * mbWide + x]) : 0)
    }

    @inline(__always) func modeCount(_ x: Int, _ y: Int, _ m: MacroblockMode) -> Int {
        let left = x > 0 && skip[y * mbWide + x - 1] == 0 && mode[y * mbWide + x - 1] == m.rawValue ? 1 : 0
        let top = y > 0 && skip[(y - 1) * mbWide + x] == 0 && mode[(y - 1) * mbWide + x] == m.rawValue ? 1 : 0
        return left + top
    }

    @inline(__always) func transformContext(_ x: Int, _ y: Int) -> Int {
        (x > 0 ? Int(transform8x8[y * mbWide + x - 1]) : 0) + (y > 0 ? Int(transform8x8[(y - 1) * mbWide + x]) : 0)
    }

    /// Context increment of luma coded-block-pattern bit of quadrant `q`.
    @inline(__always) func cbpLumaContext(_ x: Int, _ y: Int, _ q: Int) -> Int {
        let gx = x * 2 + (q & 1), gy = y * 2 + (q >> 1), w = mbWide * 2
        let left = gx > 0 ? Int(cbp8[gy * w + gx - 1]) : 0
        let top = gy > 0 ? Int(cbp8[(gy - 1) * w + gx]) : 0
        return left + 2 * top
    }

    @inline(__always) func cbpChromaContext(_ x: Int, _ y: Int, _ c: Int) -> Int {
        let left = x > 0 ? Int(cbpChroma[y * mbWide + x - 1] >> c) & 1 : 0
        let top = y > 0 ? Int(cbpChroma[(y - 1) * mbWide + x] >> c) & 1 : 0
        return c * 3 + left + top
    }

    @inline(__always) func lumaBlockContext(_ gx: Int, _ gy: Int) -> Int {
        let w = mbWide * 4
        return (gx > 0 ? Int(nonzeroLuma[gy * w + gx - 1]) : 0) + (gy > 0 ? Int(nonzeroLuma[(gy - 1) * w + gx]) : 0)
    }

    @inline(__always) func chromaBlockContext(_ grid: UnsafeMutablePointer<UInt8>, _ gx: Int, _ gy: Int) -> Int {
        let w = mbWide * 2
        return (gx > 0 ? Int(grid[gy * w + gx - 1]) : 0) + (gy > 0 ? Int(grid[(gy - 1) * w + gx]) : 0)
    }

    /// Context increment of the mvd zero flag of component `c` from the left and top macroblocks.
    @inline(__always) func mvdContext(_ x: Int, _ y: Int, _ c: Int) -> Int {
        let s = (x > 0 ? Int(mvdMagnitude[(y * mbWide + x - 1) * 2 + c]) : 0)
            + (y > 0 ? Int(mvdMagnitude[((y - 1) * mbWide + x) * 2 + c]) : 0)
        return s < 3 ? 0 : (s <= 32 ? 1 : 2)
    }

    /// The predicted motion vector of macroblock (x, y): median of left, top and top-right (top-left when
    /// top-right is outside the picture); with one neighbour carrying a vector, that vector; with none, zero.
    @inline(__always) func predictedMotion(_ x: Int, _ y: Int) -> (Int32, Int32) {
        let a = x > 0 ? y * mbWide + x - 1 : -1
        let b = y > 0 ? (y - 1) * mbWide + x : -1
        let c = y > 0 ? (x + 1 < mbWide ? (y - 1) * mbWide + x + 1 : (x > 0 ? (y - 1) * mbWide + x - 1 : -1)) : -1
        let ha = a >= 0 && hasMotion[a] != 0, hb = b >= 0 && hasMotion[b] != 0, hc = c >= 0 && hasMotion[c] != 0
        let count = (ha ? 1 : 0) + (hb ? 1 : 0) + (hc ? 1 : 0)
        if count == 0 { return (0, 0) }
        if count == 1 {
            let n = ha ? a : (hb ? b : c)
            return (motion[2 * n], motion[2 * n + 1])
        }
        let ax = ha ? motion[2 * a] : 0, ay = ha ? motion[2 * a + 1] : 0
        let bx = hb ? motion[2 * b] : 0, by = hb ? motion[2 * b + 1] : 0
        let cx = hc ? motion[2 * c] : 0, cy = hc ? motion[2 * c + 1] : 0
        return (median(ax, bx, cx), median(ay, by, cy))
    }

    @inline(__always) private func median(_ a: Int32, _ b: Int32, _ c: Int32) -> Int32 {
        max(min(a, b), min(max(a, b), c))
    }

    /// Records the macroblock-level outcome of (x, y) once it is coded.
    @inline(__always) func record(_ x: Int, _ y: Int, _ mb: MacroblockData, hasReference: Bool) {
        let i = y * mbWide + x
        skip[i] = mb.mode == .skip ? 1 : 0
        mode[i] = mb.mode == .skip && !hasReference ? MacroblockMode.interLayer.rawValue : mb.mode.rawValue
        transform8x8[i] = mb.transform8x8 ? 1 : 0
        cbpChroma[i] = UInt8(mb.cbpChroma)
        let moving = hasReference && (mb.mode == .skip || mb.usesMotion)
        hasMotion[i] = moving ? 1 : 0
        motion[2 * i] = moving ? mb.mvx : 0
        motion[2 * i + 1] = moving ? mb.mvy : 0
        mvdMagnitude[2 * i] = abs(mb.mvdx)
        mvdMagnitude[2 * i + 1] = abs(mb.mvdy)
        let w = mbWide * 2
        for q in 0..<4 { cbp8[(y * 2 + (q >> 1)) * w + x * 2 + (q & 1)] = UInt8((mb.cbpLuma >> q) & 1) }
    }
}
