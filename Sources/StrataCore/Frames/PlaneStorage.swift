/// The memory behind a ``Plane``: one 64-byte-aligned allocation, freed in `deinit`.
///
/// Rows are padded to a multiple of 64 bytes so SIMD kernels can load whole vectors
/// from the start of any row without crossing into another allocation.
final class PlaneStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        pointer = raw.assumingMemoryBound(to: UInt8.self)
    }

    func copy() -> PlaneStorage {
        let other = PlaneStorage(count: count)
        other.pointer.update(from: pointer, count: count)
        return other
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
