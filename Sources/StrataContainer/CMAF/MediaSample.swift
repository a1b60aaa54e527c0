/// One coded picture of one layer as stored in a fragment.
public struct MediaSample: Sendable, Hashable {
    /// The sample's bytes: for `avc1`, NAL units each preceded by a 4-byte big-endian length;
    /// for `stre`, the enhancement codec's payload.
    public var data: [UInt8]
    /// Duration in the track's timescale.
    public var duration: UInt32
    /// True for a random-access point (an IDR picture for `avc1`).
    public var isSync: Bool
    /// Temporal layer of the picture (0 = the lowest frame rate); written as a `tscl` sample group
    /// so clients can drop temporal layers without parsing payloads.
    public var temporalId: Int

    /// A sample from its stored bytes.
    public init(data: [UInt8], duration: UInt32, isSync: Bool, temporalId: Int = 0) {
        self.data = data
        self.duration = duration
        self.isSync = isSync
        self.temporalId = temporalId
    }

    /// An `avc1` sample from NAL units (header byte included, no start codes), each written with
    /// a 4-byte length prefix as the track's `avcC` declares.
    public static func avcSample(nalUnits: [[UInt8]], duration: UInt32, isSync: Bool, temporalId: Int = 0) -> MediaSample {
        var data: [UInt8] = []
        data.reserveCapacity(nalUnits.reduce(0) { $0 + $1.count + 4 })
        for nal in nalUnits {
            let n = UInt32(truncatingIfNeeded: nal.count)
            data.append(UInt8(n >> 24)); data.append(UInt8(n >> 16 & 0xFF))
            data.append(UInt8(n >> 8 & 0xFF)); data.append(UInt8(n & 0xFF))
            data.append(contentsOf: nal)
        }
        return MediaSample(data: data, duration: duration, isSync: isSync, temporalId: temporalId)
    }

    /// Splits an `avc1` sample back into its NAL units; `path` and `sample` only label errors.
    public func nalUnits(path: String = "", sample: Int = 0) throws(ContainerError) -> [[UInt8]] {
        var units: [[UInt8]] = []
        var offset = 0
        while offset < data.count {
            guard data.count - offset >= 4 else {
                throw .malformedSample(path: path, sample: sample, offset: offset, detail: "length prefix cut short")
            }
            let n = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            guard n > 0 else {
                throw .malformedSample(path: path, sample: sample, offset: offset, detail: "empty NAL unit")
            }
            guard n <= data.count - offset - 4 else {
                throw .malformedSample(path: path, sample: sample, offset: offset, detail: "NAL unit of \(n) bytes runs past the sample's end")
            }
            guard units.count < ContainerLimits.maxEntries else {
                throw .malformedSample(path: path, sample: sample, offset: offset, detail: "more than \(ContainerLimits.maxEntries) NAL units")
            }
            units.append(Array(data[offset + 4..<offset + 4 + n]))
            offset += 4 + n
        }
        return units
    }
}

/// The contents of one media segment (fragment) after parsing and integrity checking.
public struct ParsedFragment: Sendable, Hashable {
    /// `mfhd` sequence number (Strata writes the segment index plus one).
    public var sequenceNumber: UInt32
    /// `tfdt` decode time of the first sample, in the track's timescale.
    public var baseMediaDecodeTime: UInt64
    /// The samples in decode order.
    public var samples: [MediaSample]

    /// A parsed fragment.
    public init(sequenceNumber: UInt32, baseMediaDecodeTime: UInt64, samples: [MediaSample]) {
        self.sequenceNumber = sequenceNumber
        self.baseMediaDecodeTime = baseMediaDecodeTime
        self.samples = samples
    }
}
