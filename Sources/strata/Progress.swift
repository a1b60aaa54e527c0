#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A one-line progress display on standard error, shown only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled = isatty(2) != 0
    private var lastLength = 0

    /// Replaces the line with `text`.
    func update(_ text: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let padded = text.padding(toLength: max(text.count, lastLength), withPad: " ", startingAt: 0)
        lastLength = text.count
        FileHandle.standardError.write(Data(("\r" + padded).utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: lastLength) + "\r").utf8))
        lastLength = 0
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `count` and `noun`, plural unless the count is 1 ("1 segment", "2 segments").
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// Reports that `output` was written ("wrote OUTPUT: DETAILS", "-" named standard output): on
/// standard output, or on standard error when `output` is standard output itself ("-", `/dev/stdout`,
/// or any path to the same file), where the line would land in, or over, the bytes just written.
func reportWritten(_ output: String, _ details: String? = nil) {
    let text = "wrote \(output == "-" ? "standard output" : output)" + (details.map { ": " + $0 } ?? "")
    if isStandardOutput(output) { printError(text) } else { print(text) }
}

/// Whether `path` is "-" or names the file standard output is open on.
func isStandardOutput(_ path: String) -> Bool {
    if path == "-" { return true }
    var target = stat(), out = stat()
    return stat(path, &target) == 0 && fstat(1, &out) == 0 && target.st_dev == out.st_dev && target.st_ino == out.st_ino
}
