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
    /// (parameter sets alone). There is no reordering delay: the base has no B-frames.
    public func decode(_ accessUnit: [NALUnit]) throws(BaseLayerError) -> Frame? {
        let index = accessUnitsDecoded
        accessUnitsDecoded += 1
        let bytes = AnnexB.serialize(accessUnit)
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

    /// Returns the pictures the decoder still holds (none for Strata's base, which has no reordering).
    public func flush() throws(BaseLayerError) -> [Frame] {
        var frames: [Frame] = []
        var remaining: Int32 = 0
        _ = strata_dec_get_option(decoder, DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, &remaining)
        var attempts = Int(max(remaining, 0))
        while attempts > 0 {
            attempts -= 1
            var info = SBufferInfo()
            var planes: [UnsafeMutablePointer<UInt8>?] = [nil, nil, nil]
            let state = planes.withUnsafeMutableBufferPointer { dst in
                Int(strata_dec_flush_frame(decoder, dst.baseAddress, &info).rawValue)
            }
            guard state == 0 else { throw .decodeFailed(accessUnit: accessUnitsDecoded, state: state) }
            guard let frame = try picture(from: info, accessUnit: accessUnitsDecoded) else { break }
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
        var frame = Frame(width: width, height: height)
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
