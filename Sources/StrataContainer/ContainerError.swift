/// Why a fragment, init segment, manifest or output file could not be read or written.
///
/// Every case names the file (`path`, as given by the caller) and, for binary data, the byte
/// offset and the four-character box type where the problem was found, so a damaged stream
/// can be located with a hex dump.
public enum ContainerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A box header or field runs past the end of its parent box or of the data.
    case truncated(path: String, offset: Int, box: String)
    /// A box's contents break the format; `detail` names the field.
    case malformedBox(path: String, offset: Int, box: String, detail: String)
    /// A box the format requires is absent from `parent`.
    case missingBox(path: String, box: String, parent: String)
    /// A count or size is beyond ``ContainerLimits``; checked before anything is allocated for it.
    case limitExceeded(path: String, offset: Int, box: String, field: String, value: UInt64, limit: UInt64)
    /// Well-formed but outside what Strata reads (another sample entry, an unknown version).
    case unsupported(path: String, offset: Int, box: String, detail: String)
    /// The fragment's `tfhd` names another track than the init segment it was read with.
    case trackMismatch(path: String, expected: UInt32, found: UInt32)
    /// The fragment's samples do not match the CRC-32 stored for them: the fragment was damaged
    /// after it was written. `sample` (0-based within the fragment) names the damaged sample where
    /// the fragment checks each sample on its own (fragment format 1); nil where one check covers
    /// them all (format 2, what Strata writes).
    case integrity(path: String, sample: Int?)
    /// The length-prefixed NAL units of sample `sample` do not add up to the sample's size.
    case malformedSample(path: String, sample: Int, offset: Int, detail: String)
    /// manifest.json is not valid JSON or breaks a rule of Specs/manifest.md.
    case malformedManifest(path: String, detail: String)
    /// stream.mpd is not well-formed XML or lacks what a client needs.
    case malformedMPD(path: String, offset: Int, detail: String)
    /// A file-system operation failed (disk full, unwritable directory); `reason` is the system's message.
    case io(path: String, operation: String, reason: String)

    /// One line naming the file, the place and the problem, fit for a command-line error.
    public var description: String {
        switch self {
        case let .truncated(path, offset, box):
            return "\(path): '\(box)' box at byte \(offset) is truncated"
        case let .malformedBox(path, offset, box, detail):
            return "\(path): malformed '\(box)' box at byte \(offset): \(detail)"
        case let .missingBox(path, box, parent):
            return "\(path): '\(parent)' has no '\(box)' box"
        case let .limitExceeded(path, offset, box, field, value, limit):
            return "\(path): '\(box)' box at byte \(offset): \(field) \(value) exceeds the limit of \(limit)"
        case let .unsupported(path, offset, box, detail):
            return "\(path): unsupported '\(box)' box at byte \(offset): \(detail)"
        case let .trackMismatch(path, expected, found):
            return "\(path): fragment is for track \(found), expected track \(expected)"
        case let .integrity(path, sample?):
            return "\(path): sample \(sample) fails its CRC-32 check (damaged fragment)"
        case let .integrity(path, nil):
            return "\(path): the samples fail their CRC-32 check (damaged fragment)"
        case let .malformedSample(path, sample, offset, detail):
            return "\(path): sample \(sample), byte \(offset) of the sample: \(detail)"
        case let .malformedManifest(path, detail):
            return "\(path): invalid manifest: \(detail)"
        case let .malformedMPD(path, offset, detail):
            return "\(path): invalid MPD at byte \(offset): \(detail)"
        case let .io(path, operation, reason):
            return "\(path): \(operation) failed: \(reason)"
        }
    }
}

/// Bounds a parser enforces before allocating, so hostile input cannot exhaust memory.
///
/// Generous for real streams (a 2 s fragment of 120 fps video has 240 samples) and far
/// below what would hurt a server reading untrusted files.
public enum ContainerLimits {
    /// Most samples one fragment may declare.
    public static let maxSamplesPerFragment = 100_000
    /// Largest single sample, in bytes.
    public static let maxSampleSize = 64 << 20
    /// Largest picture dimension accepted in a track or manifest.
    public static let maxDimension = 16_384
    /// Most parameter sets, NAL units in a sample, or sample-group entries accepted.
    public static let maxEntries = 65_536
    /// Most layers in a manifest.
    public static let maxLayers = 64
    /// Most segments in a manifest (about 23 days of 2 s segments).
    public static let maxSegments = 1_000_000
    /// Largest manifest.json or stream.mpd accepted, in bytes.
    public static let maxManifestSize = 64 << 20
    /// Deepest nesting of boxes or XML elements accepted.
    public static let maxDepth = 32
}
