/// A deterministic generated video: a textured background panning slowly, moving
/// shapes, a colour gradient and a little sensor-like noise.
///
/// Used by the tests and by `strata demo` so that nothing needs files or network. The
/// content has what codecs care about: motion (global pan and objects), edges, smooth
/// areas and noise. The same `seed` gives the same frames on every machine.
public struct SyntheticClip: Sendable {
    /// Picture size and rate of the clip.
    public let format: VideoFormat
    /// Number of frames.
    public let frameCount: Int
    /// Seed of the noise and texture.
    public let seed: UInt64
    /// Noise amplitude in code values (0 = clean).
    public let noise: Int

    /// Creates a clip description; frames are made on demand by ``frame(_:)``.
    public init(width: Int, height: Int, frameRate: FrameRate = FrameRate(25), frameCount: Int, seed: UInt64 = 1, noise: Int = 2) {
        format = VideoFormat(width: width, height: height, frameRate: frameRate)
        self.frameCount = frameCount
        self.seed = seed
        self.noise = noise
    }

    private static func hash(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Value noise in 0...255 on a lattice of `cell` samples, smoothly interpolated.
    private func texture(_ x: Int, _ y: Int, cell: Int) -> Int {
        let cx = x >= 0 ? x / cell : (x - cell + 1) / cell
        let cy = y >= 0 ? y / cell : (y - cell + 1) / cell
        let fx = x - cx * cell, fy = y - cy * cell
        func lattice(_ i: Int, _ j: Int) -> Int {
            Int(SyntheticClip.hash(seed &* 31 &+ UInt64(bitPattern: Int64(i &* 73_856_093 ^ j &* 19_349_663))) & 255)
        }
        let a = lattice(cx, cy), b = lattice(cx + 1, cy), c = lattice(cx, cy + 1), d = lattice(cx + 1, cy + 1)
        let top = a * (cell - fx) + b * fx, bottom = c * (cell - fx) + d * fx
        return (top * (cell - fy) + bottom * fy) / (cell * cell)
    }

    /// Frame `index` (0-based) of the clip.
    public func frame(_ index: Int) -> Frame {
        let w = format.width, h = format.height
        var frame = Frame(width: w, height: h)
        let t = index
        // Global pan of the background: 1.5 px/frame right, 0.5 px/frame down.
        let panX = t * 3 / 2, panY = t / 2
        let scale = max(1, w / 160)
        // Two moving objects: a bright disc and a dark square on their own paths.
        let discX = w / 4 + (t * 4 * scale) % max(1, w / 2), discY = h / 2 + Int(Double(h / 5) * sinApprox(Double(t) / 9))
        let discR = max(4, h / 8)
        let boxX = w - w / 4 - (t * 3 * scale) % max(1, w / 2), boxY = h / 4 + (t * scale) % max(1, h / 2)
        let boxS = max(4, h / 6)
        let lumaStride = frame.luma.stride
        frame.luma.withUnsafeMutableBufferPointer { p in
            let stride = lumaStride
            for y in 0..<h {
                for x in 0..<w {
                    let bx = x + panX, by = y + panY
                    var v = (texture(bx, by, cell: 8 * scale) * 3 + texture(bx, by, cell: 2 * scale + 1)) / 4
                    v = v / 2 + 40 + (y * 64) / h
                    let dx = x - discX, dy = y - discY
                    if dx * dx + dy * dy <= discR * discR { v = 200 + texture(x - discX, y - discY, cell: 3) / 8 }
                    if x >= boxX && x < boxX + boxS && y >= boxY && y < boxY + boxS { v = 30 + ((x - boxX) / 4 + (y - boxY) / 4) % 2 * 40 }
                    if noise > 0 {
                        let n = Int(SyntheticClip.hash(seed ^ UInt64(t &* 1_000_003 &+ y &* 4099 &+ x)) % UInt64(2 * noise + 1)) - noise
                        v += n
                    }
                    p[y * stride + x] = UInt8(clamping: v)
                }
            }
        }
        let cw = w / 2, ch = h / 2
        for (plane, phase) in [(1, 0), (2, 1)] {
            var pl = frame[plane: plane]
            let chromaStride = pl.stride
            pl.withUnsafeMutableBufferPointer { p in
                let stride = chromaStride
                for y in 0..<ch {
                    for x in 0..<cw {
                        let g = phase == 0 ? (x * 80) / cw : (y * 80) / ch
                        var v = 88 + g + texture(x * 2 + panX, y * 2 + panY, cell: 16 * scale) / 16
                        let dx = x * 2 - discX, dy = y * 2 - discY
                        if dx * dx + dy * dy <= discR * discR { v = phase == 0 ? 60 : 190 }
                        p[y * stride + x] = UInt8(clamping: v)
                    }
                }
            }
            frame[plane: plane] = pl
        }
        return frame
    }

    /// All frames (for short clips in tests).
    public func frames() -> [Frame] { (0..<frameCount).map(frame) }

    private func sinApprox(_ x: Double) -> Double {
        // A smooth periodic path without Foundation: parabolic sine approximation.
        var v = x.truncatingRemainder(dividingBy: 2 * Double.pi)
        if v < 0 { v += 2 * Double.pi }
        if v > Double.pi { v -= 2 * Double.pi }
        return 4 / Double.pi * v - 4 / (Double.pi * Double.pi) * v * abs(v)
    }
}
