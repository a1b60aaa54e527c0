internal import StrataBase

/// The sample format of an `stsv` (SVC spatial layer) track, Specs/fragment-format.md:
///
/// ```
/// u16 unit_count
/// u16 position[unit_count]   ascending; where each unit sits in the access unit made of layers 0...k
/// unit_count x (u32 length, NAL unit bytes)
/// ```
///
/// The positions let a join put every unit back where the source encoder wrote it, for any
/// prefix of the layers, without touching the base track's plain `avc3` samples.
struct SpatialLayerSample: Equatable {
    /// Position of each unit within the access unit restricted to layers 0...k.
    var positions: [Int]
    /// The units (header byte included, no start code).
    var units: [[UInt8]]

    /// The sample's bytes.
    func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + units.count * 6 + units.reduce(0) { $0 + $1.count })
        let count = UInt16(truncatingIfNeeded: units.count)
        out.append(UInt8(count >> 8)); out.append(UInt8(count & 0xFF))
        for p in positions {
            let v = UInt16(truncatingIfNeeded: p)
            out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF))
        }
        for unit in units {
            let n = UInt32(truncatingIfNeeded: unit.count)
            out.append(UInt8(n >> 24)); out.append(UInt8(n >> 16 & 0xFF)); out.append(UInt8(n >> 8 & 0xFF)); out.append(UInt8(n & 0xFF))
            out.append(contentsOf: unit)
        }
        return out
    }

    /// Parses a sample, checking every count and length against the bytes that remain; the
    /// error message names the offset within the sample.
    init(parsing data: [UInt8]) throws(SpatialLayerSampleError) {
        guard data.count >= 2 else { throw SpatialLayerSampleError(offset: 0, detail: "unit count cut short") }
        let count = Int(data[0]) << 8 | Int(data[1])
        guard data.count >= 2 + 2 * count else { throw SpatialLayerSampleError(offset: 2, detail: "\(count) positions run past the sample's end") }
        var positions: [Int] = []
        positions.reserveCapacity(count)
        for i in 0..<count {
            let p = Int(data[2 + 2 * i]) << 8 | Int(data[3 + 2 * i])
            if let last = positions.last, p <= last {
                throw SpatialLayerSampleError(offset: 2 + 2 * i, detail: "position \(p) does not follow \(last)")
            }
            positions.append(p)
        }
        var offset = 2 + 2 * count
        var units: [[UInt8]] = []
        units.reserveCapacity(count)
        for _ in 0..<count {
            guard data.count - offset >= 4 else { throw SpatialLayerSampleError(offset: offset, detail: "length prefix cut short") }
            let n = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            guard n > 0, n <= data.count - offset - 4 else {
                throw SpatialLayerSampleError(offset: offset, detail: "NAL unit of \(n) bytes does not fit the sample")
            }
            units.append(Array(data[offset + 4..<offset + 4 + n]))
            offset += 4 + n
        }
        guard offset == data.count else { throw SpatialLayerSampleError(offset: offset, detail: "\(data.count - offset) bytes after the last unit") }
        self.positions = positions
        self.units = units
    }

    init(positions: [Int], units: [[UInt8]]) {
        self.positions = positions
        self.units = units
    }

    /// Puts this layer's units into `lower` (the access unit of the layers below, in order) at
    /// their positions; fails when a position lies beyond the merged access unit.
    func merged(into lower: [[UInt8]]) throws(SpatialLayerSampleError) -> [[UInt8]] {
        var result = lower
        for (p, unit) in zip(positions, units) {
            guard p <= result.count else {
                throw SpatialLayerSampleError(offset: 0, detail: "position \(p) beyond the \(result.count) units of the layers below")
            }
            result.insert(unit, at: p)
        }
        return result
    }
}

/// Why an `stsv` sample could not be read: the offset within the sample and what was wrong.
struct SpatialLayerSampleError: Error, CustomStringConvertible {
    var offset: Int
    var detail: String
    var description: String { "spatial-layer sample byte \(offset): \(detail)" }
}
