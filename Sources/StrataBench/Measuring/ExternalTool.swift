import Foundation

/// Runs an external program to completion, keeping its standard output and the end of its
/// error output. Error output goes to a temporary file so that a chatty tool can never fill a
/// pipe and stall.
enum ExternalTool {
    /// Output of a finished run.
    struct Output {
        var status: Int32
        var standardOutput: Data
        var errorTail: String
    }

    /// Runs `executable` with `arguments`; throws only when the program cannot be started.
    static func run(_ executable: String, _ arguments: [String], name: String) throws(BenchError) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        let errorPath = NSTemporaryDirectory() + "strata-bench-stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        guard let errorHandle = FileHandle(forWritingAtPath: errorPath) else {
            throw .missingTool(name: name, detail: "cannot create a temporary file for its messages")
        }
        process.standardOutput = stdout
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .missingTool(name: name, detail: "cannot run \(executable): \(error.localizedDescription)")
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorHandle.close()
        let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        let tail = errorText.split(separator: "\n").suffix(3).joined(separator: " | ")
        return Output(status: process.terminationStatus, standardOutput: data, errorTail: tail)
    }

    /// Runs and throws ``BenchError/toolFailed(name:status:message:)`` on a non-zero exit.
    @discardableResult
    static func runChecked(_ executable: String, _ arguments: [String], name: String) throws(BenchError) -> Data {
        let output = try run(executable, arguments, name: name)
        guard output.status == 0 else { throw .toolFailed(name: name, status: output.status, message: output.errorTail) }
        return output.standardOutput
    }

    /// The absolute path of `command` found on `PATH`, or nil.
    static func which(_ command: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
