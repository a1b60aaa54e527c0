/// The two bytes that open every frame payload (Specs "Frame payload"), before the arithmetic-coded
/// macroblock data.
struct FrameHeader: Equatable {
    /// Whether the frame predicts from a temporal reference; must agree with the reference rule.
    var hasReference: Bool
    /// Frame QP minus the layer QP.
    var qpDelta: Int

    static let size = 2

    func serialized() -> [UInt8] {
        [hasReference ? 1 : 0, UInt8(bitPattern: Int8(clamping: qpDelta))]
    }

    /// Parses and checks the header against the decoder's state.
    init(payload: UnsafeBufferPointer<UInt8>, layerQP: Int) throws(EnhancementError) {
        guard payload.count >= FrameHeader.size else { throw .truncatedPayload(offset: payload.count) }
        guard payload[0] & 0xFE == 0 else { throw .invalidSyntax(element: "reserved_flags", macroblock: -1, offset: 0) }
        hasReference = payload[0] & 1 == 1
        qpDelta = Int(Int8(bitPattern: payload[1]))
        guard (0...51).contains(layerQP + qpDelta) else { throw .invalidSyntax(element: "qp_delta", macroblock: -1, offset: 1) }
    }

    init(hasReference: Bool, qpDelta: Int) {
        self.hasReference = hasReference
        self.qpDelta = qpDelta
    }
}
