/// One 8-bit image plane (luma or one chroma component) with a padded row stride.
///
/// `Plane` has value semantics: copies share storage until one of them is written
/// (copy on write), so passing frames around costs nothing and a loop that reuses a
/// frame it owns never reallocates.
public struct Plane: Sendable {
    /// Visible width in samples.
    public let width: Int
    /// Visible height in rows.
    public let height: Int
    /// Distance in bytes between the starts of two rows; a multiple of 64.
    public let stride: Int
    var storage: PlaneStorage

    /// The row alignment every plane uses, in bytes.
    public static let rowAlignment = 64

    /// Creates a plane of the given size filled with `value`.
    public init(width: Int, height: Int, fill value: UInt8 = 0) {
        self.init(width: width, height: height, zeroed: value == 0)
        if value != 0 { storage.pointer.update(repeating: value, count: storage.count) }
    }

    /// A plane whose samples are unspecified until written: for producers (decoders, scalers) that
    /// write every visible sample, so the memory is not cleared first.
    package static func forOverwrite(width: Int, height: Int) -> Plane {
        Plane(width: width, height: height, zeroed: false)
    }

    private init(width: Int, height: Int, zeroed: Bool) {
        precondition(width >= 0 && height >= 0, "plane size must not be negative")
        self.width = width
        self.height = height
        self.stride = max(Plane.rowAlignment, (width + Plane.rowAlignment - 1) / Plane.rowAlignment * Plane.rowAlignment)
        self.storage = PlaneStorage(count: stride * max(height, 1), zeroed: zeroed)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The sample at column `x`, row `y`. For bulk work use the buffer accessors.
    public subscript(x: Int, y: Int) -> UInt8 {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "plane index out of range")
            return storage.pointer[y * stride + x]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "plane index out of range")
            makeUnique()
            storage.pointer[y * stride + x] = newValue
        }
    }

    /// Calls `body` with the whole padded buffer (`stride * height` bytes, rows `stride` apart).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: stride * height))
    }

    /// Calls `body` with the whole padded buffer for writing; unshares the storage first.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: stride * height))
    }

    /// Copies the visible samples row by row into `destination`, which must hold `width * height` bytes.
    public func copyPacked(into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= width * height, "destination too small")
        guard let base = destination.baseAddress else { return }
        for y in 0..<height {
            (base + y * width).copyMemory(from: storage.pointer + y * stride, byteCount: width)
        }
    }

    /// Fills the visible samples from `width * height` packed bytes.
    public mutating func fillPacked(from source: UnsafeRawBufferPointer) {
        precondition(source.count >= width * height, "source too small")
        guard let base = source.baseAddress else { return }
        makeUnique()
        for y in 0..<height {
            (storage.pointer + y * stride).update(from: (base + y * width).assumingMemoryBound(to: UInt8.self), count: width)
        }
    }

    /// Sets every sample to `value`.
    public mutating func fill(_ value: UInt8) {
        makeUnique()
        storage.pointer.update(repeating: value, count: storage.count)
    }

    /// True when both planes have the same size and the same visible samples (padding is ignored).
    public func hasSameSamples(as other: Plane) -> Bool {
        guard width == other.width, height == other.height else { return false }
        for y in 0..<height where memcmp(storage.pointer + y * stride, other.storage.pointer + y * other.stride, width) != 0 {
            return false
        }
        return true
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
