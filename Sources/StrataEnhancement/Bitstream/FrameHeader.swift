/// The two bytes that open every frame payload (Specs "Frame payload"), before the arithmetic-coded
/// macroblock data.
struct FrameHeader: Equatable {
    /// Whether the frame predicts from a temporal reference; must agree with the reference rule.
    var hasReference: Bool
    /// Whether the frame also predicts from a later picture, its backward reference (version 7).
    var hasBackward: Bool = false
    /// Frame QP minus the layer QP.
    var qpDelta: Int

    static let size = 2

    func serialized() -> [UInt8] {
        [(hasReference ? 1 : 0) | (hasBackward ? 2 : 0), UInt8(bitPattern: Int8(clamping: qpDelta))]
    }

    /// Parses and checks the header of a layer of bitstream `version`.
    init(payload: UnsafeBufferPointer<UInt8>, layerQP: Int, version: UInt8) throws(EnhancementError) {
        guard payload.count >= FrameHeader.size else { throw .truncatedPayload(offset: payload.count) }
        let allowed: UInt8 = version >= 7 ? 0x03 : 0x01
        guard payload[0] & ~allowed == 0 else { throw .invalidSyntax(element: "reserved_flags", macroblock: -1, offset: 0) }
        hasReference = payload[0] & 1 == 1
        hasBackward = payload[0] & 2 == 2
        guard hasReference || !hasBackward else { throw .invalidSyntax(element: "has_backward", macroblock: -1, offset: 0) }
        qpDelta = Int(Int8(bitPattern: payload[1]))
        guard (0...51).contains(layerQP + qpDelta) else { throw .invalidSyntax(element: "qp_delta", macroblock: -1, offset: 1) }
    }

    init(hasReference: Bool, hasBackward: Bool = false, qpDelta: Int) {
        self.hasReference = hasReference
        self.hasBackward = hasBackward
        self.qpDelta = qpDelta
    }
}
