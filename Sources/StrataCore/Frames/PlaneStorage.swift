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
    private let recycler: PlaneRecycler

    /// Planes of at least this many bytes are mapped (page-aligned, zero-filled by the kernel).
    static let mappingThreshold = 256 * 1024

    /// Storage of `count` bytes. With `zeroed` false the bytes are unspecified (the previous
    /// contents of a recycled mapping or of the heap, or zeros): for producers that overwrite every sample.
    init(count: Int, zeroed: Bool = true, recycler: PlaneRecycler = .shared) {
        self.count = count
        self.recycler = recycler
        let bytes = max(count, 1)
        if bytes >= Self.mappingThreshold, let raw = recycler.take(bytes) ?? Self.map(bytes) {
            pointer = raw.assumingMemoryBound(to: UInt8.self)
            mapped = true
            if zeroed { pointer.update(repeating: 0, count: bytes) }
        } else {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            // Unspecified bytes are what the allocation holds: a producer that overwrites every sample
            // (a decoder's picture copied out) would clear them for nothing.
            pointer = zeroed ? raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) : raw.bindMemory(to: UInt8.self, capacity: bytes)
            mapped = false
        }
    }

    func copy() -> PlaneStorage {
        let other = PlaneStorage(count: count, zeroed: false, recycler: recycler)
        other.pointer.update(from: pointer, count: count)
        return other
    }

    deinit {
        if mapped {
            let raw = UnsafeMutableRawPointer(pointer), bytes = max(count, 1)
            for (pointer, size) in recycler.keep(raw, bytes) { munmap(pointer, size) }
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

/// Freed plane mappings kept for reuse, bounded by ``capacity`` bytes in all: the oldest make
/// room for the newest, so the sizes kept follow the sizes in use.
/// Shared by every thread; each operation is one short critical section.
final class PlaneRecycler: @unchecked Sendable {
    /// The recycler of every plane: up to 24 MiB, a handful of 1080p pictures.
    static let shared = PlaneRecycler(capacity: 24 * 1024 * 1024)

    /// Bytes of freed mappings kept at most.
    let capacity: Int

    private let lock: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    private var kept: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    private var keptBytes = 0

    init(capacity: Int) {
        self.capacity = capacity
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
    }

    deinit {
        for entry in kept { munmap(entry.pointer, entry.bytes) }
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// A kept mapping of exactly `bytes` bytes, or nil.
    func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let index = kept.lastIndex(where: { $0.bytes == bytes }) else { return nil }
        keptBytes -= bytes
        return kept.remove(at: index).pointer
    }

    /// Keeps a freed mapping; returns the mappings the caller must unmap (the oldest kept ones
    /// that no longer fit, or this one when it alone exceeds the capacity).
    func keep(_ pointer: UnsafeMutableRawPointer, _ bytes: Int) -> [(UnsafeMutableRawPointer, Int)] {
        guard bytes <= capacity else { return [(pointer, bytes)] }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var evicted: [(UnsafeMutableRawPointer, Int)] = []
        while keptBytes + bytes > capacity {
            let oldest = kept.removeFirst()
            keptBytes -= oldest.bytes
            evicted.append((oldest.pointer, oldest.bytes))
        }
        kept.append((pointer, bytes))
        keptBytes += bytes
        return evicted
    }
}
