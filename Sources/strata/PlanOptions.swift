import ArgumentParser
import Strata

/// Flags that shape a layer plan; shared by `encode`, `demo` and `bench`.
struct PlanOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Base size as a divisor of the source size (2 = half width and height). Default: 4, or 2 for \
        sources under 64 samples on a side or under --layers whose first layer is at the source size.
        """, valueName: "divisor"))
    var baseDivisor: Int?

    @Option(help: "Constant QP of the OpenH264 base (0-51, lower is better).")
    var baseQP: Int = LayerPlan.standard.baseQP

    @Option(help: "Bitrate of the OpenH264 base in kbit/s, met by its rate control, instead of --base-qp.")
    var baseKbps: Int?

    @Option(help: "Temporal layers of the hierarchy (1-4); each halves the frame rate of the one above.")
    var temporalLayers: Int = LayerPlan.standard.temporalLayers

    @Option(help: ArgumentHelp("""
        Enhancement layers, lowest first, as DIVISOR:QP pairs separated by commas. In place of a QP, \
        NNNk asks for NNN kbit/s of the layer alone and NNdB for a luma PSNR of NN dB; each segment's QP \
        is then chosen by trial encodes of that segment (slower). Default: \
        \(PlanOptions.layerList(.standard)) over a base of divisor 4, \(PlanOptions.layerList(.halfSizeBase)) \
        over any other.
        """, valueName: "layers"))
    var layers: String?

    @Option(help: ArgumentHelp("""
        Weight of chroma error against luma error in the enhancement encoder's decisions (1-16). 1 suits \
        VMAF and PSNR-Y, which measure luma alone; 2-4 spend a few percent more on colour.
        """, valueName: "weight"))
    var chromaWeight: Int = LayerPlan.standard.chromaWeight

    @Option(help: "Segment duration in seconds; every segment starts with an IDR.")
    var segmentSeconds: Double = 2

    @Option(help: "Segments encoded at once (the output is identical for any value).")
    var jobs: Int?

    /// True when no flag that shapes the plan was given: the harness then picks the default for the source's size.
    var isDefault: Bool {
        baseDivisor == nil && layers == nil && baseQP == LayerPlan.standard.baseQP && baseKbps == nil
            && temporalLayers == LayerPlan.standard.temporalLayers && chromaWeight == LayerPlan.standard.chromaWeight
    }

    /// The plan the flags give for a source of this size: what was not given comes from the default
    /// plan for the source and what was (``LayerPlan/standard(sourceWidth:sourceHeight:baseDivisor:layers:)``).
    func plan(sourceWidth: Int, sourceHeight: Int) throws -> LayerPlan {
        let given: [EnhancementLayerPlan]?
        do {
            given = try layers.map { try EnhancementLayerPlan.list(parsing: $0) }
        } catch {
            throw ValidationError("--layers: \(error)")
        }
        var plan = LayerPlan.standard(sourceWidth: sourceWidth, sourceHeight: sourceHeight, baseDivisor: baseDivisor, layers: given)
        plan.baseQP = baseQP
        plan.baseKbps = baseKbps
        plan.temporalLayers = temporalLayers
        plan.chromaWeight = chromaWeight
        return plan
    }

    func configuration(sourceWidth: Int, sourceHeight: Int) throws -> EncoderConfiguration {
        guard segmentSeconds > 0 else { throw ValidationError("--segment-seconds must be positive") }
        return EncoderConfiguration(plan: try plan(sourceWidth: sourceWidth, sourceHeight: sourceHeight),
                                    segmentSeconds: segmentSeconds, concurrency: jobs)
    }

    /// A plan's enhancement layers in the form `--layers` takes.
    static func layerList(_ plan: LayerPlan) -> String {
        plan.enhancementLayers.map { "\($0.divisor):\($0.qp)" }.joined(separator: ",")
    }
}
