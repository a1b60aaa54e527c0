import Foundation
import Testing
import Strata

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `strata` executable and interrupts it: an encode killed part way (SIGKILL or
/// SIGINT) must leave OUT byte for byte as it was, or complete, never a mix; its working files
/// must be gone after the next encode; and an unwritable OUT must fail with one clear line.
@Suite("Interrupted and failing encodes", .serialized)
struct InterruptedEncodeTests {
    /// The `strata` executable built beside the test bundle (`.build/debug/strata`), or
    /// `STRATA_EXECUTABLE` when set.
    static let executable: String? = {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["STRATA_EXECUTABLE"] { candidates.append(explicit) }
        let runner = URL(fileURLWithPath: CommandLine.arguments.first ?? "").standardizedFileURL
        var dir = runner.deletingLastPathComponent()
        // The runner may sit inside a bundle (`X.xctest/Contents/MacOS/X`): walk up to the build directory.
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("strata").path)
            dir = dir.deletingLastPathComponent()
        }
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("strata").path)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) && !FileManager.default.fileExists(atPath: $0 + "/Contents") }
    }()

    /// Writes a generated clip as Y4M.
    static func writeClip(_ clip: SyntheticClip, to path: String) throws {
        let writer = try Y4MWriter(path: path, format: clip.format)
        for i in 0..<clip.frameCount { try writer.write(clip.frame(i)) }
        try writer.finish()
    }

    /// Every file under `directory` with its bytes, by relative path.
    static func snapshot(_ directory: String) -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return files }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = FileManager.default.contents(atPath: directory + "/" + relative)
            }
        }
        return files
    }

    /// Starts `strata` with `arguments`; standard output and error go to `log`.
    static func launch(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable!)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs `strata` to the end; returns its exit status and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable!)
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Fragments already written in the encode's working directory beside `out`.
    static func fragmentsInProgress(_ out: String) -> Int {
        let parent = (out as NSString).deletingLastPathComponent, name = (out as NSString).lastPathComponent
        let working = ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.hasPrefix("." + name + ".partial-") }
        return working.reduce(0) { count, dir in
            count + snapshot(parent + "/" + dir).keys.filter { $0.hasSuffix(".m4s") }.count
        }
    }

    /// Encodes a long clip into an existing OUT, sends `signal` once the new encode has written
    /// fragments, and checks OUT is the old stream or a complete new one, then that the next
    /// encode leaves nothing of the interrupted one behind.
    func interrupt(with signal: Int32) async throws {
        let work = TemporaryDirectory()
        defer { work.cleanup() }
        let inputs = work.path + "/inputs", streams = work.path + "/streams"
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: streams, withIntermediateDirectories: true)
        let out = streams + "/out"
        let small = SyntheticClip(width: 64, height: 48, frameRate: FrameRate(8), frameCount: 8, seed: 1)
        let long = SyntheticClip(width: 128, height: 96, frameRate: FrameRate(10), frameCount: 50, seed: 2)
        try Self.writeClip(small, to: inputs + "/small.y4m")
        try Self.writeClip(long, to: inputs + "/long.y4m")
        let planArguments = ["--temporal-layers", "2", "--segment-seconds", "1", "--jobs", "1"]

        let first = try Self.run(["encode", inputs + "/small.y4m", "-o", out] + planArguments)
        #expect(first.status == 0, "\(first.stderr)")
        let old = Self.snapshot(out)
        #expect(old.keys.contains("manifest.json") && old.count >= 5)

        let process = try Self.launch(["encode", inputs + "/long.y4m", "-o", out] + planArguments, log: work.path + "/log")
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Self.fragmentsInProgress(out) < 2 && Date() < deadline { usleep(2_000) }
        let interrupted = process.isRunning
        if interrupted { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        #expect(interrupted, "the encode ended before it could be interrupted; make the clip longer")
        if interrupted { #expect(process.terminationStatus != 0) }

        let after = Self.snapshot(out)
        if after != old {
            // Not the old stream: then the complete new one, every fragment as the manifest lists it.
            let manifest = try StreamManifest.decode(Array(after["manifest.json"] ?? Data()), path: "manifest.json")
            #expect(manifest.source.frames == long.frameCount)
            for layer in manifest.layers {
                for (k, fragment) in layer.fragments.enumerated() { #expect(after[fragment]?.count == layer.fragmentBytes[k]) }
                #expect(after[layer.initSegment] != nil)
            }
            Issue.record("the encode completed before \(signal == SIGKILL ? "SIGKILL" : "SIGINT") reached it")
        }
        // The next encode sweeps away what the killed one left beside OUT.
        let next = try Self.run(["encode", inputs + "/small.y4m", "-o", out] + planArguments)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: streams) == ["out"])
        #expect(Self.snapshot(out) == old)
    }

    @Test("SIGKILL part way through leaves the old stream untouched", .enabled(if: InterruptedEncodeTests.executable != nil, "the strata executable is not built next to the tests (run swift build first)"))
    func killedEncodeLeavesOldStream() async throws {
        try await interrupt(with: SIGKILL)
    }

    @Test("SIGINT part way through leaves the old stream untouched", .enabled(if: InterruptedEncodeTests.executable != nil, "the strata executable is not built next to the tests (run swift build first)"))
    func interruptedEncodeLeavesOldStream() async throws {
        try await interrupt(with: SIGINT)
    }

    @Test("an unwritable output directory fails the encode with one line naming it", .enabled(if: InterruptedEncodeTests.executable != nil, "the strata executable is not built next to the tests (run swift build first)"))
    func unwritableOutputIsReported() throws {
        let work = TemporaryDirectory()
        defer { work.cleanup() }
        try Self.writeClip(SyntheticClip(width: 64, height: 48, frameRate: FrameRate(8), frameCount: 4, seed: 1), to: work.path + "/in.y4m")
        // Root writes anywhere permissions allow nothing, so it gets sysfs, which refuses new entries to everyone.
        let locked = work.path + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        chmod(locked, 0o555)
        defer { chmod(locked, 0o755) }
        let out = geteuid() == 0 ? "/sys/strata-encode-test-out" : locked + "/out"
        let result = try Self.run(["encode", work.path + "/in.y4m", "-o", out])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(out) || result.stderr.contains((out as NSString).deletingLastPathComponent), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("an output path whose parent is a file fails the encode with one line", .enabled(if: InterruptedEncodeTests.executable != nil, "the strata executable is not built next to the tests (run swift build first)"))
    func outputUnderAFileIsReported() throws {
        let work = TemporaryDirectory()
        defer { work.cleanup() }
        try Self.writeClip(SyntheticClip(width: 64, height: 48, frameRate: FrameRate(8), frameCount: 4, seed: 1), to: work.path + "/in.y4m")
        _ = FileManager.default.createFile(atPath: work.path + "/file", contents: Data([1]))
        let result = try Self.run(["encode", work.path + "/in.y4m", "-o", work.path + "/file/out"])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: work.path + "/file") == Data([1]))
    }

    /// Runs `strata` with standard output redirected to the file `stdout` (as a shell's `> stdout`); returns its status.
    static func run(_ arguments: [String], standardOutput stdout: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable!)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("standard output redirected to a file gets the decoded or joined stream alone, whichever way it is named",
          .enabled(if: InterruptedEncodeTests.executable != nil, "the strata executable is not built next to the tests (run swift build first)"))
    func standardOutputGetsTheStreamAlone() throws {
        let work = TemporaryDirectory()
        defer { work.cleanup() }
        try Self.writeClip(SyntheticClip(width: 64, height: 48, frameRate: FrameRate(8), frameCount: 4, seed: 2), to: work.path + "/in.y4m")
        let out = work.path + "/out"
        #expect(try Self.run(["encode", work.path + "/in.y4m", "-o", out]).status == 0)
        #expect(try Self.run(["decode", out, "-o", work.path + "/file.y4m"]).status == 0)
        #expect(try Self.run(["join", out, "--layers", "1", "-o", work.path + "/file.264"]).status == 0)
        let decoded = try #require(FileManager.default.contents(atPath: work.path + "/file.y4m"))
        let joined = try #require(FileManager.default.contents(atPath: work.path + "/file.264"))
        // The summary line goes to standard error: written to standard output, it had overwritten the Y4M header.
        for name in ["-", "/dev/stdout"] {
            #expect(try Self.run(["decode", out, "-o", name], standardOutput: work.path + "/piped.y4m") == 0)
            #expect(FileManager.default.contents(atPath: work.path + "/piped.y4m") == decoded, "decode -o \(name)")
            #expect(try Self.run(["join", out, "--layers", "1", "--format", "annexb", "-o", name], standardOutput: work.path + "/piped.264") == 0)
            #expect(FileManager.default.contents(atPath: work.path + "/piped.264") == joined, "join -o \(name)")
        }
        var link = stat()
        #expect(lstat("/dev/stdout", &link) != 0 || link.st_mode & S_IFMT != S_IFREG, "/dev/stdout is not replaced by a file")
    }
}
