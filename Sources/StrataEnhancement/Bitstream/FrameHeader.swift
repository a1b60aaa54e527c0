/// The two bytes that open every frame payload (Specs "Frame payload"), before the arithmetic-coded
/// macroblock data.
struct FrameHeader: Equatable {
    /// Whether the frame predicts from a temporal reference; must agree with the reference rule.
    var hasReference: Bool
    /// Whether the frame also predicts from a later picture, its backward reference (version 7).
    var hasBackward: Bool = false
    /// Frame QP minus the layer QP.
    var qpDelta: Int
    /// Version 8: the filter of the inter-layer prediction of the macroblocks predicted from it alone.
    var filter: InterLayerFilter? = nil

    static let size = 2

    /// Bytes of the header: ``size``, and the filter's coefficients after them when it has one.
    var byteCount: Int { FrameHeader.size + (filter == nil ? 0 : InterLayerFilter.offsets.count) }

    func serialized() -> [UInt8] {
        [(hasReference ? 1 : 0) | (hasBackward ? 2 : 0) | (filter != nil ? 4 : 0), UInt8(bitPattern: Int8(clamping: qpDelta))]
            + (filter?.coefficients.map { UInt8(bitPattern: $0) } ?? [])
    }

    /// Parses and checks the header of a layer of bitstream `version`.
    init(payload: UnsafeBufferPointer<UInt8>, layerQP: Int, version: UInt8) throws(EnhancementError) {
        guard payload.count >= FrameHeader.size else { throw .truncatedPayload(offset: payload.count) }
        let allowed: UInt8 = version >= 8 ? 0x07 : (version >= 7 ? 0x03 : 0x01)
        guard payload[0] & ~allowed == 0 else { throw .invalidSyntax(element: "reserved_flags", macroblock: -1, offset: 0) }
        hasReference = payload[0] & 1 == 1
        hasBackward = payload[0] & 2 == 2
        guard hasReference || !hasBackward else { throw .invalidSyntax(element: "has_backward", macroblock: -1, offset: 0) }
        qpDelta = Int(Int8(bitPattern: payload[1]))
        guard (0...51).contains(layerQP + qpDelta) else { throw .invalidSyntax(element: "qp_delta", macroblock: -1, offset: 1) }
        if payload[0] & 4 != 0 {
            let end = FrameHeader.size + InterLayerFilter.offsets.count
            guard payload.count >= end else { throw .truncatedPayload(offset: payload.count) }
            filter = InterLayerFilter(coefficients: (FrameHeader.size..<end).map { Int8(bitPattern: payload[$0]) })
        }
    }

    init(hasReference: Bool, hasBackward: Bool = false, qpDelta: Int, filter: InterLayerFilter? = nil) {
        self.hasReference = hasReference
        self.hasBackward = hasBackward
        self.qpDelta = qpDelta
        self.filter = filter
    }
}
