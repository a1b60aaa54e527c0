/// Writes a file so that readers see either the old contents or the complete new ones.
///
/// The bytes go to a hidden temporary file beside the target (same directory, so the same
/// file system), are flushed to disk, and the temporary file is renamed over the target.
/// A failed or interrupted write leaves the target as it was and removes the temporary file
/// where it can.
public struct AtomicFile {
    /// Replaces (or creates) `path` with `bytes`; a full disk or unwritable directory throws
    /// ``ContainerError/io(path:operation:reason:)``. A `path` naming a device or a pipe (`/dev/null`,
    /// `/dev/stdout`) is written in place: there is no file to replace.
    public static func write(_ bytes: [UInt8], to path: String) throws(ContainerError) {
        if OutputPath.isSpecialFile(path) {
            try FileSystem.writeSpecialFile(bytes, to: path)
            return
        }
        let (parent, name) = FileSystem.parentAndName(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .io(path: path, operation: "write", reason: "not a file name")
        }
        let temporary = parent + "/." + name + ".tmp-" + FileSystem.uniqueSuffix()
        try FileSystem.writeNewFile(bytes, to: temporary)
        guard rename(temporary, path) == 0 else {
            let reason = FileSystem.systemReason()
            unlink(temporary)
            throw .io(path: path, operation: "rename", reason: reason)
        }
        FileSystem.syncDirectory(parent)
    }

    /// Whether `name` is a temporary name ``write(_:to:)`` uses (for cleanup and for tests).
    public static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-")
    }
}

internal import StrataCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
