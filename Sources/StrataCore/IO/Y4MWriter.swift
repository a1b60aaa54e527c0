#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a YUV4MPEG2 stream to a file or standard output.
///
/// A file is written under a temporary name beside the target and renamed into place
/// by ``finish()``, so a reader never sees a half-written file; a writer dropped without
/// `finish()` removes its temporary file. A target that exists and is not a regular file (a
/// device such as `/dev/null`, a FIFO, `/dev/stdout`) is written in place: renaming over it would
/// replace it.
public final class Y4MWriter {
    /// The path given at creation (`-` for standard output).
    public let path: String
    /// The header written at the start of the stream.
    public let header: Y4MHeader
    /// Frames written so far.
    public private(set) var framesWritten = 0

    private var file: UnsafeMutablePointer<FILE>?
    private let temporaryPath: String?
    /// Whether ``finish()`` closes ``file`` (not standard output, which the process keeps).
    private var closesFile: Bool { path != "-" }
    private var buffer: [UInt8]

    /// Creates `path` (or writes to standard output when `path` is `-`) and writes the header.
    /// Frames are written as 8-bit 4:2:0: a header naming another layout or an unknown tag (say, one read from a
    /// 4:2:2 input) is written with `C420jpeg` instead.
    public init(path: String, header: Y4MHeader) throws(Y4MError) {
        self.path = path
        self.header = Y4MSampleFormat(colorSpace: header.colorSpace) == .i420 ? header : Y4MHeader(format: header.format, aspect: header.aspect)
        buffer = [UInt8](repeating: 0, count: Frame.packedByteCount(width: header.format.width, height: header.format.height))
        if path == "-" {
            file = fdopen(1, "wb")!
            temporaryPath = nil
        } else if OutputPath.isSpecialFile(path) {
            guard let f = fopen(path, "wb") else {
                throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            file = f
            temporaryPath = nil
        } else {
            let tmp = path + ".partial-\(getpid())"
            guard let f = fopen(tmp, "wb") else {
                throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            file = f
            temporaryPath = tmp
        }
        try write(bytes: Array(self.header.line.utf8))
    }

    /// Convenience: a writer for frames of `format` with the default chroma siting.
    public convenience init(path: String, format: VideoFormat) throws(Y4MError) {
        try self.init(path: path, header: Y4MHeader(format: format))
    }

    deinit {
        guard let file else { return }
        if let temporaryPath {
            fclose(file)
            unlink(temporaryPath)
        } else if closesFile {
            fclose(file)
        }
    }

    private func write(bytes: [UInt8]) throws(Y4MError) {
        guard let file else { throw .writeFailed(path: path, reason: "writer already finished") }
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if n != bytes.count { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    /// Appends one frame; its size must match the header.
    public func write(_ frame: Frame) throws(Y4MError) {
        guard frame.width == header.format.width, frame.height == header.format.height else {
            throw .frameSizeMismatch(path: path, expected: "\(header.format.width)x\(header.format.height)", got: "\(frame.width)x\(frame.height)")
        }
        guard let file else { throw .writeFailed(path: path, reason: "writer already finished") }
        let marker: [UInt8] = Array("FRAME\n".utf8)
        try write(bytes: marker)
        buffer.withUnsafeMutableBytes { frame.copyPackedI420(into: $0) }
        let n = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if n != buffer.count { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        framesWritten += 1
    }

    /// Flushes, closes and (for files) renames the temporary file into place.
    public func finish() throws(Y4MError) {
        guard let f = file else { return }
        file = nil
        if temporaryPath == nil {
            let flushed = fflush(f) == 0
            let reason = String(cString: strerror(errno))
            if closesFile { fclose(f) }
            if !flushed { throw .writeFailed(path: path, reason: reason) }
            return
        }
        let flushed = fflush(f) == 0
        let closed = fclose(f) == 0
        guard flushed && closed else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath!)
            throw .writeFailed(path: path, reason: reason)
        }
        if rename(temporaryPath!, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath!)
            throw .writeFailed(path: path, reason: reason)
        }
    }
}
