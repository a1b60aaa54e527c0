import ArgumentParser
import Foundation
import Strata
import StrataHTTP

struct PlayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Progressive client: fetch the base first, add layers as measured bandwidth allows, report per segment.",
        discussion: """
        Reads URL/manifest.json, keeps a buffer of --buffer seconds, fetches each segment's
        base first and then its enhancement layers in order while bandwidth and buffer allow
        (going back to upgrade buffered segments before they play), and recombines each
        segment at the best operating point that arrived in time. Prints one line per
        decision and the QoS figures at the end; -o writes the played video as Y4M.
        """)

    @Argument(help: "URL of a served stream (its directory or its manifest.json).")
    var url: String

    @Option(name: .shortAndLong, help: "Write the played video to this .y4m file.")
    var output: String?

    @Option(help: "Seconds of video to keep buffered ahead of playback.")
    var buffer: Double = 6

    @Option(help: "Never fetch more than this many layers (counting the base).")
    var maxLayers: Int?

    @Option(help: "Highest temporal id to play.")
    var temporal: Int?

    @Option(help: "Write the playback report as JSON to this file.")
    var json: String?

    @Flag(help: "Print only the summary, not every decision.")
    var quiet = false

    func run() async throws {
        guard buffer > 0 else { throw ValidationError("--buffer must be positive") }
        let options = PlayerOptions(url: url, bufferTargetSeconds: buffer, maxLayers: maxLayers, temporalId: temporal, outputPath: output)
        let quiet = self.quiet
        // With the pictures on standard output, the report goes to standard error.
        let toStandardError = output.map { isStandardOutput($0) } ?? false
        let say: @Sendable (String) -> Void = { line in
            if toStandardError { printError(line) } else { print(line) }
        }
        let report = try await ProgressivePlayer.play(options) { line in if !quiet { say(line) } }
        say("")
        say("segments: " + report.layersPerSegment.map(String.init).joined(separator: " ") + "  (layers built per segment)")
        say("startup delay \(format(report.startupDelaySeconds, 2)) s; stalls \(report.stallCount) (\(format(report.stallSeconds, 2)) s); mean layers \(format(report.meanOperatingPoint, 2)); switches \(report.switches); fetched \(report.bytesFetched) bytes")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try encoder.encode(report)), to: json)
            say("wrote \(json)")
        }
        if let output { say("wrote \(output)") }
    }
}
