/// Where an encoder gets its pictures: a Y4M file or pipe, frames made in memory, a camera.
///
/// Frames are pulled one at a time, so a source of any length streams through the
/// encoder with memory bounded by the segments in flight.
public protocol FrameSource {
    /// Picture size and frame rate of every frame the source returns.
    var format: VideoFormat { get }
    /// The next frame, or nil at the end.
    mutating func nextFrame() throws -> Frame?
}

/// A ``FrameSource`` reading a YUV4MPEG2 file, or standard input when the path is `-`.
public struct Y4MFileSource: FrameSource {
    private let reader: Y4MReader
    /// Picture size and frame rate from the Y4M header.
    public var format: VideoFormat { reader.format }

    /// Opens `path` (`-` for standard input) and reads its header.
    public init(path: String) throws(Y4MError) {
        reader = try Y4MReader(path: path)
    }

    public mutating func nextFrame() throws -> Frame? { try reader.read() }
}

/// A ``FrameSource`` over frames the caller already has (generated, decoded elsewhere).
public struct FrameSequenceSource<Frames: IteratorProtocol>: FrameSource where Frames.Element == Frame {
    /// Picture size and frame rate of the frames.
    public let format: VideoFormat
    private var iterator: Frames

    /// Wraps an iterator of frames that all have `format`'s size.
    public init(format: VideoFormat, frames: Frames) {
        self.format = format
        self.iterator = frames
    }

    public mutating func nextFrame() throws -> Frame? {
        guard let frame = iterator.next() else { return nil }
        guard frame.width == format.width, frame.height == format.height else {
            throw StrataError.input("frame is \(frame.width)x\(frame.height), the source format is \(format.width)x\(format.height)")
        }
        return frame
    }
}

extension FrameSequenceSource {
    /// Wraps an array or other sequence of frames.
    public init<S: Sequence>(format: VideoFormat, frames: S) where S.Iterator == Frames {
        self.init(format: format, frames: frames.makeIterator())
    }
}
