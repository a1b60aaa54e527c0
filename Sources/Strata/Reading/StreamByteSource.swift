import Foundation

/// Where a ``StreamReader`` gets the stream's files: a directory, HTTP, an app's cache.
///
/// Implement it to plug in your own transport; `relativePath` is relative to
/// manifest.json (for example `L1/3.m4s`) and has been checked not to leave the stream.
public protocol StreamByteSource: Sendable {
    /// The whole file at `relativePath`. Throw when it is missing or unreadable.
    func bytes(at relativePath: String) async throws -> [UInt8]
}

/// A ``StreamByteSource`` reading a stream directory on the local file system.
public struct DirectorySource: StreamByteSource {
    /// The directory holding manifest.json.
    public let path: String

    /// A source for the stream in the directory `path`.
    public init(path: String) { self.path = path }

    public func bytes(at relativePath: String) async throws -> [UInt8] {
        guard StreamManifest.isSafeRelativePath(relativePath) else {
            throw StrataError.unreadable(path: relativePath, message: "not a path inside the stream")
        }
        let full = path + "/" + relativePath
        guard let data = FileManager.default.contents(atPath: full) else {
            throw StrataError.unreadable(path: full, message: FileManager.default.fileExists(atPath: full) ? "cannot read" : "no such file")
        }
        return [UInt8](data)
    }
}
