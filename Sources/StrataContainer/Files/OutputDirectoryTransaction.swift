#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a whole output directory beside its final place and swaps it in at the end.
///
/// Everything is written under ``workingPath`` (a hidden sibling of the target, on the same
/// file system). ``commit()`` exchanges it with the existing directory in one atomic step
/// where the system allows (`renameat2`/`renamex_np`), else with two renames; the old contents
/// are then deleted. So re-encoding into an existing OUT never leaves a mix of old and new
/// files, and an encode that fails or is killed before `commit()` leaves OUT as it was.
/// An uncommitted working directory is removed when the transaction is released.
public final class OutputDirectoryTransaction {
    /// The directory that will hold the output after ``commit()``.
    public let finalPath: String
    /// Where to write the output until ``commit()``.
    public let workingPath: String
    /// True once ``commit()`` succeeded.
    public private(set) var isCommitted = false

    /// Creates the working directory beside `finalPath`, and the directories above it that do not
    /// exist yet (like `mkdir -p`; they stay if the output is never committed). Fails when a parent
    /// cannot be created or is not writable, or when `finalPath` exists and is not a directory.
    public init(finalPath: String) throws(ContainerError) {
        let (parent, name) = FileSystem.parentAndName(finalPath)
        guard !name.isEmpty, name != ".", name != "..", name != "/" else {
            throw .io(path: finalPath, operation: "create output directory", reason: "not a directory name")
        }
        if FileSystem.exists(finalPath) && !FileSystem.isDirectory(finalPath) {
            throw .io(path: finalPath, operation: "create output directory", reason: "exists and is not a directory")
        }
        try FileSystem.createDirectories(parent)
        OutputDirectoryTransaction.recoverInterruptedCommit(parent: parent, name: name, finalPath: finalPath)
        OutputDirectoryTransaction.removeStaleSiblings(parent: parent, name: name)
        self.finalPath = finalPath
        self.workingPath = parent + "/." + name + ".partial-" + FileSystem.uniqueSuffix()
        guard mkdir(workingPath, 0o755) == 0 else {
            throw .io(path: workingPath, operation: "create output directory", reason: FileSystem.systemReason())
        }
    }

    /// Swaps the finished working directory in place of `finalPath` and deletes the old contents.
    public func commit() throws(ContainerError) {
        guard !isCommitted else { return }
        let (parent, name) = FileSystem.parentAndName(finalPath)
        if !FileSystem.exists(finalPath) {
            guard rename(workingPath, finalPath) == 0 else {
                throw .io(path: finalPath, operation: "rename into place", reason: FileSystem.systemReason())
            }
        } else if FileSystem.exchange(workingPath, finalPath) {
            // The working path now holds the old output.
            FileSystem.removeTree(workingPath)
        } else {
            let old = parent + "/." + name + ".old-" + FileSystem.uniqueSuffix()
            guard rename(finalPath, old) == 0 else {
                throw .io(path: finalPath, operation: "move old output aside", reason: FileSystem.systemReason())
            }
            guard rename(workingPath, finalPath) == 0 else {
                let reason = FileSystem.systemReason()
                rename(old, finalPath)
                throw .io(path: finalPath, operation: "rename into place", reason: reason)
            }
            FileSystem.removeTree(old)
        }
        FileSystem.syncDirectory(parent)
        isCommitted = true
    }

    deinit {
        if !isCommitted { FileSystem.removeTree(workingPath) }
    }

    /// Removes working and old directories left beside OUT by encodes that were killed (their
    /// process no longer exists), so repeated interrupted encodes do not pile up copies.
    private static func removeStaleSiblings(parent: String, name: String) {
        for entry in FileSystem.entries(parent) {
            for marker in [".partial-", ".old-"] {
                let prefix = "." + name + marker
                guard entry.hasPrefix(prefix) else { continue }
                let rest = entry.dropFirst(prefix.count)
                guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]) else { continue }
                if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                    FileSystem.removeTree(parent + "/" + entry)
                }
            }
        }
    }

    /// After a crash between the two renames of the fallback commit, OUT is missing and its old
    /// contents sit in a `.OUT.old-*` sibling: put them back so OUT is as it was.
    private static func recoverInterruptedCommit(parent: String, name: String, finalPath: String) {
        guard !FileSystem.exists(finalPath) else { return }
        let prefix = "." + name + ".old-"
        if let old = FileSystem.entries(parent).filter({ $0.hasPrefix(prefix) }).sorted().last {
            rename(parent + "/" + old, finalPath)
        }
    }
}
