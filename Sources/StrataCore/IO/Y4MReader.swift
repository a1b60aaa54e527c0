#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a YUV4MPEG2 stream one frame at a time from a file or standard input.
///
/// Only one frame is held in memory at a time, so inputs of any length stream through. Frames
/// come out as 8-bit 4:2:0 whatever the stream stores (``Y4MSampleFormat`` says how others convert).
/// The reader owns its `FILE*` and closes it in `deinit` (standard input is left open).
public final class Y4MReader {
    /// The stream header: size, frame rate, chroma siting.
    public let header: Y4MHeader
    /// The path given at creation (`-` for standard input), used in errors.
    public let path: String
    /// Number of frames returned so far.
    public private(set) var framesRead = 0

    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var byteOffset = 0
    private let frameByteCount: Int
    /// Allocated at the first frame, once the input is known to hold one.
    private var frameBuffer: [UInt8] = []

    /// The picture size and frame rate of the stream.
    public var format: VideoFormat { header.format }

    /// Opens `path` (or standard input when `path` is `-`) and parses the stream header.
    public init(path: String) throws(Y4MError) {
        self.path = path
        if path == "-" {
            file = fdopen(0, "rb")!
            ownsFile = false
        } else {
            guard let f = fopen(path, "rb") else {
                throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            file = f
            ownsFile = true
        }
        do {
            var lineBytes: [UInt8] = []
            while true {
                let c = getc(file)
                if c == EOF {
                    throw Y4MError.malformedHeader(path: path, detail: lineBytes.isEmpty ? "empty input" : "header line has no end")
                }
                if c == 0x0A { break }
                lineBytes.append(UInt8(c))
                if lineBytes.count > 1024 { throw Y4MError.malformedHeader(path: path, detail: "header line longer than 1024 bytes") }
            }
            byteOffset = lineBytes.count + 1
            header = try Y4MHeader.parse(String(decoding: lineBytes, as: UTF8.self), path: path)
        } catch let error as Y4MError {
            if ownsFile { fclose(file) }
            throw error
        } catch {
            fatalError("unreachable")
        }
        frameByteCount = header.sampleFormat.frameByteCount(width: header.format.width, height: header.format.height)
    }

    deinit { if ownsFile { fclose(file) } }

    /// Reads the next frame into `frame`, reusing its storage when the size matches.
    /// Returns false at the clean end of the stream.
    public func read(into frame: inout Frame) throws(Y4MError) -> Bool {
        let w = header.format.width, h = header.format.height
        // FRAME marker line: "FRAME" then optional parameters, then newline.
        var marker: [UInt8] = []
        let markerStart = byteOffset
        while true {
            let c = getc(file)
            if c == EOF {
                if marker.isEmpty { return false }
                throw .truncatedFrame(path: path, frame: framesRead, byteOffset: byteOffset)
            }
            byteOffset += 1
            if c == 0x0A { break }
            marker.append(UInt8(c))
            if marker.count > 256 { break }
        }
        guard marker.count >= 5, Array(marker.prefix(5)) == Array("FRAME".utf8), marker.count <= 256 else {
            throw .malformedFrameHeader(path: path, frame: framesRead, byteOffset: markerStart)
        }
        let needed = frameByteCount
        if let remaining = remainingFileBytes(), remaining < needed {
            // A regular file too short for this frame: fail before allocating or reading it.
            throw .truncatedFrame(path: path, frame: framesRead, byteOffset: byteOffset + remaining)
        }
        if frameBuffer.count != needed { frameBuffer = [UInt8](repeating: 0, count: needed) }
        let got = frameBuffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, needed, file) }
        byteOffset += got
        guard got == needed else { throw .truncatedFrame(path: path, frame: framesRead, byteOffset: byteOffset) }
        if frame.width != w || frame.height != h { frame = .forOverwrite(width: w, height: h) }
        let layout = header.sampleFormat
        frameBuffer.withUnsafeBytes { layout.convert($0, into: &frame) }
        framesRead += 1
        return true
    }

    /// Bytes left after the current position when the input is a regular file; nil for pipes and terminals.
    private func remainingFileBytes() -> Int? {
        var info = stat()
        guard fstat(fileno(file), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let position = ftello(file)
        guard position >= 0 else { return nil }
        return max(0, Int(info.st_size) - Int(position))
    }

    /// Reads the next frame, or nil at the clean end of the stream.
    public func read() throws(Y4MError) -> Frame? {
        // A placeholder: read(into:) allocates the full-size frame only once its bytes are there.
        var frame = Frame(width: 2, height: 2)
        return try read(into: &frame) ? frame : nil
    }

    /// Reads every remaining frame. Meant for short clips; use ``read(into:)`` to stream.
    public func readAll() throws(Y4MError) -> [Frame] {
        var frames: [Frame] = []
        while let f = try read() { frames.append(f) }
        return frames
    }
}
