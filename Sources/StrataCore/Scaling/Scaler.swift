internal import CSwscale

/// The resampling filter a ``Scaler`` uses.
public enum ScalingFilter: String, Sendable, CaseIterable, Codable {
    /// Two-tap linear; fastest.
    case bilinear
    /// Four-tap bicubic; the measuring scaler of the benchmark.
    case bicubic
    /// Lanczos (three lobes); sharpest.
    case lanczos

    var swsFlag: Int32 {
        switch self {
        case .bilinear: return Int32(SWS_BILINEAR)
        case .bicubic: return Int32(SWS_BICUBIC)
        case .lanczos: return Int32(SWS_LANCZOS)
        }
    }
}

/// Why a scaler could not be made.
public enum ScalerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A size is odd, empty or beyond 65536, or libswscale refused the pair.
    case unsupportedSizes(from: String, to: String)

    public var description: String {
        switch self {
        case let .unsupportedSizes(from, to): return "cannot scale \(from) to \(to) (4:2:0 sizes must be even and positive)"
        }
    }
}

/// Resizes 4:2:0 frames from one fixed size to another with libswscale.
///
/// Owns one `SwsContext`, freed in `deinit`. Not thread-safe: use one scaler per task.
/// Results are deterministic for a given filter and size pair (no SIMD-dependent paths
/// are requested: `SWS_ACCURATE_RND | SWS_BITEXACT`).
public final class Scaler {
    /// Source size.
    public let sourceWidth: Int, sourceHeight: Int
    /// Destination size.
    public let destinationWidth: Int, destinationHeight: Int
    /// Filter in use.
    public let filter: ScalingFilter
    private let context: OpaquePointer

    /// Creates a scaler between two even frame sizes.
    public init(from sourceWidth: Int, _ sourceHeight: Int, to destinationWidth: Int, _ destinationHeight: Int,
                filter: ScalingFilter = .bicubic) throws(ScalerError) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.destinationWidth = destinationWidth
        self.destinationHeight = destinationHeight
        self.filter = filter
        // Frames are 4:2:0 with even sides; an odd or empty size (say from a damaged manifest)
        // is refused here rather than trapping when the destination frame is made.
        for side in [sourceWidth, sourceHeight, destinationWidth, destinationHeight] where side <= 0 || side % 2 != 0 || side > 65536 {
            throw .unsupportedSizes(from: "\(sourceWidth)x\(sourceHeight)", to: "\(destinationWidth)x\(destinationHeight)")
        }
        let flags = filter.swsFlag | Int32(SWS_ACCURATE_RND) | Int32(SWS_BITEXACT) | Int32(SWS_FULL_CHR_H_INT)
        guard let ctx = sws_getContext(Int32(sourceWidth), Int32(sourceHeight), AV_PIX_FMT_YUV420P,
                                       Int32(destinationWidth), Int32(destinationHeight), AV_PIX_FMT_YUV420P,
                                       flags, nil, nil, nil) else {
            throw .unsupportedSizes(from: "\(sourceWidth)x\(sourceHeight)", to: "\(destinationWidth)x\(destinationHeight)")
        }
        context = ctx
    }

    deinit { sws_freeContext(context) }

    /// Scales `source` into `destination`, reusing the destination's storage.
    public func scale(_ source: Frame, into destination: inout Frame) {
        precondition(source.width == sourceWidth && source.height == sourceHeight, "scaler source size mismatch")
        if destination.width != destinationWidth || destination.height != destinationHeight {
            destination = .forOverwrite(width: destinationWidth, height: destinationHeight)
        }
        let srcStrides = [Int32(source.luma.stride), Int32(source.cb.stride), Int32(source.cr.stride), 0]
        let dstStrides = [Int32(destination.luma.stride), Int32(destination.cb.stride), Int32(destination.cr.stride), 0]
        source.luma.withUnsafeBufferPointer { sy in
            source.cb.withUnsafeBufferPointer { su in
                source.cr.withUnsafeBufferPointer { sv in
                    destination.luma.withUnsafeMutableBufferPointer { dy in
                        destination.cb.withUnsafeMutableBufferPointer { du in
                            destination.cr.withUnsafeMutableBufferPointer { dv in
                                var srcPlanes: [UnsafePointer<UInt8>?] = [sy.baseAddress, su.baseAddress, sv.baseAddress, nil]
                                var dstPlanes: [UnsafeMutablePointer<UInt8>?] = [dy.baseAddress, du.baseAddress, dv.baseAddress, nil]
                                _ = sws_scale(context, &srcPlanes, srcStrides, 0, Int32(sourceHeight), &dstPlanes, dstStrides)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scales `source` into a new frame.
    public func scale(_ source: Frame) -> Frame {
        var out = Frame.forOverwrite(width: destinationWidth, height: destinationHeight)
        scale(source, into: &out)
        return out
    }
}
