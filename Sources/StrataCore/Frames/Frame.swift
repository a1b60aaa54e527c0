/// An 8-bit YUV 4:2:0 picture: a full-size luma plane and two half-size chroma planes.
///
/// Width and height are even. Frames have value semantics (copy on write).
public struct Frame: Sendable {
    /// Luma (Y) plane, `width x height`.
    public var luma: Plane
    /// Blue-difference chroma (Cb/U) plane, `width/2 x height/2`.
    public var cb: Plane
    /// Red-difference chroma (Cr/V) plane, `width/2 x height/2`.
    public var cr: Plane

    /// Picture width in luma samples.
    public var width: Int { luma.width }
    /// Picture height in luma rows.
    public var height: Int { luma.height }

    /// Bytes of one packed I420 picture of this size (`width*height*3/2`).
    public var packedByteCount: Int { Frame.packedByteCount(width: width, height: height) }

    /// Bytes of one packed I420 picture of the given size.
    public static func packedByteCount(width: Int, height: Int) -> Int { width * height + 2 * (width / 2) * (height / 2) }

    /// Creates a frame with every luma sample `luma` and every chroma sample `chroma` (128 is neutral colour).
    public init(width: Int, height: Int, luma lumaValue: UInt8 = 0, chroma chromaValue: UInt8 = 128) {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "frame size must be positive and even, got \(width)x\(height)")
        luma = Plane(width: width, height: height, fill: lumaValue)
        cb = Plane(width: width / 2, height: height / 2, fill: chromaValue)
        cr = Plane(width: width / 2, height: height / 2, fill: chromaValue)
    }

    /// A frame whose samples are unspecified until written: for producers (decoders, scalers)
    /// that write every visible sample of all three planes.
    package static func forOverwrite(width: Int, height: Int) -> Frame {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "frame size must be positive and even, got \(width)x\(height)")
        return Frame(luma: .forOverwrite(width: width, height: height),
                     cb: .forOverwrite(width: width / 2, height: height / 2), cr: .forOverwrite(width: width / 2, height: height / 2))
    }

    private init(luma: Plane, cb: Plane, cr: Plane) {
        self.luma = luma
        self.cb = cb
        self.cr = cr
    }

    /// Creates a frame from packed I420 bytes (Y rows, then U rows, then V rows, no padding).
    public init(width: Int, height: Int, packedI420 bytes: UnsafeRawBufferPointer) {
        self = .forOverwrite(width: width, height: height)
        fill(packedI420: bytes)
    }

    /// Creates a frame from packed I420 bytes (Y rows, then U rows, then V rows, no padding).
    public init(width: Int, height: Int, packedI420 bytes: [UInt8]) {
        self = .forOverwrite(width: width, height: height)
        bytes.withUnsafeBytes { fill(packedI420: $0) }
    }

    /// Overwrites the samples from packed I420 bytes of this frame's size.
    public mutating func fill(packedI420 bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= packedByteCount, "need \(packedByteCount) bytes, got \(bytes.count)")
        let ySize = width * height, cSize = (width / 2) * (height / 2)
        luma.fillPacked(from: UnsafeRawBufferPointer(rebasing: bytes[0..<ySize]))
        cb.fillPacked(from: UnsafeRawBufferPointer(rebasing: bytes[ySize..<(ySize + cSize)]))
        cr.fillPacked(from: UnsafeRawBufferPointer(rebasing: bytes[(ySize + cSize)..<(ySize + 2 * cSize)]))
    }

    /// Writes the picture as packed I420 bytes into `destination` (at least ``packedByteCount`` bytes).
    public func copyPackedI420(into destination: UnsafeMutableRawBufferPointer) {
        let ySize = width * height, cSize = (width / 2) * (height / 2)
        luma.copyPacked(into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<ySize]))
        cb.copyPacked(into: UnsafeMutableRawBufferPointer(rebasing: destination[ySize..<(ySize + cSize)]))
        cr.copyPacked(into: UnsafeMutableRawBufferPointer(rebasing: destination[(ySize + cSize)..<(ySize + 2 * cSize)]))
    }

    /// The picture as packed I420 bytes.
    public func packedI420() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: packedByteCount) { buffer, count in
            copyPackedI420(into: UnsafeMutableRawBufferPointer(buffer))
            count = packedByteCount
        }
    }

    /// The three planes in order Y, Cb, Cr.
    public var planes: [Plane] { [luma, cb, cr] }

    /// Plane `index` (0 = Y, 1 = Cb, 2 = Cr) for reading or writing.
    public subscript(plane index: Int) -> Plane {
        get {
            switch index {
            case 0: return luma
            case 1: return cb
            default: return cr
            }
        }
        set {
            switch index {
            case 0: luma = newValue
            case 1: cb = newValue
            default: cr = newValue
            }
        }
    }

    /// True when both frames have the same size and visible samples.
    public func hasSameSamples(as other: Frame) -> Bool {
        luma.hasSameSamples(as: other.luma) && cb.hasSameSamples(as: other.cb) && cr.hasSameSamples(as: other.cr)
    }
}
