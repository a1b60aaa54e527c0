import Foundation
import Testing
import StrataCore

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

@Suite("Y4M reader and writer")
struct Y4MTests {
    private func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("a write, read, write round trip is byte-exact and keeps every sample")
    func roundTripIsByteExact() throws {
        let dir = try TemporaryDirectory()
        let clip = SyntheticClip(width: 64, height: 48, frameRate: FrameRate(30000, 1001), frameCount: 5, seed: 3)
        let frames = clip.frames()
        let first = dir.path("a.y4m"), second = dir.path("b.y4m")
        let writer = try Y4MWriter(path: first, format: clip.format)
        for f in frames { try writer.write(f) }
        try writer.finish()

        let reader = try Y4MReader(path: first)
        #expect(reader.format == clip.format)
        let read = try reader.readAll()
        #expect(read.count == 5)
        for (a, b) in zip(read, frames) { #expect(a.hasSameSamples(as: b)) }

        let rewriter = try Y4MWriter(path: second, header: reader.header)
        for f in read { try rewriter.write(f) }
        try rewriter.finish()
        let a = try Data(contentsOf: URL(fileURLWithPath: first)), b = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(a == b)
        let headerBytes = Array("YUV4MPEG2 W64 H48 F30000:1001 Ip A1:1 C420jpeg\n".utf8).count
        #expect(a.count == headerBytes + 5 * (6 + 64 * 48 * 3 / 2))
    }

    @Test("a device or a pipe is written in place: /dev/null stays a device, a FIFO's reader gets every byte")
    func specialFilesAreWrittenInPlace() throws {
        let clip = SyntheticClip(width: 32, height: 16, frameRate: FrameRate(25, 1), frameCount: 3, seed: 5)
        let toNull = try Y4MWriter(path: "/dev/null", format: clip.format)
        for f in clip.frames() { try toNull.write(f) }
        try toNull.finish()
        #expect(Self.fileType("/dev/null") == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/dev").allSatisfy { !$0.hasPrefix("null.partial") })

        let dir = try TemporaryDirectory()
        let fifo = dir.path("pipe.y4m")
        #expect(mkfifo(fifo, 0o600) == 0)
        let read = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var received = Data()
        DispatchQueue.global().async {
            received = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
            read.signal()
        }
        let writer = try Y4MWriter(path: fifo, format: clip.format)
        for f in clip.frames() { try writer.write(f) }
        try writer.finish()
        #expect(read.wait(timeout: .now() + 30) == .success, "the FIFO's reader never saw the end of the stream")
        let headerBytes = Array("YUV4MPEG2 W32 H16 F25:1 Ip A1:1 C420jpeg\n".utf8).count
        #expect(received.count == headerBytes + 3 * (6 + 32 * 16 * 3 / 2))
        #expect(Self.fileType(fifo) == S_IFIFO)
    }

    static func fileType(_ path: String) -> mode_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    @Test("reading into a reused frame streams without reallocating")
    func readIntoReusesStorage() throws {
        let dir = try TemporaryDirectory()
        let clip = SyntheticClip(width: 32, height: 32, frameCount: 3)
        let writer = try Y4MWriter(path: dir.path("c.y4m"), format: clip.format)
        for f in clip.frames() { try writer.write(f) }
        try writer.finish()
        let reader = try Y4MReader(path: dir.path("c.y4m"))
        var frame = Frame(width: 32, height: 32)
        var count = 0
        while try reader.read(into: &frame) {
            #expect(frame.hasSameSamples(as: clip.frame(count)))
            count += 1
        }
        #expect(count == 3)
        #expect(reader.framesRead == 3)
        #expect(try reader.read() == nil)
    }

    @Test("a header that is not YUV4MPEG2 is a malformed header", arguments: [
        "YUV4MPEG3 W64 H48 F25:1 C420jpeg\n",
        "YUV4MPEG2 H48 F25:1 C420jpeg\n",
        "YUV4MPEG2 W64 F25:1\n",
        "YUV4MPEG2 Wabc H48\n",
        "YUV4MPEG2 W64 H48 F25\n",
        "YUV4MPEG2 W64 H48 Q9\n",
        "",
        "YUV4MPEG2 W64 H48",
    ])
    func malformedHeader(header: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("bad.y4m")
        try write(Array(header.utf8), to: path)
        #expect {
            _ = try Y4MReader(path: path)
        } throws: { error in
            guard case .malformedHeader(let p, _) = error as? Y4MError else { return false }
            return p == path
        }
    }

    @Test("a colour space tag naming no known layout is an unsupported colour space", arguments: ["410", "422p", "rgb", "420pX", "mono-1"])
    func unsupportedColorSpace(space: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("cs.y4m")
        try write(Array("YUV4MPEG2 W64 H48 F25:1 C\(space)\n".utf8), to: path)
        #expect(throws: Y4MError.unsupportedColorSpace(path: path, colorSpace: space)) { _ = try Y4MReader(path: path) }
    }

    @Test("samples deeper than 16 bits are an unsupported bit depth", arguments: ["420p32", "444p17", "mono24", "422p7"])
    func unsupportedBitDepth(space: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("bd.y4m")
        try write(Array("YUV4MPEG2 W64 H48 F25:1 C\(space)\n".utf8), to: path)
        #expect(throws: Y4MError.unsupportedBitDepth(path: path, colorSpace: space)) { _ = try Y4MReader(path: path) }
    }

    @Test("interlaced and odd-sized streams are unsupported formats", arguments: ["W64 H48 It", "W63 H48", "W64 H47"])
    func unsupportedFormat(fields: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("fmt.y4m")
        try write(Array("YUV4MPEG2 \(fields) F25:1 C420jpeg\n".utf8), to: path)
        #expect {
            _ = try Y4MReader(path: path)
        } throws: { error in
            guard case .unsupportedFormat = error as? Y4MError else { return false }
            return true
        }
    }

    @Test("a stream that ends inside a frame is a truncated frame at the right byte")
    func truncatedFrame() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("trunc.y4m")
        let header = Array("YUV4MPEG2 W16 H16 F25:1 C420\n".utf8)
        let frameBytes = 16 * 16 * 3 / 2
        var bytes = header
        bytes += Array("FRAME\n".utf8) + [UInt8](repeating: 90, count: frameBytes)
        bytes += Array("FRAME\n".utf8) + [UInt8](repeating: 91, count: 100)
        try write(bytes, to: path)
        let reader = try Y4MReader(path: path)
        let first = try reader.read()
        #expect(first?.luma[0, 0] == 90)
        #expect(throws: Y4MError.truncatedFrame(path: path, frame: 1, byteOffset: bytes.count)) { _ = try reader.read() }
    }

    @Test("a stream that ends inside a FRAME marker is a truncated frame")
    func truncatedMarker() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("marker.y4m")
        let header = Array("YUV4MPEG2 W16 H16 F25:1\n".utf8)
        try write(header + Array("FRA".utf8), to: path)
        let reader = try Y4MReader(path: path)
        #expect(throws: Y4MError.truncatedFrame(path: path, frame: 0, byteOffset: header.count + 3)) { _ = try reader.read() }
    }

    @Test("something other than FRAME between frames is a malformed frame header at its offset")
    func malformedFrameMarker() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("mark.y4m")
        let header = Array("YUV4MPEG2 W16 H16 F25:1\n".utf8)
        let frameBytes = 16 * 16 * 3 / 2
        let bytes = header + Array("FRAME\n".utf8) + [UInt8](repeating: 1, count: frameBytes) + Array("FRAMX\n".utf8) + [UInt8](repeating: 1, count: frameBytes)
        try write(bytes, to: path)
        let reader = try Y4MReader(path: path)
        _ = try reader.read()
        #expect(throws: Y4MError.malformedFrameHeader(path: path, frame: 1, byteOffset: header.count + 6 + frameBytes)) { _ = try reader.read() }
    }

    @Test("FRAME parameters are accepted and skipped")
    func frameParametersAccepted() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("params.y4m")
        let bytes = Array("YUV4MPEG2 W16 H16 F25:1 XYSCSS=420JPEG\nFRAME Ixyz\n".utf8) + [UInt8](repeating: 7, count: 16 * 16 * 3 / 2)
        try write(bytes, to: path)
        let frames = try Y4MReader(path: path).readAll()
        #expect(frames.count == 1)
        #expect(frames.first?.cr[7, 7] == 7)
    }

    @Test("a missing file cannot be opened, and a wrong-size frame is refused by the writer")
    func openAndSizeErrors() throws {
        let dir = try TemporaryDirectory()
        #expect {
            _ = try Y4MReader(path: dir.path("missing.y4m"))
        } throws: { error in
            guard case .cannotOpen = error as? Y4MError else { return false }
            return true
        }
        let writer = try Y4MWriter(path: dir.path("w.y4m"), format: VideoFormat(width: 32, height: 32, frameRate: FrameRate(25)))
        #expect(throws: Y4MError.frameSizeMismatch(path: dir.path("w.y4m"), expected: "32x32", got: "16x16")) {
            try writer.write(Frame(width: 16, height: 16))
        }
    }

    @Test("a writer dropped without finish leaves no file behind")
    func unfinishedWriterLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        do {
            let writer = try Y4MWriter(path: dir.path("x.y4m"), format: VideoFormat(width: 16, height: 16, frameRate: FrameRate(25)))
            try writer.write(Frame(width: 16, height: 16))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
