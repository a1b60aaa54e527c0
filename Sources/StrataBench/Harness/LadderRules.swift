import Strata

extension BenchHarness {
    /// Plans the sweep tries when none are given: the given plan, that plan one step of quality up and
    /// down (QP -3 and +3 on every layer), a three-size ladder (quarter, half and full size), the
    /// four-rung plan over a half-size base (``LayerPlan/halfSizeBase``, the default before the
    /// quarter-size base), and a two-layer plan (half-size base, one full-size layer).
    public static func defaultSweepPlans(around plan: LayerPlan = .standard) -> [LayerPlan] {
        func shifted(_ p: LayerPlan, by delta: Int) -> LayerPlan {
            var q = p
            q.baseQP = min(51, max(0, p.baseQP + delta))
            q.enhancementLayers = p.enhancementLayers.map { EnhancementLayerPlan(divisor: $0.divisor, qp: min(51, max(0, $0.qp + delta))) }
            return q
        }
        let top = plan.enhancementLayers.last?.qp ?? plan.baseQP
        let threeSizes = LayerPlan(baseDivisor: 4, baseQP: plan.baseQP - 2, temporalLayers: plan.temporalLayers,
                                   enhancementLayers: [EnhancementLayerPlan(divisor: 2, qp: top + 3), EnhancementLayerPlan(divisor: 1, qp: top)],
                                   chromaWeight: plan.chromaWeight)
        let twoLayers = LayerPlan(baseDivisor: 2, baseQP: plan.baseQP, temporalLayers: plan.temporalLayers,
                                  enhancementLayers: [EnhancementLayerPlan(divisor: 1, qp: top)], chromaWeight: plan.chromaWeight)
        var halfSizeBase = LayerPlan.halfSizeBase
        halfSizeBase.temporalLayers = plan.temporalLayers
        halfSizeBase.chromaWeight = plan.chromaWeight
        var plans = [plan, shifted(plan, by: -3), shifted(plan, by: 3), threeSizes, halfSizeBase, twoLayers]
        var seen = Set<LayerPlan>()
        plans = plans.filter { seen.insert($0).inserted }
        return plans
    }

    /// Marks which rungs count: the lowest always does, each higher one when its bitrate is at
    /// least 1.5 times the bitrate of the highest counted rung below it (the spacing of usual
    /// HLS/DASH ladders).
    public static func countedRungs(kbps: [Double], spacing: Double = 1.5) -> [Bool] {
        var flags: [Bool] = []
        var last: Double?
        for k in kbps {
            if let l = last, k < spacing * l {
                flags.append(false)
            } else {
                flags.append(true)
                last = k
            }
        }
        return flags
    }

    /// A short name for a plan, e.g. `b2q30-1q33-1q27`.
    public static func planName(_ plan: LayerPlan) -> String {
        (["b\(plan.baseDivisor)q\(plan.baseQP)"] + plan.enhancementLayers.map { "\($0.divisor)q\($0.qp)" }).joined(separator: "-")
            + (plan.temporalLayers != 3 ? "-t\(plan.temporalLayers)" : "") + (plan.chromaWeight != 1 ? "-c\(plan.chromaWeight)" : "")
    }
}

/// One entry of `sweep.json`.
public struct SweepEntry: Sendable, Codable {
    /// Short plan name (also the folder under `sweep/`).
    public var name: String
    /// The plan.
    public var plan: LayerPlan
    /// Layered total kbit/s.
    public var totalKbps: Double
    /// Top operating point's quality in the report's metric.
    public var topQuality: Double
    /// Layered over x264 ladder.
    public var storageRatio: Double?
    /// Layered over OpenH264 ladder.
    public var storageRatioOpenH264: Double?
    /// Layered over the top x264 rung, minus 1.
    public var topOverhead: Double?
    /// Layered over the top OpenH264 rung, minus 1.
    public var topOverheadOpenH264: Double?
    /// At least three operating points counted against x264.
    public var fairComparison: Bool

    enum CodingKeys: String, CodingKey {
        case name, plan
        case totalKbps = "total_kbps"
        case topQuality = "top_quality"
        case storageRatio = "storage_ratio"
        case storageRatioOpenH264 = "storage_ratio_openh264"
        case topOverhead = "top_overhead"
        case topOverheadOpenH264 = "top_overhead_openh264"
        case fairComparison = "fair_comparison"
    }
}

/// `sweep.json`: every plan tried and the one with the lowest storage ratio among fair comparisons.
public struct SweepSummary: Sendable, Codable {
    /// The metric of the run.
    public var metric: QualityMetric
    /// One entry per plan, in the order run.
    public var entries: [SweepEntry]
    /// Name of the plan with the lowest x264 storage ratio among plans with at least three counted
    /// operating points (any plan when none has), nil before any finished.
    public var best: String?
}
