import StrataCore

/// How the base-layer encoder spends bits.
public enum RateControl: Sendable, Hashable, Codable {
    /// Every macroblock at this QP (0...51): repeatable quality, for ladders and tests.
    case constantQP(Int)
    /// A target bitrate in kbit/s, with frame skipping off so every frame is still coded.
    case bitrate(kbps: Int)
}

/// One SVC spatial layer of the base: its picture size and rate control.
public struct SpatialLayerSpec: Sendable, Hashable, Codable {
    /// Width in luma samples (even).
    public var width: Int
    /// Height in luma rows (even).
    public var height: Int
    /// Rate control of this layer; all layers of one encoder use the same kind (QP or bitrate).
    public var rateControl: RateControl

    /// Creates a layer description.
    public init(width: Int, height: Int, rateControl: RateControl) {
        self.width = width
        self.height = height
        self.rateControl = rateControl
    }
}

/// Everything the OpenH264 base-layer encoder needs to know, as a value that can be stored in a
/// manifest or compared between runs.
public struct BaseEncoderConfiguration: Sendable, Hashable, Codable {
    /// Input frame rate.
    public var frameRate: FrameRate
    /// SVC temporal layers, 1...4.
    public var temporalLayers: Int
    /// SVC spatial layers, 1...4, lowest first; the last one's size is the size of the frames
    /// given to ``OpenH264Encoder/encode(_:forceIDR:)``, lower layers are scaled down by OpenH264.
    public var spatialLayers: [SpatialLayerSpec]
    /// CABAC entropy coding (Main/High profile) instead of CAVLC (Baseline); CABAC saves bits.
    public var cabac: Bool = true
    /// Reference frames the encoder may use.
    public var referenceFrames: Int = 4
    /// Deblocking filter offsets, -6...6, written as both `slice_alpha_c0_offset_div2` and
    /// `slice_beta_offset_div2` (each step moves the thresholds' index by 2 QP; negative filters less).
    /// The default, -3, was measured with `strata bench`: the 640x360 base of bigbuckbunny and the
    /// 320x136 base of bikes needed 2.7% and 2.5% fewer bits than with 0 for their VMAF (x264 rungs
    /// at equal quality), -6 about the same on one and less on the other.
    public var deblockingOffset: Int = -3
    /// Encoder threads (1 = single-threaded, deterministic across machines).
    public var threads: Int = 1
    /// Frames between automatic IDRs; 0 means IDRs only where the caller forces them (segment starts).
    /// Must be a multiple of the temporal period `2^(temporalLayers-1)`.
    public var idrInterval: Int = 0
    /// Write an SVC prefix NAL unit (type 14) before each AVC slice so the temporal id of every frame
    /// can be read back from the stream; plain AVC decoders ignore it.
    public var prefixNALUnits: Bool = true

    /// A single spatial layer of `width x height`.
    public init(width: Int, height: Int, frameRate: FrameRate, temporalLayers: Int, rateControl: RateControl) {
        self.frameRate = frameRate
        self.temporalLayers = temporalLayers
        self.spatialLayers = [SpatialLayerSpec(width: width, height: height, rateControl: rateControl)]
    }

    /// Several spatial layers, lowest first.
    public init(spatialLayers: [SpatialLayerSpec], frameRate: FrameRate, temporalLayers: Int) {
        self.frameRate = frameRate
        self.temporalLayers = temporalLayers
        self.spatialLayers = spatialLayers
    }

    /// Width of the frames given to the encoder (the top spatial layer).
    public var width: Int { spatialLayers.last?.width ?? 0 }
    /// Height of the frames given to the encoder (the top spatial layer).
    public var height: Int { spatialLayers.last?.height ?? 0 }
    /// The temporal hierarchy the encoder writes.
    public var temporalStructure: TemporalStructure { TemporalStructure(layers: temporalLayers) }

    /// Checks every rule OpenH264 would otherwise reject with a bare status code.
    public func validate() throws(BaseLayerError) {
        guard (1...4).contains(temporalLayers) else {
            throw .invalidConfiguration(detail: "temporalLayers must be 1...4, got \(temporalLayers)")
        }
        guard (1...4).contains(spatialLayers.count) else {
            throw .invalidConfiguration(detail: "spatialLayers must hold 1...4 layers, got \(spatialLayers.count)")
        }
        guard frameRate.framesPerSecond >= 1, frameRate.framesPerSecond <= 120 else {
            throw .invalidConfiguration(detail: "frame rate \(frameRate) outside 1...120")
        }
        var previous: SpatialLayerSpec?
        var usesQP: Bool?
        for (i, layer) in spatialLayers.enumerated() {
            guard layer.width >= 16, layer.height >= 16, layer.width % 2 == 0, layer.height % 2 == 0,
                  layer.width <= 4096, layer.height <= 4096 else {
                throw .invalidConfiguration(detail: "spatial layer \(i) size \(layer.width)x\(layer.height) must be even and 16...4096")
            }
            if let p = previous, layer.width < p.width || layer.height < p.height {
                throw .invalidConfiguration(detail: "spatial layer \(i) (\(layer.width)x\(layer.height)) is smaller than the layer below (\(p.width)x\(p.height))")
            }
            let isQP: Bool
            switch layer.rateControl {
            case .constantQP(let qp):
                guard (0...51).contains(qp) else { throw .invalidConfiguration(detail: "spatial layer \(i) QP \(qp) outside 0...51") }
                isQP = true
            case .bitrate(let kbps):
                guard kbps > 0, kbps <= 1_000_000 else { throw .invalidConfiguration(detail: "spatial layer \(i) bitrate \(kbps) kbit/s outside 1...1000000") }
                isQP = false
            }
            if let u = usesQP, u != isQP {
                throw .invalidConfiguration(detail: "all spatial layers must use the same kind of rate control (constant QP or bitrate)")
            }
            usesQP = isQP
            previous = layer
        }
        guard (1...16).contains(referenceFrames) else {
            throw .invalidConfiguration(detail: "referenceFrames must be 1...16, got \(referenceFrames)")
        }
        guard (-6...6).contains(deblockingOffset) else {
            throw .invalidConfiguration(detail: "deblockingOffset must be -6...6, got \(deblockingOffset)")
        }
        guard (1...16).contains(threads) else {
            throw .invalidConfiguration(detail: "threads must be 1...16, got \(threads)")
        }
        let period = 1 << (temporalLayers - 1)
        guard idrInterval >= 0, idrInterval % period == 0 else {
            throw .invalidConfiguration(detail: "idrInterval \(idrInterval) must be 0 or a multiple of the temporal period \(period)")
        }
    }
}
