#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an output path names, for the writers that would otherwise write a temporary file and
/// rename it into place (``Y4MWriter``, and the container's atomic files).
package enum OutputPath {
    /// Whether `path` names an existing file that is neither a regular file nor a directory
    /// (symbolic links followed): a device such as `/dev/null`, a FIFO, a terminal; or any path in
    /// `/dev` or `/proc`, such as `/dev/stdout` when standard output is redirected to a regular file
    /// (a link to `/proc/self/fd/1`). Such a target is written in place: renaming a temporary file
    /// over it would replace the device, the pipe or the link in `/dev` with a file.
    package static func isSpecialFile(_ path: String) -> Bool {
        if path.hasPrefix("/dev/") || path.hasPrefix("/proc/") { return true }
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG && (st.st_mode & S_IFMT) != S_IFDIR
    }
}
