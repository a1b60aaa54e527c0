import Foundation
import Testing
import StrataCore

/// Inputs stored in layouts other than 8-bit 4:2:0, converted by the reader.
@Suite("Y4M sample formats")
struct Y4MSampleFormatTests {
    /// A `width x height` stream of `frames` frames in `layout`, each stored sample given by
    /// `value(plane, x, y, frame)` (plane 3 is alpha).
    private func stream(_ tag: String, width: Int, height: Int, frames: Int, layout: Y4MSampleFormat,
                        value: (Int, Int, Int, Int) -> Int) -> [UInt8] {
        var bytes = Array("YUV4MPEG2 W\(width) H\(height) F25:1 Ip C\(tag)\n".utf8)
        let c = layout.chromaSize(width: width, height: height)
        for f in 0..<frames {
            bytes += Array("FRAME\n".utf8)
            var sizes = [(width, height), c, c]
            if layout.hasAlpha { sizes.append((width, height)) }
            for (plane, size) in sizes.enumerated() {
                for y in 0..<size.1 {
                    for x in 0..<size.0 {
                        let v = value(plane, x, y, f)
                        bytes.append(UInt8(v & 0xFF))
                        if layout.bytesPerSample == 2 { bytes.append(UInt8(v >> 8)) }
                    }
                }
            }
        }
        return bytes
    }

    private func read(_ bytes: [UInt8]) throws -> [Frame] {
        let dir = try TemporaryDirectory()
        let path = dir.path("in.y4m")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try Y4MReader(path: path).readAll()
    }

    /// Deterministic, position-dependent samples below `1 << depth`.
    private func pattern(_ depth: Int) -> (Int, Int, Int, Int) -> Int {
        { plane, x, y, f in (x * 37 + y * 91 + plane * 53 + f * 17 + (x * y) % 7) % (1 << depth) }
    }

    @Test("tags parse to their chroma layout and depth", arguments: [
        ("420jpeg", "8-bit 4:2:0"), ("420mpeg2", "8-bit 4:2:0"), ("422", "8-bit 4:2:2"), ("444", "8-bit 4:4:4"),
        ("411", "8-bit 4:1:1"), ("mono", "8-bit monochrome"), ("420p10", "10-bit 4:2:0"), ("422p12", "12-bit 4:2:2"),
        ("444p16", "16-bit 4:4:4"), ("mono10", "10-bit monochrome"), ("444alpha", "8-bit 4:4:4 with alpha"),
    ])
    func tags(tag: String, described: String) {
        #expect(Y4MSampleFormat(colorSpace: tag)?.description == described)
    }

    @Test("4:2:2, 4:4:4 and 4:1:1 chroma is averaged to 4:2:0 with one rounding; luma is kept",
          arguments: [("422", 2), ("444", 4), ("411", 2), ("444alpha", 4)])
    func chromaIsAveraged(tag: String, averaged: Int) throws {
        let layout = try #require(Y4MSampleFormat(colorSpace: tag))
        let w = 16, h = 8
        let value = pattern(8)
        let frames = try read(stream(tag, width: w, height: h, frames: 2, layout: layout, value: value))
        #expect(frames.count == 2)
        for (f, frame) in frames.enumerated() {
            for y in 0..<h { for x in 0..<w { #expect(frame.luma[x, y] == UInt8(value(0, x, y, f))) } }
            for plane in 1...2 {
                for y in 0..<h / 2 {
                    for x in 0..<w / 2 {
                        let stored: [Int]
                        switch layout.chroma {
                        case .yuv422: stored = [value(plane, x, 2 * y, f), value(plane, x, 2 * y + 1, f)]
                        case .yuv411: stored = [value(plane, x / 2, 2 * y, f), value(plane, x / 2, 2 * y + 1, f)]
                        default: stored = [value(plane, 2 * x, 2 * y, f), value(plane, 2 * x + 1, 2 * y, f),
                                           value(plane, 2 * x, 2 * y + 1, f), value(plane, 2 * x + 1, 2 * y + 1, f)]
                        }
                        #expect(stored.count == averaged)
                        let expected = UInt8((stored.reduce(0, +) + averaged / 2) / averaged)
                        #expect(frame[plane: plane][x, y] == expected, "\(tag) plane \(plane) (\(x), \(y))")
                    }
                }
            }
        }
    }

    @Test("samples deeper than 8 bits are scaled with rounding and limited to 255", arguments: [10, 12, 16])
    func deepSamplesAreScaled(depth: Int) throws {
        let tag = "420p\(depth)"
        let layout = try #require(Y4MSampleFormat(colorSpace: tag))
        let shift = depth - 8
        // Luma row 0 holds the extremes and the rounding boundaries; the rest follows a pattern.
        let edges = [0, (1 << (shift - 1)) - 1, 1 << (shift - 1), (1 << depth) - 1, (255 << shift) + (1 << (shift - 1))]
        let value: (Int, Int, Int, Int) -> Int = { plane, x, y, f in
            plane == 0 && y == 0 && x < edges.count ? edges[x] : self.pattern(depth)(plane, x, y, f)
        }
        let frame = try #require(try read(stream(tag, width: 8, height: 4, frames: 1, layout: layout, value: value)).first)
        #expect((0..<5).map { frame.luma[$0, 0] } == [0, 0, 1, 255, 255])
        for plane in 0...2 {
            for y in 0..<(plane == 0 ? 4 : 2) {
                for x in 0..<(plane == 0 ? 8 : 4) where !(plane == 0 && y == 0 && x < 5) {
                    let expected = min(255, (value(plane, x, y, 0) + (1 << (shift - 1))) >> shift)
                    #expect(Int(frame[plane: plane][x, y]) == expected)
                }
            }
        }
    }

    @Test("a monochrome stream reads with neutral chroma", arguments: ["mono", "mono10"])
    func monochrome(tag: String) throws {
        let layout = try #require(Y4MSampleFormat(colorSpace: tag))
        let frame = try #require(try read(stream(tag, width: 8, height: 4, frames: 1, layout: layout) { _, x, y, _ in x * 16 + y }).first)
        let shift = layout.bitDepth - 8
        #expect(Int(frame.luma[7, 3]) == (shift == 0 ? 115 : (115 + (1 << (shift - 1))) >> shift))
        #expect(frame.cb[0, 0] == 128 && frame.cr[3, 1] == 128)
    }

    @Test("a truncated 4:2:2 10-bit frame is found by its stored size")
    func truncatedDeepFrame() throws {
        let layout = try #require(Y4MSampleFormat(colorSpace: "422p10"))
        #expect(layout.frameByteCount(width: 16, height: 8) == 2 * (16 * 8 + 2 * 8 * 8))
        var bytes = stream("422p10", width: 16, height: 8, frames: 2, layout: layout, value: pattern(10))
        bytes.removeLast(3)
        let dir = try TemporaryDirectory()
        let path = dir.path("t.y4m")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try Y4MReader(path: path)
        #expect(try reader.read() != nil)
        #expect {
            _ = try reader.read()
        } throws: { error in
            guard case .truncatedFrame(_, let frame, _) = error as? Y4MError else { return false }
            return frame == 1
        }
    }

    @Test("a writer given the header of a 4:2:2 input writes an 8-bit 4:2:0 header")
    func writerNormalisesHeader() throws {
        let dir = try TemporaryDirectory()
        let layout = try #require(Y4MSampleFormat(colorSpace: "422p10"))
        let source = dir.path("in.y4m"), target = dir.path("out.y4m")
        try Data(stream("422p10", width: 16, height: 8, frames: 1, layout: layout, value: pattern(10))).write(to: URL(fileURLWithPath: source))
        let reader = try Y4MReader(path: source)
        #expect(reader.header.sampleFormat == layout)
        let writer = try Y4MWriter(path: target, header: reader.header)
        #expect(writer.header.sampleFormat == .i420)
        try writer.write(try #require(try reader.read()))
        try writer.finish()
        let back = try Y4MReader(path: target)
        #expect(back.header.colorSpace == "420jpeg")
        #expect(try back.readAll().count == 1)
    }
}
