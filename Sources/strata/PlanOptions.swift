import ArgumentParser
import Strata

/// Flags that shape a layer plan; shared by `encode`, `demo` and `bench`.
struct PlanOptions: ParsableArguments {
    @Option(help: "Base size as a divisor of the source size (2 = half width and height).")
    var baseDivisor: Int = LayerPlan.standard.baseDivisor

    @Option(help: "Constant QP of the OpenH264 base (0-51, lower is better).")
    var baseQP: Int = LayerPlan.standard.baseQP

    @Option(help: "Bitrate of the OpenH264 base in kbit/s, met by its rate control, instead of --base-qp.")
    var baseKbps: Int?

    @Option(help: "Temporal layers of the hierarchy (1-4); each halves the frame rate of the one above.")
    var temporalLayers: Int = LayerPlan.standard.temporalLayers

    @Option(help: ArgumentHelp("""
        Enhancement layers, lowest first, as DIVISOR:QP pairs separated by commas. In place of a QP, \
        NNNk asks for NNN kbit/s of the layer alone and NNdB for a luma PSNR of NN dB; each segment's QP \
        is then chosen by trial encodes of that segment (slower).
        """, valueName: "layers"))
    var layers: String = LayerPlan.standard.enhancementLayers.map { "\($0.divisor):\($0.qp)" }.joined(separator: ",")

    @Option(help: ArgumentHelp("""
        Weight of chroma error against luma error in the enhancement encoder's decisions (1-16). 1 suits \
        VMAF and PSNR-Y, which measure luma alone; 2-4 spend a few percent more on colour.
        """, valueName: "weight"))
    var chromaWeight: Int = LayerPlan.standard.chromaWeight

    @Option(help: "Segment duration in seconds; every segment starts with an IDR.")
    var segmentSeconds: Double = 2

    @Option(help: "Segments encoded at once (the output is identical for any value).")
    var jobs: Int?

    func plan() throws -> LayerPlan {
        let enhancement: [EnhancementLayerPlan]
        do {
            enhancement = try EnhancementLayerPlan.list(parsing: layers)
        } catch {
            throw ValidationError("--layers: \(error)")
        }
        return LayerPlan(baseDivisor: baseDivisor, baseQP: baseQP, baseKbps: baseKbps, temporalLayers: temporalLayers,
                         enhancementLayers: enhancement, chromaWeight: chromaWeight)
    }

    func configuration() throws -> EncoderConfiguration {
        guard segmentSeconds > 0 else { throw ValidationError("--segment-seconds must be positive") }
        return EncoderConfiguration(plan: try plan(), segmentSeconds: segmentSeconds, concurrency: jobs)
    }
}
