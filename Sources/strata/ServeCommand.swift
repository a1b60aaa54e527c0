import ArgumentParser
import Foundation
import Strata
import StrataHTTP

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a stream directory over HTTP/1.1 (byte ranges, content types, caching headers).",
        discussion: """
        For experiments, --trace shapes every connection's bandwidth from a file of
        `seconds kbps` lines, and --fault injects failures per path pattern:
          --fault 'L2/*.m4s=404'  --fault 'L1/3.m4s=truncate:0.5'  --fault '*.m4s=delay:200'  --fault 'L0/*=reset'
        """)

    @Argument(help: "Stream directory (the output of `strata encode`).")
    var stream: String

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Bandwidth trace file (`seconds kbps` per line).")
    var trace: String?

    @Option(help: "Multiply the trace's rates by this factor (fits a trace to a stream's bitrates).")
    var traceScale: Double = 1

    @Option(help: "Fault rule PATTERN=ACTION (404, reset, truncate:FRACTION, delay:MS); repeatable.")
    var fault: [String] = []

    @Flag(help: "Log one line per request.")
    var verbose = false

    func run() async throws {
        guard traceScale > 0 else { throw ValidationError("--trace-scale must be positive") }
        let shaping = try trace.map { try BandwidthTrace(contentsOfFile: $0).scaled(by: traceScale) }
        let faults = try fault.map { try FaultRule(parsing: $0) }
        let log: (@Sendable (String) -> Void)? = verbose ? { @Sendable line in print(line) } : nil
        let options = ServerOptions(directory: stream, host: host, port: port, trace: shaping, faults: faults, log: log)
        let server = StreamServer(options: options)
        try await server.run { bound in
            print("serving \(stream) at http://\(host):\(bound)/ (manifest.json, stream.mpd, base.m3u8); Ctrl-C stops")
        }
    }
}
