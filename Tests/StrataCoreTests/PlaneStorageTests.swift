import Testing
@testable import StrataCore

@Suite("Plane storage")
struct PlaneStorageTests {
    static let size = 1280 * 720

    @Test("a freed large plane's memory serves the next storage of its size, cleared unless asked not to be")
    func recycledMappingsAreReusedAndCleared() {
        let recycler = PlaneRecycler(capacity: 4 * Self.size)
        var address: UnsafeMutablePointer<UInt8>?
        do {
            let first = PlaneStorage(count: Self.size, recycler: recycler)
            first.pointer.update(repeating: 7, count: Self.size)
            address = first.pointer
        }
        let second = PlaneStorage(count: Self.size, recycler: recycler)
        #expect(second.pointer == address)
        withExtendedLifetime(second) {
            #expect(UnsafeBufferPointer(start: second.pointer, count: Self.size).allSatisfy { $0 == 0 })
        }
        second.pointer.update(repeating: 9, count: Self.size)
        let secondAddress = second.pointer
        _ = consume second
        // Not cleared when the producer overwrites every sample anyway.
        let third = PlaneStorage(count: Self.size, zeroed: false, recycler: recycler)
        #expect(third.pointer == secondAddress)
        withExtendedLifetime(third) { #expect(third.pointer[Self.size / 2] == 9) }
        // Another size is never served from it.
        let other = PlaneStorage(count: 2 * Self.size, recycler: recycler)
        #expect(other.pointer != secondAddress)
    }

    @Test("the recycler keeps at most its capacity, giving back the oldest mappings first")
    func recyclerIsBounded() {
        let recycler = PlaneRecycler(capacity: 2 * Self.size)
        var first: PlaneStorage? = PlaneStorage(count: Self.size, recycler: recycler)
        var second: PlaneStorage? = PlaneStorage(count: Self.size, recycler: recycler)
        var third: PlaneStorage? = PlaneStorage(count: Self.size, recycler: recycler)
        for storage in [first, second, third] { storage!.pointer.update(repeating: 5, count: Self.size) }
        let secondAddress = second!.pointer, thirdAddress = third!.pointer
        first = nil
        second = nil
        third = nil
        // Three were freed into room for two: the first went back to the system, the newest is served first.
        let again = (0..<3).map { _ in PlaneStorage(count: Self.size, zeroed: false, recycler: recycler) }
        #expect(again[0].pointer == thirdAddress && again[1].pointer == secondAddress)
        withExtendedLifetime(again) { #expect(again[2].pointer[0] == 0) }
        // A mapping larger than the capacity is never kept.
        var large: PlaneStorage? = PlaneStorage(count: 3 * Self.size, recycler: recycler)
        large!.pointer.update(repeating: 5, count: 3 * Self.size)
        large = nil
        let largeAgain = PlaneStorage(count: 3 * Self.size, zeroed: false, recycler: recycler)
        withExtendedLifetime(largeAgain) { #expect(largeAgain.pointer[0] == 0) }
    }

    @Test("planes filled with a value hold it everywhere, whatever memory they were given")
    func filledPlanes() {
        for _ in 0..<3 {
            let plane = Plane(width: 1920, height: 1080, fill: 200)
            plane.withUnsafeBufferPointer { samples in #expect(samples.allSatisfy { $0 == 200 }) }
            let zero = Plane(width: 1920, height: 1080)
            zero.withUnsafeBufferPointer { samples in #expect(samples.allSatisfy { $0 == 0 }) }
        }
    }
}
