/// The measure a ladder is matched on.
public enum QualityMetric: String, Sendable, Codable, CaseIterable {
    /// VMAF (0...100) from ffmpeg's libvmaf with its built-in model; needs an ffmpeg with libvmaf.
    case vmaf
    /// Luma PSNR in dB over the whole clip, measured in Swift.
    case psnrY = "psnr_y"
    /// The PSNRs of Y, Cb and Cr weighted 6:1:1, in dB (the colour-inclusive average common in codec
    /// test conditions), measured in Swift: VMAF and PSNR-Y leave colour out.
    case psnrYUV = "psnr_yuv"

    /// How close a matched rung's quality must come to the operating point's: 0.5 VMAF or 0.1 dB.
    public var matchTolerance: Double {
        switch self {
        case .vmaf: return 0.5
        case .psnrY, .psnrYUV: return 0.1
        }
    }

    /// Axis label for plots.
    var axisLabel: String {
        switch self {
        case .vmaf: return "VMAF"
        case .psnrY: return "PSNR-Y (dB)"
        case .psnrYUV: return "PSNR-YUV 6:1:1 (dB)"
        }
    }
}

/// Which metric a run should match ladders on.
public enum MetricPreference: String, Sendable, Codable, CaseIterable {
    /// VMAF when an ffmpeg with libvmaf is found, else PSNR-Y (said once, clearly).
    case automatic = "auto"
    /// VMAF or fail with ``BenchError/missingTool(name:detail:)``.
    case vmaf
    /// PSNR-Y; VMAF is not run at all (fast, no external tool needed for the layered side).
    case psnrY = "psnr_y"
    /// PSNR-YUV 6:1:1; VMAF is not run at all.
    case psnrYUV = "psnr_yuv"
}

/// The quality of one decoded clip against the source, at the source resolution.
public struct QualityScore: Sendable, Hashable, Codable {
    /// Luma PSNR in dB over all frames (from the summed error).
    public var psnrY: Double
    /// Mean luma SSIM per frame.
    public var ssim: Double
    /// Pooled mean VMAF, nil when VMAF was not measured.
    public var vmaf: Double?
    /// Cb and Cr PSNR in dB over all frames (nil when not measured): the colour that PSNR-Y, SSIM and
    /// VMAF, all luma measures, leave out.
    public var psnrCb: Double?, psnrCr: Double?

    /// Creates a score.
    public init(psnrY: Double, ssim: Double, vmaf: Double?, psnrCb: Double? = nil, psnrCr: Double? = nil) {
        self.psnrY = psnrY
        self.ssim = ssim
        self.vmaf = vmaf
        self.psnrCb = psnrCb
        self.psnrCr = psnrCr
    }

    /// ``psnrY``, ``psnrCb`` and ``psnrCr`` weighted 6:1:1; nil when the chroma PSNRs were not measured.
    public var psnrYUV: Double? {
        guard let psnrCb, let psnrCr else { return nil }
        return (6 * psnrY + psnrCb + psnrCr) / 8
    }

    /// The value of `metric` (PSNR-Y when VMAF, or chroma for PSNR-YUV, was asked for but not measured).
    public func value(_ metric: QualityMetric) -> Double {
        switch metric {
        case .vmaf: return vmaf ?? psnrY
        case .psnrY: return psnrY
        case .psnrYUV: return psnrYUV ?? psnrY
        }
    }

    /// Linear interpolation between two scores, `t` = 0 gives `a`, 1 gives `b`.
    static func interpolate(_ a: QualityScore, _ b: QualityScore, _ t: Double) -> QualityScore {
        func mix(_ x: Double, _ y: Double) -> Double { x + (y - x) * t }
        func mix(_ x: Double?, _ y: Double?) -> Double? { if let x, let y { mix(x, y) } else { nil } }
        return QualityScore(psnrY: mix(a.psnrY, b.psnrY), ssim: mix(a.ssim, b.ssim), vmaf: mix(a.vmaf, b.vmaf),
                            psnrCb: mix(a.psnrCb, b.psnrCb), psnrCr: mix(a.psnrCr, b.psnrCr))
    }
}
