internal import COpenH264
import StrataCore

/// Decodes the base layer (or one chosen SVC spatial layer) one access unit at a time.
///
/// Owns one OpenH264 `ISVCDecoder`, created in `init` and destroyed in `deinit`. OpenH264 outputs
/// the highest spatial layer it is fed, so give it ``AccessUnit/nalUnits(forSpatialLayer:)`` of the
/// layer wanted. Decoded pictures are copied out of the decoder's buffers into a ``Frame``.
public final class OpenH264Decoder {
    /// Access units given to ``decode(_:)`` so far (named in errors).
    public private(set) var accessUnitsDecoded = 0

    private let decoder: UnsafeMutablePointer<ISVCDecoder?>

    /// Opens a decoder with error concealment off, so damage is reported rather than hidden.
    public init() throws(BaseLayerError) {
        var handle: UnsafeMutablePointer<ISVCDecoder?>?
        let created = Int(WelsCreateDecoder(&handle))
        guard created == 0, let handle else { throw .creationFailed(codec: .openH264Decoder, status: created) }
        decoder = handle
        var quiet = Int32(WELS_LOG_QUIET)
        _ = strata_dec_set_option(decoder, DECODER_OPTION_TRACE_LEVEL, &quiet)
        var param = SDecodingParam()
        param.sVideoProperty.size = UInt32(MemoryLayout<SVideoProperty>.size)
        param.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_DEFAULT
        // All dependency/quality layers: the NAL units fed choose the layer (a target of 0 makes
        // the decoder refuse the SVC layers instead of dropping them).
        param.uiTargetDqLayer = UInt8.max
        param.eEcActiveIdc = ERROR_CON_DISABLE
        let status = Int(strata_dec_initialize(decoder, &param))
        if status != 0 {
            WelsDestroyDecoder(decoder)
            throw .initializationFailed(codec: .openH264Decoder, status: status)
        }
    }

    deinit {
        _ = strata_dec_uninitialize(decoder)
        WelsDestroyDecoder(decoder)
    }

    /// Decodes one whole access unit and returns its picture, or nil when the units held no picture
    /// (parameter sets alone).
    ///
    /// Baseline and Main profile pictures come out with their own access unit, in decoding order,
    /// which is display order for Strata's base (it has no B-frames); a Main profile stream with
    /// B-frames from another encoder would come out in decoding order too.
    public func decode(_ accessUnit: [NALUnit]) throws(BaseLayerError) -> Frame? {
        let index = accessUnitsDecoded
        accessUnitsDecoded += 1
        let bytes = AnnexB.serialize(accessUnit.map(Self.withoutReorderDelay))
        guard !bytes.isEmpty else { return nil }
        var info = SBufferInfo()
        var planes: [UnsafeMutablePointer<UInt8>?] = [nil, nil, nil]
        let state = bytes.withUnsafeBufferPointer { p in
            planes.withUnsafeMutableBufferPointer { dst in
                Int(strata_dec_decode_frame_no_delay(decoder, p.baseAddress, Int32(p.count), dst.baseAddress, &info).rawValue)
            }
        }
        guard state == 0 else { throw .decodeFailed(accessUnit: index, state: state) }
        return try picture(from: info, accessUnit: index)
    }

    /// OpenH264 holds each Main or High profile picture back until the next one arrives, in case
    /// a B-frame must be shown before it; Baseline pictures come out at once. Strata's base has no
    /// B-frames (display order is decoding order) and the encoder writes Main profile for CABAC,
    /// whose SPS syntax is Baseline's, so the decoder is shown `profile_idc` 66 and returns every
    /// picture with its own access unit. High profile SPSs (x264's) differ in syntax and are fed
    /// unchanged: their pictures come out one access unit late, the last one from ``flush()``.
    static func withoutReorderDelay(_ nal: NALUnit) -> NALUnit {
        guard nal.type == NALUnitType.sps, nal.bytes.count > 1, nal.bytes[1] == 77 else { return nal }
        var patched = nal
        patched.bytes[1] = 66
        return patched
    }

    private func heldPictureCount() -> Int {
        var remaining: Int32 = 0
        let status = strata_dec_get_option(decoder, DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, &remaining)
        return status == 0 ? Int(remaining) : 0
    }

    private func releaseHeldPicture(accessUnit: Int) throws(BaseLayerError) -> Frame? {
        guard heldPictureCount() > 0 else { return nil }
        var info = SBufferInfo()
        var planes: [UnsafeMutablePointer<UInt8>?] = [nil, nil, nil]
        let state = planes.withUnsafeMutableBufferPointer { dst in
            Int(strata_dec_flush_frame(decoder, dst.baseAddress, &info).rawValue)
        }
        guard state == 0 else { throw .decodeFailed(accessUnit: accessUnit, state: state) }
        return try picture(from: info, accessUnit: accessUnit)
    }

    /// Returns the pictures the decoder still holds at the end of a stream: none for Strata's
    /// base, the last picture for a High profile stream. Call it once, after the last access unit.
    public func flush() throws(BaseLayerError) -> [Frame] {
        var frames: [Frame] = []
        // Bounded by the decoder's picture buffer (16), so a confused decoder cannot loop forever.
        for _ in 0..<16 {
            guard let frame = try releaseHeldPicture(accessUnit: accessUnitsDecoded) else { break }
            frames.append(frame)
        }
        return frames
    }

    private func picture(from info: SBufferInfo, accessUnit: Int) throws(BaseLayerError) -> Frame? {
        guard info.iBufferStatus == 1 else { return nil }
        let buffer = info.UsrData.sSystemBuffer
        let width = Int(buffer.iWidth), height = Int(buffer.iHeight)
        let lumaStride = Int(buffer.iStride.0), chromaStride = Int(buffer.iStride.1)
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0 else {
            throw .unsupportedPicture(accessUnit: accessUnit, detail: "size \(width)x\(height) is not positive and even")
        }
        guard let y = info.pDst.0, let u = info.pDst.1, let v = info.pDst.2,
              lumaStride >= width, chromaStride >= width / 2 else {
            throw .unsupportedPicture(accessUnit: accessUnit, detail: "missing planes or strides \(lumaStride)/\(chromaStride)")
        }
        var frame = Frame.forOverwrite(width: width, height: height)
        Self.copy(from: y, stride: lumaStride, into: &frame.luma)
        Self.copy(from: u, stride: chromaStride, into: &frame.cb)
        Self.copy(from: v, stride: chromaStride, into: &frame.cr)
        return frame
    }

    private static func copy(from source: UnsafeMutablePointer<UInt8>, stride: Int, into plane: inout Plane) {
        let width = plane.width, height = plane.height, destinationStride = plane.stride
        plane.withUnsafeMutableBufferPointer { dst in
            guard let base = dst.baseAddress else { return }
            for row in 0..<height {
                (base + row * destinationStride).update(from: source + row * stride, count: width)
            }
        }
    }
}
