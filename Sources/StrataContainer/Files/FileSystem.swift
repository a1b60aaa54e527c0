#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX helpers with errors as ``ContainerError/io(path:operation:reason:)``.
enum FileSystem {
    static func systemReason() -> String { String(cString: strerror(errno)) }

    /// A random hex suffix for temporary names, so concurrent writers never collide.
    static func uniqueSuffix() -> String {
        var g = SystemRandomNumberGenerator()
        return "\(getpid())-" + String(g.next() as UInt64, radix: 16)
    }

    static func parentAndName(_ path: String) -> (parent: String, name: String) {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return (".", p) }
        let parent = String(p[..<slash])
        return (parent.isEmpty ? "/" : parent, String(p[p.index(after: slash)...]))
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Creates `path` and any missing directories above it (like `mkdir -p`).
    static func createDirectories(_ path: String) throws(ContainerError) {
        if isDirectory(path) { return }
        if exists(path) { throw .io(path: path, operation: "create parent directory", reason: "exists and is not a directory") }
        let (parent, _) = parentAndName(path)
        if parent != path && !exists(parent) { try createDirectories(parent) }
        guard mkdir(path, 0o755) == 0 || (errno == EEXIST && isDirectory(path)) else {
            throw .io(path: path, operation: "create parent directory", reason: systemReason())
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Writes all of `bytes` to a new file at `path` (which must not exist) and flushes it to disk.
    static func writeNewFile(_ bytes: [UInt8], to path: String) throws(ContainerError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "create", reason: systemReason()) }
        var failure = writeAll(bytes, to: fd, path: path)
        if failure == nil, fsync(fd) != 0 { failure = .io(path: path, operation: "fsync", reason: systemReason()) }
        if close(fd) != 0, failure == nil { failure = .io(path: path, operation: "close", reason: systemReason()) }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Writes all of `bytes` to the existing special file at `path` (`OutputPath.isSpecialFile`) itself.
    static func writeSpecialFile(_ bytes: [UInt8], to path: String) throws(ContainerError) {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw .io(path: path, operation: "open", reason: systemReason()) }
        let failure = writeAll(bytes, to: fd, path: path)
        close(fd)
        if let failure { throw failure }
    }

    /// Writes all of `bytes` to `fd`, retrying interrupted writes; the error, if one stopped it.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) -> ContainerError? {
        var written = 0
        var failure: ContainerError?
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .io(path: path, operation: "write", reason: systemReason())
                    return
                }
                written += n
            }
        }
        return failure
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Removes `path` and everything under it; symbolic links are removed, never followed.
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if let dir = opendir(path) {
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                for name in names { removeTree(path + "/" + name) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Names in directory `path` (without `.` and `..`); empty when it cannot be read.
    static func entries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Atomically exchanges two paths (Linux `renameat2(RENAME_EXCHANGE)`, macOS
    /// `renamex_np(RENAME_SWAP)`); false when the system or file system cannot.
    static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        let atFDCWD: Int32 = -100
        return renameat2(atFDCWD, a, atFDCWD, b, renameExchange) == 0
        #elseif canImport(Darwin)
        return renamex_np(a, b, UInt32(RENAME_SWAP)) == 0
        #else
        return false
        #endif
    }
}
