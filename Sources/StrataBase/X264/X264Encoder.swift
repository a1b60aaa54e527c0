internal import CX264
import StrataCore

/// x264's speed/efficiency presets, slowest last.
public enum X264Preset: String, CaseIterable, Sendable, Codable {
    /// Fastest, least efficient.
    case ultrafast
    /// Nearly as fast as ultrafast, with CABAC and a deblocking filter.
    case superfast
    /// A common live-encoding choice.
    case veryfast
    /// Between veryfast and fast.
    case faster
    /// Between faster and medium.
    case fast
    /// x264's default and the reference for Strata's simulcast comparisons.
    case medium
    /// Better compression at about half medium's speed.
    case slow
    /// Slower still.
    case slower
    /// The most thorough preset worth using.
    case veryslow
}

/// x264's tunings: adjustments of a preset for a kind of content or a measure of quality.
///
/// x264's defaults (no tuning) include its adaptive quantization and psychovisual optimizations,
/// which favour how a picture looks over PSNR and VMAF: on three real clips (Docs/experiments.md)
/// `psnr` needed 4-18% fewer bits than no tuning at equal VMAF.
public enum X264Tune: String, CaseIterable, Sendable, Codable {
    /// Live-action film: a little less deblocking, more psychovisual strength.
    case film
    /// Cartoons: more deblocking and reference frames.
    case animation
    /// Keeps film grain.
    case grain
    /// Slide shows and still images.
    case stillimage
    /// For PSNR: no adaptive quantization, no psychovisual optimizations.
    case psnr
    /// For SSIM: automatic-variance adaptive quantization, no psychovisual optimizations.
    case ssim
    /// Streams that decode faster (no CABAC, no weighted prediction, no deblocking).
    case fastdecode
    /// No frame delay (no lookahead, no B-frames).
    case zerolatency
}

/// How x264 spends bits.
public enum X264RateControl: Sendable, Hashable, Codable {
    /// Constant rate factor (0...51, lower is better quality): constant perceived quality.
    case crf(Double)
    /// Average bitrate in kbit/s (one pass).
    case bitrate(kbps: Int)
    /// Constant QP (0...69 for 8-bit; 0 is lossless).
    case qp(Int)
}

/// A single-layer H.264 encoder for the simulcast ladders Strata is measured against.
///
/// Owns one `x264_t`, opened in `init` and closed in `deinit`. Output is Annex B with parameter
/// sets repeated at every keyframe. x264 delays frames for lookahead and B-frames, so
/// ``encode(_:)`` may return nothing for the first frames; ``flush()`` returns the rest.
public final class X264Encoder {
    /// Picture width in luma samples.
    public let width: Int
    /// Picture height in luma rows.
    public let height: Int
    /// Frames given to ``encode(_:)`` so far.
    public private(set) var framesSubmitted = 0

    private let encoder: OpaquePointer
    private var picture = x264_picture_t()

    /// Opens an encoder; `tune` nil keeps the preset as it is, `threads` 0 lets x264 choose,
    /// `keyframeInterval` nil keeps x264's default (250).
    public init(width: Int, height: Int, frameRate: FrameRate, preset: X264Preset, tune: X264Tune? = nil,
                rateControl: X264RateControl, threads: Int = 0, keyframeInterval: Int? = nil) throws(BaseLayerError) {
        guard width >= 16, height >= 16, width % 2 == 0, height % 2 == 0, width <= 8192, height <= 8192 else {
            throw .invalidConfiguration(detail: "x264 size \(width)x\(height) must be even and 16...8192")
        }
        guard (0...64).contains(threads) else { throw .invalidConfiguration(detail: "x264 threads \(threads) outside 0...64") }
        if let k = keyframeInterval, k < 1 { throw .invalidConfiguration(detail: "x264 keyframe interval \(k) must be positive") }
        self.width = width
        self.height = height
        var param = x264_param_t()
        try BaseLayerError.check(Int(x264_param_default_preset(&param, preset.rawValue, tune?.rawValue))) {
            .initializationFailed(codec: .x264, status: $0)
        }
        param.i_log_level = X264_LOG_NONE
        param.i_csp = X264_CSP_I420
        param.i_width = Int32(width)
        param.i_height = Int32(height)
        param.i_fps_num = UInt32(frameRate.numerator)
        param.i_fps_den = UInt32(frameRate.denominator)
        param.i_timebase_num = UInt32(frameRate.denominator)
        param.i_timebase_den = UInt32(frameRate.numerator)
        param.b_vfr_input = 0
        param.i_threads = Int32(threads)
        param.b_repeat_headers = 1
        param.b_annexb = 1
        if let k = keyframeInterval {
            param.i_keyint_max = Int32(k)
            param.i_keyint_min = Int32(min(k, max(1, k / 10)))
        }
        switch rateControl {
        case .crf(let f):
            guard (0...51).contains(f) else { throw .invalidConfiguration(detail: "x264 CRF \(f) outside 0...51") }
            param.rc.i_rc_method = X264_RC_CRF
            param.rc.f_rf_constant = Float(f)
        case .bitrate(let kbps):
            guard kbps > 0 else { throw .invalidConfiguration(detail: "x264 bitrate \(kbps) kbit/s must be positive") }
            param.rc.i_rc_method = X264_RC_ABR
            param.rc.i_bitrate = Int32(kbps)
        case .qp(let q):
            guard (0...69).contains(q) else { throw .invalidConfiguration(detail: "x264 QP \(q) outside 0...69") }
            param.rc.i_rc_method = X264_RC_CQP
            param.rc.i_qp_constant = Int32(q)
        }
        try BaseLayerError.check(Int(x264_param_apply_profile(&param, "high"))) {
            .initializationFailed(codec: .x264, status: $0)
        }
        guard let handle = strata_x264_encoder_open(&param) else {
            throw .creationFailed(codec: .x264, status: -1)
        }
        encoder = handle
        x264_picture_init(&picture)
        picture.img.i_csp = X264_CSP_I420
        picture.img.i_plane = 3
    }

    deinit { x264_encoder_close(encoder) }

    /// Encodes one frame and returns the Annex B bytes x264 produced on this call (possibly none).
    public func encode(_ frame: Frame) throws(BaseLayerError) -> [UInt8] {
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(expected: "\(width)x\(height)", got: "\(frame.width)x\(frame.height)")
        }
        let index = framesSubmitted
        picture.i_pts = Int64(index)
        picture.i_type = X264_TYPE_AUTO
        picture.img.i_stride = (Int32(frame.luma.stride), Int32(frame.cb.stride), Int32(frame.cr.stride), 0)
        let result: Result<[UInt8], BaseLayerError> = frame.luma.withUnsafeBufferPointer { y in
            frame.cb.withUnsafeBufferPointer { u in
                frame.cr.withUnsafeBufferPointer { v in
                    picture.img.plane = (UnsafeMutablePointer(mutating: y.baseAddress), UnsafeMutablePointer(mutating: u.baseAddress),
                                         UnsafeMutablePointer(mutating: v.baseAddress), nil)
                    defer { picture.img.plane = (nil, nil, nil, nil) }
                    return Result { () throws(BaseLayerError) in try encodeCall(withPicture: true, frame: index) }
                }
            }
        }
        framesSubmitted += 1
        return try result.get()
    }

    /// Drains the frames x264 still holds and returns their Annex B bytes.
    public func flush() throws(BaseLayerError) -> [UInt8] {
        var out: [UInt8] = []
        while x264_encoder_delayed_frames(encoder) > 0 {
            out += try encodeCall(withPicture: false, frame: framesSubmitted)
        }
        return out
    }

    private func encodeCall(withPicture: Bool, frame: Int) throws(BaseLayerError) -> [UInt8] {
        var nals: UnsafeMutablePointer<x264_nal_t>?
        var count: Int32 = 0
        var output = x264_picture_t()
        let size: Int32
        if withPicture {
            size = x264_encoder_encode(encoder, &nals, &count, &picture, &output)
        } else {
            size = x264_encoder_encode(encoder, &nals, &count, nil, &output)
        }
        guard size >= 0 else { throw .encodeFailed(codec: .x264, frame: frame, status: Int(size)) }
        guard size > 0, count > 0, let first = nals?.pointee.p_payload else { return [] }
        // With Annex B output x264 lays the payloads of one call out back to back from the first.
        return Array(UnsafeBufferPointer(start: first, count: Int(size)))
    }
}
