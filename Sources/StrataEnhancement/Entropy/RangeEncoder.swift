/// Binary arithmetic (range) encoder with adaptive contexts and equiprobable bypass bins.
///
/// 32-bit range, carry propagated through a cached byte and a run of 0xFF bytes. The first byte the
/// classic scheme emits is always zero and is not written; the flush writes the four bytes of `low`,
/// so a decoder reads exactly the payload and any truncation is detected.
struct RangeEncoder {
    private var low: UInt64 = 0
    private var range: UInt32 = 0xFFFF_FFFF
    private var cache: UInt8 = 0
    private var pending = 1
    private var skipFirstByte = true
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Starts a new payload, keeping the buffer's capacity.
    mutating func reset() {
        low = 0; range = 0xFFFF_FFFF; cache = 0; pending = 1; skipFirstByte = true
        bytes.removeAll(keepingCapacity: true)
    }

    @inline(__always) private mutating func emit(_ b: UInt8) {
        if skipFirstByte { skipFirstByte = false } else { bytes.append(b) }
    }

    @inline(__always) private mutating func shiftLow() {
        if low < 0xFF00_0000 || low > 0xFFFF_FFFF {
            let carry = UInt8(truncatingIfNeeded: low >> 32)
            var temp = cache
            repeat {
                emit(temp &+ carry)
                temp = 0xFF
                pending -= 1
            } while pending != 0
            cache = UInt8(truncatingIfNeeded: low >> 24)
        }
        pending += 1
        low = (low & 0x00FF_FFFF) << 8
    }

    /// Codes `bin` (0 or 1) with context `state`, adapting it.
    @inline(__always) mutating func encode(_ bin: Int, _ state: inout UInt32) {
        let bound = (range >> 15) &* ContextStates.probabilityOfZero(state)
        if bin == 0 {
            range = bound
        } else {
            low &+= UInt64(bound)
            range &-= bound
        }
        state = ContextStates.updated(state, bin: bin)
        while range < 1 << 24 {
            range <<= 8
            shiftLow()
        }
    }

    /// Codes `bin` with probability 1/2 and no context.
    @inline(__always) mutating func encodeBypass(_ bin: Int) {
        range >>= 1
        if bin != 0 { low &+= UInt64(range) }
        while range < 1 << 24 {
            range <<= 8
            shiftLow()
        }
    }

    /// Ends the payload; afterwards ``bytes`` holds it.
    mutating func finish() {
        for _ in 0..<5 { shiftLow() }
    }
}

/// Reads what ``RangeEncoder`` wrote. Reading past the end yields zero bytes and is recorded in
/// ``overrun``; callers check it at macroblock boundaries and report a truncated payload.
struct RangeDecoder {
    private let data: UnsafePointer<UInt8>
    private let count: Int
    /// Next byte to read.
    private(set) var position: Int
    private var range: UInt32 = 0xFFFF_FFFF
    private var code: UInt32 = 0
    /// True once the decoder needed a byte beyond the payload.
    private(set) var overrun = false

    init(data: UnsafePointer<UInt8>, count: Int, start: Int) {
        self.data = data
        self.count = count
        position = start
        for _ in 0..<4 { code = code << 8 | UInt32(nextByte()) }
    }

    @inline(__always) private mutating func nextByte() -> UInt8 {
        if position < count {
            let b = data[position]
            position += 1
            return b
        }
        overrun = true
        return 0
    }

    @inline(__always) mutating func decode(_ state: inout UInt32) -> Int {
        let bound = (range >> 15) &* ContextStates.probabilityOfZero(state)
        let bin: Int
        if code < bound {
            range = bound
            bin = 0
        } else {
            code &-= bound
            range &-= bound
            bin = 1
        }
        state = ContextStates.updated(state, bin: bin)
        while range < 1 << 24 {
            range <<= 8
            code = code << 8 | UInt32(nextByte())
        }
        return bin
    }

    @inline(__always) mutating func decodeBypass() -> Int {
        range >>= 1
        var bin = 0
        if code >= range {
            code &-= range
            bin = 1
        }
        while range < 1 << 24 {
            range <<= 8
            code = code << 8 | UInt32(nextByte())
        }
        return bin
    }
}
