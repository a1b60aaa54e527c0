#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request target turned into a regular file inside the served directory, or the reason it
/// is not one.
///
/// The checks are layered so that one mistake does not open the file system: encoded
/// separators and NUL are refused before decoding, `..` and `.` components after it, hidden
/// names (temporary files of an encode in progress) are not served, and the real path of the
/// result (symbolic links resolved) must still lie under the real path of the root.
enum ServedPath: Equatable {
    /// A regular file: its path relative to the root (for fault globs and logs) and on disk.
    case file(relative: String, absolute: String, info: FileInfo)
    /// The target tries to leave the root (`..`, encoded separators, a link pointing out): 403.
    case refused(reason: String)
    /// The target is not a valid origin-form path (bad percent escape): 400.
    case malformed(reason: String)
    /// Nothing servable there: 404.
    case notFound

    /// Resolves `target` (the request line's target, query allowed) against `root`, which must
    /// already be a real path (no trailing slash, symbolic links resolved).
    static func resolve(target: String, root: String) -> ServedPath {
        var path = Substring(target)
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<cut] }
        // Absolute-form targets (`GET http://host/x HTTP/1.1`) carry the path after the authority.
        for scheme in ["http://", "https://"] where path.lowercased().hasPrefix(scheme) {
            let rest = path.dropFirst(scheme.count)
            path = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        guard path.first == "/" else { return .malformed(reason: "target must start with '/'") }
        let lowered = path.lowercased()
        for encoded in ["%2f", "%5c", "%00"] where lowered.contains(encoded) {
            return .refused(reason: "encoded separator or NUL in path")
        }
        guard let decoded = percentDecode(path) else { return .malformed(reason: "invalid percent escape") }
        if decoded.contains(0) || decoded.contains(UInt8(ascii: "\\")) {
            return .refused(reason: "NUL or backslash in path")
        }
        let components = decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        for c in components {
            if c.elementsEqual("..".utf8) || c.elementsEqual(".".utf8) { return .refused(reason: "dot segment in path") }
        }
        guard !components.isEmpty else { return .notFound }
        if components.contains(where: { $0.first == UInt8(ascii: ".") }) { return .notFound }
        let relativeBytes = Array(components.joined(separator: [UInt8(ascii: "/")]))
        let relative = String(decoding: relativeBytes, as: UTF8.self)
        guard relative.utf8.elementsEqual(relativeBytes) else { return .malformed(reason: "path is not UTF-8") }
        let candidate = root + "/" + relative
        guard let real = realPath(candidate) else { return .notFound }
        guard real.hasPrefix(root + "/") else { return .refused(reason: "path leads outside the served directory") }
        guard let info = FileInfo(path: real), info.isRegularFile else { return .notFound }
        return .file(relative: relative, absolute: real, info: info)
    }

    /// Decodes `%XX` escapes; nil when an escape is cut short or not hexadecimal.
    static func percentDecode(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var it = text.utf8.makeIterator()
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = hex(h), let lv = hex(l) else { return nil }
                out.append(hv << 4 | lv)
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The canonical absolute path with every symbolic link resolved, or nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// What the server needs to know about a file: size and identity for ETag and Last-Modified.
struct FileInfo: Equatable {
    /// Size in bytes.
    var size: Int
    /// Modification time, seconds since 1970 and nanoseconds.
    var modifiedSeconds: Int, modifiedNanoseconds: Int
    /// Inode and device, so a file replaced by a rename gets a new ETag even with the same size and time.
    var inode: UInt64, device: UInt64
    /// True for a regular file (not a directory, device or socket).
    var isRegularFile: Bool
    /// True for a directory.
    var isDirectory: Bool

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        size = Int(st.st_size)
        #if canImport(Darwin)
        modifiedSeconds = Int(st.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int(st.st_mtimespec.tv_nsec)
        #else
        modifiedSeconds = Int(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int(st.st_mtim.tv_nsec)
        #endif
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        isRegularFile = (st.st_mode & S_IFMT) == S_IFREG
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// A strong validator: changes whenever the file's content may have changed.
    var entityTag: String {
        "\"" + String(size, radix: 16) + "-" + String(modifiedSeconds, radix: 16) + String(modifiedNanoseconds, radix: 16)
            + "-" + String(inode, radix: 16) + "\""
    }
}

/// Reads byte ranges of files for responses.
enum FileBytes {
    /// Reads `count` bytes at `offset`; throws when the file shrank or cannot be read.
    static func read(path: String, offset: Int, count: Int) throws(StreamServerError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotRead(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { throw .cannotRead(path: path, reason: "file shrank while being served (\(done) of \(count) bytes at offset \(offset))") }
            done += n
        }
        return out
    }
}
