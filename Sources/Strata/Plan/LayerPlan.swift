internal import StrataEnhancement

/// What the rate control of an enhancement layer aims at, per segment.
///
/// In JSON (a bench report's plan) it is one key: `{"kbps": 800}` or `{"psnr_y": 40}`.
public enum LayerRateTarget: Sendable, Codable, Hashable {
    /// The bitrate of the layer alone (not counting the layers below), in kbit/s.
    case kbps(Double)
    /// The luma PSNR of the layer's pictures against the source scaled to the layer's size, in dB.
    case psnrY(Double)

    private enum CodingKeys: String, CodingKey {
        case kbps
        case psnrY = "psnr_y"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let kbps = try container.decodeIfPresent(Double.self, forKey: .kbps) {
            self = .kbps(kbps)
        } else {
            self = .psnrY(try container.decode(Double.self, forKey: .psnrY))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .kbps(let kbps): try container.encode(kbps, forKey: .kbps)
        case .psnrY(let psnr): try container.encode(psnr, forKey: .psnrY)
        }
    }
}

/// One enhancement layer of a ``LayerPlan``.
public struct EnhancementLayerPlan: Sendable, Codable, Hashable {
    /// Picture size of the layer as a divisor of the source size (1 = source resolution, 2 = half).
    public var divisor: Int
    /// Quantizer of the layer (0...51, the step doubles every 6); lower is better quality. With a
    /// ``target`` it is the first QP the rate control tries in each segment.
    public var qp: Int
    /// A bitrate or quality the layer meets in every segment (nil: every segment at ``qp``). Each
    /// segment's QP is then chosen by trial encodes of that segment, so a layer with a target
    /// costs a few times the encoding time of a constant-QP layer.
    public var target: LayerRateTarget?

    /// Creates a layer plan entry.
    public init(divisor: Int, qp: Int, target: LayerRateTarget? = nil) {
        self.divisor = divisor
        self.qp = qp
        self.target = target
    }

    /// Parses the command-line form of a list of layers, lowest first: `DIVISOR:QP` items separated
    /// by commas (`1:30,1:24`), where in place of a QP `NNNk` asks for NNN kbit/s of the layer alone
    /// and `NNdB` for a luma PSNR of NN dB. A layer with a target starts its QP search at the QP the
    /// standard plan gives the layer at its position. An empty string or `none` is no layer.
    public static func list(parsing text: String) throws(StrataError) -> [EnhancementLayerPlan] {
        var layers: [EnhancementLayerPlan] = []
        guard !text.isEmpty && text != "none" else { return layers }
        let standard = LayerPlan.standard.enhancementLayers
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let divisor = Int(parts[0]) else {
                throw .invalidPlan("'\(item)' is not DIVISOR:QP (for example 1:30, 1:800k or 1:40dB)")
            }
            let value = parts[1].lowercased()
            let start = standard[min(layers.count, standard.count - 1)].qp
            if let qp = Int(value) {
                layers.append(EnhancementLayerPlan(divisor: divisor, qp: qp))
            } else if value.hasSuffix("k"), let kbps = Double(value.dropLast()), kbps.isFinite {
                layers.append(EnhancementLayerPlan(divisor: divisor, qp: start, target: .kbps(kbps)))
            } else if value.hasSuffix("db"), let psnr = Double(value.dropLast(2)), psnr.isFinite {
                layers.append(EnhancementLayerPlan(divisor: divisor, qp: start, target: .psnrY(psnr)))
            } else {
                throw .invalidPlan("'\(parts[1])' in '\(item)' is not a QP (30), a bitrate (800k) or a PSNR (40dB)")
            }
        }
        return layers
    }
}

/// The shape of a layered encode: base resolution and quality, temporal hierarchy, and
/// the enhancement layers stacked on the base.
///
/// Layer 0 is the OpenH264 base; layer k (k >= 1) is `enhancementLayers[k - 1]` and
/// refines the reconstruction of layer k - 1.
public struct LayerPlan: Sendable, Codable, Hashable {
    /// Base picture size as a divisor of the source size (2 = half width and height).
    public var baseDivisor: Int
    /// Constant quantizer of the OpenH264 base (unused when ``baseKbps`` is set).
    public var baseQP: Int
    /// A bitrate for the base in kbit/s, met by OpenH264's own rate control (restarted at every
    /// segment) instead of a constant ``baseQP``; nil for constant QP.
    public var baseKbps: Int?
    /// Temporal layers of the base's hierarchy (1...4); every layer follows it.
    public var temporalLayers: Int
    /// Enhancement layers, lowest first.
    public var enhancementLayers: [EnhancementLayerPlan]
    /// How much chroma error weighs against luma error in the enhancement encoder's decisions (1...16;
    /// the streams decode the same way for any weight). 1, the default, suits VMAF and PSNR-Y, which
    /// measure luma alone; higher weights spend more on colour (on real clips 2 gave 0.8-1.1 dB more
    /// chroma PSNR for 1-4% more storage, 4 gave 1.2-1.6 dB for 3-6% more).
    public var chromaWeight: Int

    /// Creates a plan.
    public init(baseDivisor: Int, baseQP: Int, baseKbps: Int? = nil, temporalLayers: Int, enhancementLayers: [EnhancementLayerPlan],
                chromaWeight: Int = 1) {
        self.baseDivisor = baseDivisor
        self.baseQP = baseQP
        self.baseKbps = baseKbps
        self.temporalLayers = temporalLayers
        self.enhancementLayers = enhancementLayers
        self.chromaWeight = chromaWeight
    }

    private enum CodingKeys: String, CodingKey {
        case baseDivisor, baseQP, baseKbps, temporalLayers, enhancementLayers, chromaWeight
    }

    /// Decodes a plan; one written before ``chromaWeight`` existed has weight 1.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(baseDivisor: try c.decode(Int.self, forKey: .baseDivisor), baseQP: try c.decode(Int.self, forKey: .baseQP),
                  baseKbps: try c.decodeIfPresent(Int.self, forKey: .baseKbps), temporalLayers: try c.decode(Int.self, forKey: .temporalLayers),
                  enhancementLayers: try c.decode([EnhancementLayerPlan].self, forKey: .enhancementLayers),
                  chromaWeight: try c.decodeIfPresent(Int.self, forKey: .chromaWeight) ?? 1)
    }

    /// The default: a quarter-size base (320x180 for 720p) and four enhancement layers, one that
    /// doubles it to half size, one that doubles that to the source size and two quality layers above
    /// it, so one encode stores a five-rung ladder (quarter, half and three full-size rungs).
    ///
    /// A rung counts only when an x264 encode of its quality costs at least 1.5x the rung below, so
    /// the QPs are five apart between the full-size layers: on real clips the tightest step was 1.59x
    /// (bikes, 640x272, whose VMAF saturates near the top) and 1.86x on bigbuckbunny (720p); steps of
    /// four QPs gave 1.45x on bikes. Four temporal layers (frames of temporal id 0 eight apart, seven
    /// frames between them that also predict from the later one): at equal quality the stored ladder
    /// fell 3.9% (bigbuckbunny), 3.5% (bikes) and 0.2% (carphone_pristine) against three.
    ///
    /// The quarter-size base replaced a half-size one (``halfSizeBase``): OpenH264's pictures cost
    /// 1.4-1.9x what x264's cost at equal quality, and Strata's half-size layer over the small base
    /// costs about what x264 does at half size (bigbuckbunny: 286 kbit/s for VMAF 65.6 against 330 for
    /// 61.9 from OpenH264 alone), so the whole stack costs less and stores one rung more. With
    /// `strata bench --no-bd-rate`, the stored ladder at equal quality fell from 0.6052 to 0.5799
    /// (bigbuckbunny) and 0.7176 to 0.6933 (bikes), and rose from 0.9094 to 0.9132 on
    /// carphone_pristine (176x144, whose base is 44x36). The half-size layer's QP 30 keeps every step of the three clips' ladders at 1.59x or
    /// more; QP 29 saved 0.3-0.8% more but left a step of 1.52x (carphone), and 28 lost rungs.
    public static let standard = LayerPlan(
        baseDivisor: 4, baseQP: 34, temporalLayers: 4,
        enhancementLayers: [EnhancementLayerPlan(divisor: 2, qp: 30), EnhancementLayerPlan(divisor: 1, qp: 32),
                            EnhancementLayerPlan(divisor: 1, qp: 27), EnhancementLayerPlan(divisor: 1, qp: 22)])

    /// The default before ``standard``, and the default for sources too small for a quarter-size base
    /// (under 64 samples on a side): a half-size base and three enhancement layers at the source size
    /// (one spatial, two quality), a four-rung ladder.
    public static let halfSizeBase = LayerPlan(
        baseDivisor: 2, baseQP: 34, temporalLayers: 4,
        enhancementLayers: [EnhancementLayerPlan(divisor: 1, qp: 32), EnhancementLayerPlan(divisor: 1, qp: 27),
                            EnhancementLayerPlan(divisor: 1, qp: 22)])

    /// The default plan for a source of the given size: ``standard`` where its quarter-size base is
    /// at least 16x16 (OpenH264's smallest picture), else ``halfSizeBase``.
    public static func standard(sourceWidth: Int, sourceHeight: Int) -> LayerPlan {
        (try? standard.validate(sourceWidth: sourceWidth, sourceHeight: sourceHeight)) != nil ? standard : halfSizeBase
    }

    /// The default plan whose base has `baseDivisor` (``standard`` for 4, ``halfSizeBase`` for any other).
    public static func standard(baseDivisor: Int) -> LayerPlan {
        baseDivisor == standard.baseDivisor ? standard : halfSizeBase
    }

    /// The default plan for a source of the given size with the base divisor or the enhancement layers
    /// a caller chose (nil: not chosen) in place of the default's. A chosen divisor brings its own
    /// default layers (``standard(baseDivisor:)``); chosen layers without a divisor get the default
    /// plan's divisor where their first layer keeps or doubles that size, else twice the first layer's
    /// divisor (so `1:30,1:24`, written for a half-size base, keeps one).
    public static func standard(sourceWidth: Int, sourceHeight: Int, baseDivisor: Int?, layers: [EnhancementLayerPlan]?) -> LayerPlan {
        var plan = baseDivisor.map { standard(baseDivisor: $0) } ?? standard(sourceWidth: sourceWidth, sourceHeight: sourceHeight)
        if let baseDivisor { plan.baseDivisor = baseDivisor }
        if let layers {
            plan.enhancementLayers = layers
            if baseDivisor == nil, let first = layers.first, plan.baseDivisor != first.divisor && plan.baseDivisor != 2 * first.divisor {
                plan.baseDivisor = min(8, 2 * first.divisor)
            }
        }
        return plan
    }

    /// Number of layers including the base.
    public var layerCount: Int { 1 + enhancementLayers.count }

    /// Picture size of layer `index` for a source of the given size (even, at least 16x16... rounded down to even).
    public func size(ofLayer index: Int, sourceWidth: Int, sourceHeight: Int) -> (width: Int, height: Int) {
        let divisor = index == 0 ? baseDivisor : enhancementLayers[index - 1].divisor
        return (max(2, sourceWidth / divisor / 2 * 2), max(2, sourceHeight / divisor / 2 * 2))
    }

    /// Checks the plan for a source size; throws ``StrataError/invalidPlan(_:)`` naming the problem.
    public func validate(sourceWidth: Int, sourceHeight: Int) throws(StrataError) {
        guard (1...4).contains(temporalLayers) else { throw .invalidPlan("temporal layers must be 1...4, got \(temporalLayers)") }
        guard baseDivisor >= 1 && baseDivisor <= 8 else { throw .invalidPlan("base divisor must be 1...8, got \(baseDivisor)") }
        guard (0...51).contains(baseQP) else { throw .invalidPlan("base QP must be 0...51, got \(baseQP)") }
        if let kbps = baseKbps, !(1...1_000_000).contains(kbps) {
            throw .invalidPlan("base bitrate must be 1...1000000 kbit/s, got \(kbps)")
        }
        guard EnhancementEncoder.chromaWeights.contains(chromaWeight) else {
            throw .invalidPlan("chroma weight must be \(EnhancementEncoder.chromaWeights), got \(chromaWeight)")
        }
        guard enhancementLayers.count <= 6 else { throw .invalidPlan("at most 6 enhancement layers, got \(enhancementLayers.count)") }
        var previous = baseDivisor
        for (i, layer) in enhancementLayers.enumerated() {
            guard (0...51).contains(layer.qp) else { throw .invalidPlan("layer L\(i + 1): QP must be 0...51, got \(layer.qp)") }
            switch layer.target {
            case .kbps(let kbps) where !(kbps > 0 && kbps <= 1_000_000):
                throw .invalidPlan("layer L\(i + 1): bitrate target must be above 0 and at most 1000000 kbit/s, got \(kbps)")
            case .psnrY(let psnr) where !(psnr >= 10 && psnr <= 99):
                throw .invalidPlan("layer L\(i + 1): PSNR target must be 10...99 dB, got \(psnr)")
            default: break
            }
            guard layer.divisor >= 1 && layer.divisor <= previous else {
                throw .invalidPlan("layer L\(i + 1): divisor \(layer.divisor) must be at least 1 and no larger than the layer below's (\(previous))")
            }
            guard previous == layer.divisor || previous == layer.divisor * 2 else {
                throw .invalidPlan("layer L\(i + 1): each layer keeps or doubles the size of the layer below (divisor \(previous) -> \(layer.divisor))")
            }
            previous = layer.divisor
        }
        let base = size(ofLayer: 0, sourceWidth: sourceWidth, sourceHeight: sourceHeight)
        guard base.width >= 16 && base.height >= 16 else {
            throw .invalidPlan("base layer would be \(base.width)x\(base.height); the source is too small for divisor \(baseDivisor)")
        }
    }
}

/// How a stream is encoded: the layer plan and the segmenting.
public struct EncoderConfiguration: Sendable {
    /// The layers to make.
    public var plan: LayerPlan
    /// Segment duration in seconds; every segment starts with an IDR.
    public var segmentSeconds: Double
    /// Segments encoded at once. The output is byte-identical for any value.
    public var concurrency: Int

    /// Creates a configuration; `concurrency` defaults to the number of active cores.
    public init(plan: LayerPlan = .standard, segmentSeconds: Double = 2, concurrency: Int? = nil) {
        self.plan = plan
        self.segmentSeconds = segmentSeconds
        self.concurrency = max(1, concurrency ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}

import Foundation
