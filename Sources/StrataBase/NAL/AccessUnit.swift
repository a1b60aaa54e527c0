/// All NAL units of one input frame, across every spatial layer: the unit a decoder is fed at once.
public struct AccessUnit: Sendable {
    /// Input frame number (0-based, in coding order, which is display order for Strata's base).
    public var frameIndex: Int
    /// Temporal layer of the frame; dropping frames above a chosen id keeps a decodable stream.
    public var temporalId: Int
    /// True when the frame is an IDR picture, where a decoder can start.
    public var isIDR: Bool
    /// The units in decoding order.
    public var nalUnits: [NALUnit]

    /// Creates an access unit.
    public init(frameIndex: Int, temporalId: Int, isIDR: Bool, nalUnits: [NALUnit]) {
        self.frameIndex = frameIndex
        self.temporalId = temporalId
        self.isIDR = isIDR
        self.nalUnits = nalUnits
    }

    /// The highest spatial layer (SVC `dependency_id`) present.
    public var highestDependencyId: Int { nalUnits.map(\.dependencyId).max() ?? 0 }

    /// The units an OpenH264 decoder must be fed to output spatial layer `dependencyId`.
    ///
    /// OpenH264 outputs the highest spatial layer it is given, so the base (layer 0) is the AVC
    /// units alone (SVC prefix, subset SPS and extension slices dropped), and layer k is every unit
    /// of layers 0...k.
    public func nalUnits(forSpatialLayer dependencyId: Int) -> [NALUnit] {
        if dependencyId == 0 { return nalUnits.filter(\.isAVCBaseNAL) }
        return nalUnits.filter { $0.isParameterSet || $0.dependencyId <= dependencyId }
    }
}
