internal import COpenH264
import StrataCore

/// The base-layer encoder: an AVC stream with SVC temporal layers and, when configured, SVC
/// spatial layers, one access unit out for every frame in.
///
/// Owns one OpenH264 `ISVCEncoder`, created in `init` and destroyed in `deinit`. Not thread-safe:
/// use one encoder per task.
public final class OpenH264Encoder {
    /// The configuration the encoder was opened with.
    public let configuration: BaseEncoderConfiguration
    /// Frames encoded so far; the index the next frame will get.
    public private(set) var framesEncoded = 0
    /// Frames since the last IDR (the position in the temporal pattern).
    public private(set) var framesSinceIDR = 0

    private let encoder: UnsafeMutablePointer<ISVCEncoder?>

    /// Opens an encoder; fails when the configuration breaks a rule or OpenH264 refuses it.
    public init(_ configuration: BaseEncoderConfiguration) throws(BaseLayerError) {
        try configuration.validate()
        self.configuration = configuration
        var handle: UnsafeMutablePointer<ISVCEncoder?>?
        let created = Int(WelsCreateSVCEncoder(&handle))
        guard created == 0, let handle else { throw .creationFailed(codec: .openH264Encoder, status: created) }
        encoder = handle

        var quiet = Int32(WELS_LOG_QUIET)
        _ = strata_enc_set_option(encoder, ENCODER_OPTION_TRACE_LEVEL, &quiet)

        var param = SEncParamExt()
        do {
            try BaseLayerError.check(Int(strata_enc_get_default_params(encoder, &param))) {
                .initializationFailed(codec: .openH264Encoder, status: $0)
            }
            Self.fill(&param, from: configuration)
            try BaseLayerError.check(Int(strata_enc_initialize_ext(encoder, &param))) {
                .initializationFailed(codec: .openH264Encoder, status: $0)
            }
        } catch {
            WelsDestroySVCEncoder(encoder)
            throw error
        }
        var format = Int32(videoFormatI420.rawValue)
        _ = strata_enc_set_option(encoder, ENCODER_OPTION_DATAFORMAT, &format)
    }

    deinit {
        _ = strata_enc_uninitialize(encoder)
        WelsDestroySVCEncoder(encoder)
    }

    private static func fill(_ p: inout SEncParamExt, from c: BaseEncoderConfiguration) {
        let fps = Float(c.frameRate.framesPerSecond)
        p.iUsageType = CAMERA_VIDEO_REAL_TIME
        p.iPicWidth = Int32(c.width)
        p.iPicHeight = Int32(c.height)
        p.fMaxFrameRate = fps
        p.iTemporalLayerNum = Int32(c.temporalLayers)
        p.iSpatialLayerNum = Int32(c.spatialLayers.count)
        p.iComplexityMode = HIGH_COMPLEXITY
        p.uiIntraPeriod = UInt32(c.idrInterval)
        p.iNumRefFrame = Int32(c.referenceFrames)
        // Parameter sets keep their ids, so the set sent with the first IDR stays valid for the
        // whole stream (an init segment can carry it).
        p.eSpsPpsIdStrategy = CONSTANT_ID
        p.bPrefixNalAddingCtrl = c.prefixNALUnits
        p.bEnableSSEI = false
        p.bSimulcastAVC = false
        p.iPaddingFlag = 0
        p.iEntropyCodingModeFlag = c.cabac ? 1 : 0
        // Every input frame must give a picture: the enhancement layers are coded against it.
        p.bEnableFrameSkip = false
        // A scene cut must not insert an IDR: it would restart the temporal pattern mid-segment.
        p.bEnableSceneChangeDetect = false
        p.bEnableDenoise = false
        p.iMultipleThreadIdc = UInt16(c.threads)
        p.iLoopFilterDisableIdc = 0
        p.iLoopFilterAlphaC0Offset = Int32(c.deblockingOffset)
        p.iLoopFilterBetaOffset = Int32(c.deblockingOffset)

        var totalBitrate = 0
        var qp: Int?
        for (i, layer) in c.spatialLayers.enumerated() {
            withUnsafeMutableBytes(of: &p.sSpatialLayers) { raw in
                let layers = raw.bindMemory(to: SSpatialLayerConfig.self)
                layers[i].iVideoWidth = Int32(layer.width)
                layers[i].iVideoHeight = Int32(layer.height)
                layers[i].fFrameRate = fps
                // Main rather than High for CABAC: OpenH264 uses no High-only tool, and Main
                // keeps the Baseline SPS syntax the decoder relies on (see OpenH264Decoder).
                layers[i].uiProfileIdc = i > 0 ? PRO_UNKNOWN : (c.cabac ? PRO_MAIN : PRO_BASELINE)
                layers[i].uiLevelIdc = LEVEL_UNKNOWN
                layers[i].sSliceArgument.uiSliceMode = SM_SINGLE_SLICE
                layers[i].sSliceArgument.uiSliceNum = 1
                switch layer.rateControl {
                case .constantQP(let q):
                    layers[i].iDLayerQp = Int32(q)
                    layers[i].iSpatialBitrate = 0
                    layers[i].iMaxSpatialBitrate = Int32(UNSPECIFIED_BIT_RATE)
                    qp = q
                case .bitrate(let kbps):
                    layers[i].iSpatialBitrate = Int32(kbps * 1000)
                    layers[i].iMaxSpatialBitrate = Int32(UNSPECIFIED_BIT_RATE)
                    totalBitrate += kbps * 1000
                }
            }
        }
        if let qp {
            p.iRCMode = RC_OFF_MODE
            p.iTargetBitrate = 0
            p.iMinQp = Int32(qp)
            p.iMaxQp = Int32(qp)
            p.bEnableAdaptiveQuant = false
        } else {
            p.iRCMode = RC_BITRATE_MODE
            p.iTargetBitrate = Int32(totalBitrate)
            p.iMaxBitrate = Int32(UNSPECIFIED_BIT_RATE)
        }
    }

    /// Encodes one frame (the size of the top spatial layer) and returns all its NAL units.
    ///
    /// With `forceIDR` the frame becomes an IDR and the temporal pattern restarts; parameter sets
    /// come with every IDR. Each unit carries the frame index, temporal id and dependency id.
    public func encode(_ frame: Frame, forceIDR: Bool) throws(BaseLayerError) -> AccessUnit {
        guard frame.width == configuration.width, frame.height == configuration.height else {
            throw .frameSizeMismatch(expected: "\(configuration.width)x\(configuration.height)", got: "\(frame.width)x\(frame.height)")
        }
        let index = framesEncoded
        if forceIDR && index > 0 {
            try BaseLayerError.check(Int(strata_enc_force_intra(encoder, true))) {
                .encodeFailed(codec: .openH264Encoder, frame: index, status: $0)
            }
        }
        var info = SFrameBSInfo()
        var picture = SSourcePicture()
        picture.iColorFormat = Int32(videoFormatI420.rawValue)
        picture.iPicWidth = Int32(frame.width)
        picture.iPicHeight = Int32(frame.height)
        picture.iStride = (Int32(frame.luma.stride), Int32(frame.cb.stride), Int32(frame.cr.stride), 0)
        let rate = configuration.frameRate
        picture.uiTimeStamp = Int64(index) * 1000 * Int64(rate.denominator) / Int64(rate.numerator)
        let status: Int = frame.luma.withUnsafeBufferPointer { y in
            frame.cb.withUnsafeBufferPointer { u in
                frame.cr.withUnsafeBufferPointer { v in
                    picture.pData = (UnsafeMutablePointer(mutating: y.baseAddress), UnsafeMutablePointer(mutating: u.baseAddress),
                                     UnsafeMutablePointer(mutating: v.baseAddress), nil)
                    return Int(strata_enc_encode_frame(encoder, &picture, &info))
                }
            }
        }
        try BaseLayerError.check(status) { .encodeFailed(codec: .openH264Encoder, frame: index, status: $0) }
        guard info.eFrameType != videoFrameTypeSkip, info.eFrameType != videoFrameTypeInvalid, info.iLayerNum > 0 else {
            throw .frameSkipped(frame: index)
        }

        let isIDR = info.eFrameType == videoFrameTypeIDR
        if isIDR { framesSinceIDR = 0 }
        var units: [NALUnit] = []
        var baseTemporalId: Int?
        let layerCount = min(Int(info.iLayerNum), Int(MAX_LAYER_NUM_OF_FRAME))
        withUnsafeBytes(of: &info.sLayerInfo) { raw in
            let layers = raw.bindMemory(to: SLayerBSInfo.self)
            for l in 0..<layerCount {
                let layer = layers[l]
                let isVideo = layer.uiLayerType == UInt8(VIDEO_CODING_LAYER.rawValue)
                let temporalId = isVideo ? Int(layer.uiTemporalId) : 0
                let dependencyId = Int(layer.uiSpatialId)
                if isVideo && baseTemporalId == nil { baseTemporalId = temporalId }
                guard let buffer = layer.pBsBuf, let lengths = layer.pNalLengthInByte else { continue }
                var offset = 0
                for n in 0..<Int(layer.iNalCount) {
                    let length = Int(lengths[n])
                    let withStartCode = UnsafeBufferPointer(start: buffer + offset, count: length)
                    offset += length
                    var skip = 0
                    while skip < length && withStartCode[skip] == 0 { skip += 1 }
                    if skip < length && withStartCode[skip] == 1 { skip += 1 } else { skip = 0 }
                    let bytes = Array(withStartCode[skip...])
                    var unit = NALUnit(bytes: bytes, temporalId: temporalId, dependencyId: dependencyId,
                                       qualityId: Int(layer.uiQualityId), frameIndex: index)
                    if unit.isParameterSet { unit.temporalId = 0 }
                    units.append(unit)
                }
            }
        }
        framesEncoded += 1
        framesSinceIDR += 1
        return AccessUnit(frameIndex: index, temporalId: baseTemporalId ?? 0, isIDR: isIDR, nalUnits: units)
    }
}
