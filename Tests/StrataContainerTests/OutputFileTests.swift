import Foundation
import Testing
@testable import StrataContainer

@Suite("Atomic output")
struct OutputFileTests {
    /// A fresh directory under the system's temporary directory, removed by the caller.
    static func scratchDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "strata-container-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func contents(_ dir: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: dir)
        while let name = enumerator?.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir)
            if !isDir.boolValue { result[name] = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) }
        }
        return result
    }

    @Test func atomicWriteReplacesContentsAndLeavesNoTemporaryFiles() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Array("old".utf8), to: dir + "/manifest.json")
        try AtomicFile.write(Array("new contents".utf8), to: dir + "/manifest.json")
        #expect(try Self.contents(dir) == ["manifest.json": Array("new contents".utf8)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["manifest.json"])
    }

    /// A device is written in place: renaming a temporary file over `/dev/null` would replace it.
    @Test func atomicWriteToADeviceWritesInPlace() throws {
        try AtomicFile.write(Array("report".utf8), to: "/dev/null")
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/dev").allSatisfy { !AtomicFile.isTemporaryName($0) })
    }

    /// `/dev/stdout` redirected to a regular file names that file through `/proc/self/fd`: it is written
    /// in place (a temporary file beside a `/proc` or `/dev` link cannot be made, or would replace the link).
    @Test func atomicWriteThroughAFileDescriptorLinkWritesTheFile() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = open(dir + "/out.264", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        try AtomicFile.write(Array("joined".utf8), to: "/proc/self/fd/\(fd)")
        close(fd)
        #expect(try Self.contents(dir) == ["out.264": Array("joined".utf8)])
    }

    @Test func atomicWriteIntoMissingDirectoryFailsWithoutLeavingAnything() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try AtomicFile.write([1, 2, 3], to: dir + "/missing/x.m4s")
            Issue.record("write into a missing directory succeeded")
        } catch let ContainerError.io(_, operation, _) {
            #expect(operation == "create")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func committedTransactionReplacesTheWholeDirectory() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/OUT"
        try FileManager.default.createDirectory(atPath: out + "/L2", withIntermediateDirectories: true)
        try AtomicFile.write([9], to: out + "/L2/0.m4s")
        try AtomicFile.write([9], to: out + "/manifest.json")

        let transaction = try OutputDirectoryTransaction(finalPath: out)
        try FileManager.default.createDirectory(atPath: transaction.workingPath + "/L0", withIntermediateDirectories: true)
        try AtomicFile.write([1], to: transaction.workingPath + "/L0/0.m4s")
        try AtomicFile.write([2], to: transaction.workingPath + "/manifest.json")
        // Until commit, OUT is untouched.
        #expect(try Self.contents(out) == ["L2/0.m4s": [9], "manifest.json": [9]])
        try transaction.commit()
        #expect(try Self.contents(out) == ["L0/0.m4s": [1], "manifest.json": [2]])
        // Neither the working directory nor the old output is left beside OUT.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["OUT"])
    }

    @Test func abandonedTransactionLeavesTheOldDirectoryIntact() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/OUT"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try AtomicFile.write([7, 7], to: out + "/manifest.json")
        do {
            let transaction = try OutputDirectoryTransaction(finalPath: out)
            try AtomicFile.write([1], to: transaction.workingPath + "/manifest.json")
            // The encode fails here: the transaction is released without commit.
        }
        #expect(try Self.contents(out) == ["manifest.json": [7, 7]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["OUT"])
    }

    @Test func transactionIntoNewDirectoryCreatesIt() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let transaction = try OutputDirectoryTransaction(finalPath: dir + "/fresh/")
        try AtomicFile.write([3], to: transaction.workingPath + "/stream.mpd")
        try transaction.commit()
        #expect(try Self.contents(dir + "/fresh") == ["stream.mpd": [3]])
    }

    @Test func transactionRefusesAFileAndAParentBelowAFile() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write([1], to: dir + "/file")
        #expect(throws: ContainerError.self) { try OutputDirectoryTransaction(finalPath: dir + "/file") }
        #expect(throws: ContainerError.io(path: dir + "/file/sub", operation: "create parent directory", reason: "Not a directory")) {
            try OutputDirectoryTransaction(finalPath: dir + "/file/sub/OUT")
        }
    }

    @Test func transactionCreatesMissingParents() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let transaction = try OutputDirectoryTransaction(finalPath: dir + "/no/such/OUT")
        try AtomicFile.write([4], to: transaction.workingPath + "/manifest.json")
        try transaction.commit()
        #expect(try Self.contents(dir + "/no/such/OUT") == ["manifest.json": [4]])
    }

    @Test func leftoversOfKilledEncodesAreRemoved() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/OUT", withIntermediateDirectories: true)
        // PID 2147483646 cannot be running; the current process's own directories are kept.
        for stale in [".OUT.partial-2147483646-1f", ".OUT.old-2147483646-2e", ".OUT.partial-\(getpid())-3d", ".OTHER.partial-2147483646-4c"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + stale + "/L0", withIntermediateDirectories: true)
        }
        let transaction = try OutputDirectoryTransaction(finalPath: dir + "/OUT")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(left == ["OUT", ".OUT.partial-\(getpid())-3d", ".OTHER.partial-2147483646-4c",
                         String(transaction.workingPath.split(separator: "/").last!)])
    }

    @Test func interruptedFallbackCommitIsRolledBack() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The state a crash between the two renames of the fallback commit leaves behind.
        try FileManager.default.createDirectory(atPath: dir + "/.OUT.old-1-abc", withIntermediateDirectories: true)
        try AtomicFile.write([5], to: dir + "/.OUT.old-1-abc/manifest.json")
        let transaction = try OutputDirectoryTransaction(finalPath: dir + "/OUT")
        _ = transaction
        #expect(try Self.contents(dir + "/OUT") == ["manifest.json": [5]])
    }
}
