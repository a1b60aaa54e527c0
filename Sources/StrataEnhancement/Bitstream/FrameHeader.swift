/// The bytes that open every frame payload (Specs "Frame payload"), before the arithmetic-coded
/// macroblock data: the flags and the frame's QP difference (one byte from version 9 when the
/// difference lies within -15...15, two before), then the inter-layer filter where the frame has one.
struct FrameHeader: Equatable {
    /// Whether the frame predicts from a temporal reference; must agree with the reference rule.
    var hasReference: Bool
    /// Whether the frame also predicts from a later picture, its backward reference (version 7).
    var hasBackward: Bool = false
    /// Frame QP minus the layer QP.
    var qpDelta: Int
    /// Version 8: the filter of the inter-layer prediction of the macroblocks predicted from it alone.
    var filter: InterLayerFilter? = nil
    /// Bitstream version of the layer, which sets the layout.
    var version: UInt8 = EnhancementLayerParameters.bitstreamVersion

    /// The QP differences version 9 codes in the flags byte (`qp_code = qp_delta + 15`); `qp_code` 31
    /// says that a signed byte follows with the difference.
    static let shortQPDeltas = -15...15
    static let qpEscape: UInt8 = 31
    /// `qp_code` less `qp_delta`.
    private static let qpCodeOffset = -shortQPDeltas.lowerBound

    /// Bytes before the filter's coefficients.
    private var fixedSize: Int { version >= 9 && FrameHeader.shortQPDeltas.contains(qpDelta) ? 1 : 2 }

    /// Bytes of the header: the flags and QP difference, and the filter's coefficients after them when it has one.
    var byteCount: Int { fixedSize + (filter == nil ? 0 : InterLayerFilter.offsets.count) }

    func serialized() -> [UInt8] {
        let flags: UInt8 = (hasReference ? 1 : 0) | (hasBackward ? 2 : 0) | (filter != nil ? 4 : 0)
        let head: [UInt8]
        if version < 9 {
            head = [flags, UInt8(bitPattern: Int8(clamping: qpDelta))]
        } else if fixedSize == 1 {
            head = [flags | UInt8(qpDelta + FrameHeader.qpCodeOffset) << 3]
        } else {
            head = [flags | FrameHeader.qpEscape << 3, UInt8(bitPattern: Int8(clamping: qpDelta))]
        }
        return head + (filter?.coefficients.map { UInt8(bitPattern: $0) } ?? [])
    }

    /// Parses and checks the header of a layer of bitstream `version`.
    init(payload: UnsafeBufferPointer<UInt8>, layerQP: Int, version: UInt8) throws(EnhancementError) {
        self.version = version
        guard payload.count >= 1 else { throw .truncatedPayload(offset: payload.count) }
        let allowed: UInt8 = version >= 8 ? 0x07 : (version >= 7 ? 0x03 : 0x01)
        let flags = version >= 9 ? payload[0] & 0x07 : payload[0]
        guard flags & ~allowed == 0 else { throw .invalidSyntax(element: "reserved_flags", macroblock: -1, offset: 0) }
        hasReference = flags & 1 == 1
        hasBackward = flags & 2 == 2
        guard hasReference || !hasBackward else { throw .invalidSyntax(element: "has_backward", macroblock: -1, offset: 0) }
        // Version 9 codes the QP difference in the flags byte unless it escapes to the next byte.
        let code = payload[0] >> 3, inFlagsByte = version >= 9 && code != FrameHeader.qpEscape
        let qpEnd = inFlagsByte ? 1 : 2
        if inFlagsByte {
            qpDelta = Int(code) - FrameHeader.qpCodeOffset
        } else {
            guard payload.count >= 2 else { throw .truncatedPayload(offset: payload.count) }
            qpDelta = Int(Int8(bitPattern: payload[1]))
        }
        guard (0...51).contains(layerQP + qpDelta) else { throw .invalidSyntax(element: "qp_delta", macroblock: -1, offset: qpEnd - 1) }
        if flags & 4 != 0 {
            let end = qpEnd + InterLayerFilter.offsets.count
            guard payload.count >= end else { throw .truncatedPayload(offset: payload.count) }
            filter = InterLayerFilter(coefficients: (qpEnd..<end).map { Int8(bitPattern: payload[$0]) })
        }
    }

    init(hasReference: Bool, hasBackward: Bool = false, qpDelta: Int, filter: InterLayerFilter? = nil,
         version: UInt8 = EnhancementLayerParameters.bitstreamVersion) {
        self.hasReference = hasReference
        self.hasBackward = hasBackward
        self.qpDelta = qpDelta
        self.filter = filter
        self.version = version
    }
}
