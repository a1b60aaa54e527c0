/// Sign hiding (Specs "Residual block", version 6): in each segment of 16 scan positions of a residual
/// block, the sign of one level is not coded but given by the parity of the segment's magnitudes.
enum SignHiding {
    /// Least distance in scan positions from the hidden level to the segment's last nonzero level.
    static let minimumSpan = 4

    /// The reference rule, from a whole block: per segment (lane g: scan positions 16g ..< 16g + 16;
    /// one segment for 16-coefficient blocks, four for 64) the scan position whose sign is hidden, or
    /// -1: the first nonzero level of the segment whose sign would be bypass-coded (its lower sign is
    /// 0; `lower` in scan order), when the segment's last nonzero level lies at least ``minimumSpan``
    /// positions after it. `block` (raster order) needs to be correct only in which levels are
    /// nonzero, up to scan position `last` (the block's last nonzero level).
    @inline(__always)
    static func hiddenPositions(_ block: UnsafePointer<Int32>, _ scan: UnsafePointer<UInt8>, last: Int,
                                _ lower: UnsafePointer<Int8>) -> SIMD4<Int32> {
        var first = SIMD4<Int32>(repeating: -1), lastNonzero = SIMD4<Int32>(repeating: -1)
        var i = 0
        while i <= last {
            let position = Int(scan[i])
            if block[position] != 0 {
                let g = i >> 4
                if first[g] < 0 && lower[i] == 0 { first[g] = Int32(i) }
                lastNonzero[g] = Int32(i)
            }
            i += 1
        }
        let spans = lastNonzero &- first .>= SIMD4(repeating: Int32(minimumSpan))
        return SIMD4<Int32>(repeating: -1).replacing(with: first, where: spans .& (first .>= 0))
    }

    /// The same rule followed as the significance map is coded (``MacroblockWriter/writeBlock(_:_:_:_:_:_:_:hidesSigns:)``,
    /// ``MacroblockReader/readBlock(_:_:_:_:_:_:_:hidesSigns:)``): each significant scan position in
    /// increasing order, then ``finish()``, which gives bit i set for each hidden scan position i.
    struct Tracker {
        private var mask: UInt64 = 0
        private var segment = 0, first = -1, last = -1

        @inline(__always) mutating func significant(_ i: Int, bypassSign: Bool) {
            if i >> 4 != segment {
                close()
                segment = i >> 4
                first = -1
            }
            if first < 0 && bypassSign { first = i }
            last = i
        }

        @inline(__always) private mutating func close() {
            if first >= 0 && last - first >= SignHiding.minimumSpan { mask |= 1 << UInt64(first) }
        }

        @inline(__always) mutating func finish() -> UInt64 {
            close()
            return mask
        }
    }
}
