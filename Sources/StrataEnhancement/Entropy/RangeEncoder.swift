/// Binary arithmetic (range) encoder with adaptive contexts and equiprobable bypass bins.
///
/// 32-bit range, carry propagated through a cached byte and a run of 0xFF bytes. The first byte the
/// classic scheme emits is always zero and is not written. The flush (``finish(short:)``) ends the
/// payload three bytes before the decoder's last read (version 9), or where it ends (versions 1-8),
/// so a decoder can tell a whole payload from a truncated or extended one.
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
    ///
    /// With `short` (version 9), `low` moves up to the first multiple of 2^24 in the final interval
    /// (one lies below `low + range`, as `range >= 2^24`) and only the bytes above those 24 zero bits
    /// are written: the decoder reads the three zeros past the payload's end. Otherwise the four
    /// bytes of `low` are written.
    mutating func finish(short: Bool) {
        if short {
            low = (low + 0xFF_FFFF) & ~0xFF_FFFF
            for _ in 0..<2 { shiftLow() }
        } else {
            for _ in 0..<5 { shiftLow() }
        }
    }
}

/// Reads what ``RangeEncoder`` wrote. Reading past the end yields zero bytes; beyond the `padding`
/// bytes a payload of its version ends with (``RangeEncoder/finish(short:)``) it is recorded in
/// ``overrun``, which callers check at macroblock boundaries to report a truncated payload.
struct RangeDecoder {
    private let data: UnsafePointer<UInt8>
    private let count: Int
    /// Zero bytes the decoder reads past the end of a whole payload: ``shortFlushPadding`` after a
    /// short flush (version 9 on), 0 before.
    let padding: Int
    /// The zero bytes past the end that a short flush (``RangeEncoder/finish(short:)``) leaves the decoder to read.
    static let shortFlushPadding = 3
    /// Next byte to read.
    private(set) var position: Int
    private var range: UInt32 = 0xFFFF_FFFF
    private var code: UInt32 = 0
    /// True once the decoder needed a byte beyond the payload and its padding.
    private(set) var overrun = false

    init(data: UnsafePointer<UInt8>, count: Int, start: Int, padding: Int = 0) {
        self.data = data
        self.count = count
        self.padding = padding
        position = start
        for _ in 0..<4 { code = code << 8 | UInt32(nextByte()) }
    }

    /// True when the decoder has read exactly the payload and its padding, and, after a short flush,
    /// `code` is below 2^24 (the encoder's final value lies less than 2^24 above its `low`): where a
    /// whole frame's macroblocks end. A payload that was cut or extended almost never meets both.
    var endsWhole: Bool { position == count + padding && (padding == 0 || code < 1 << 24) }

    @inline(__always) private mutating func nextByte() -> UInt8 {
        if position < count {
            let b = data[position]
            position += 1
            return b
        }
        if position >= count + padding { overrun = true }
        position += 1
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
