#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory behind a ``Plane``: one 64-byte-aligned allocation, freed in `deinit`.
///
/// Rows are padded to a multiple of 64 bytes so SIMD kernels can load whole vectors
/// from the start of any row without crossing into another allocation.
///
/// Large planes (a 720p luma plane and up) are mapped straight from the kernel rather than
/// taken from `malloc`, and unmapped when freed. A streaming encode allocates and frees
/// frames of a few MiB on many threads; from `malloc`, glibc's adaptive mmap threshold
/// soon moves such blocks into per-thread arenas, where freed frames stay resident and the
/// peak grows with the length of the clip. Mapped planes return to the system at once, so
/// the peak depends on how many frames are alive, not on how many were ever made.
final class PlaneStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int
    private let mapped: Bool

    /// Planes of at least this many bytes are mapped (page-aligned, zero-filled by the kernel).
    static let mappingThreshold = 256 * 1024

    init(count: Int) {
        self.count = count
        let bytes = max(count, 1)
        if bytes >= Self.mappingThreshold, let raw = Self.map(bytes) {
            pointer = raw.assumingMemoryBound(to: UInt8.self)
            mapped = true
        } else {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            pointer = raw.assumingMemoryBound(to: UInt8.self)
            mapped = false
        }
    }

    func copy() -> PlaneStorage {
        let other = PlaneStorage(count: count)
        other.pointer.update(from: pointer, count: count)
        return other
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(pointer), max(count, 1))
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    /// Anonymous private memory, zero-filled; nil when the system refuses (the caller then uses malloc).
    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        // Populated at once: one call faults in every page instead of a fault per page on first write.
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE | MAP_ANON
        #endif
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0),
              raw != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        return raw
    }
}
