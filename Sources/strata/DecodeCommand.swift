import ArgumentParser
import Strata

struct DecodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Recombine layers of a stream into a Y4M video at one operating point.",
        discussion: """
        --layers K uses the base plus the next K-1 layers (1 = base alone; default all).
        --temporal T keeps temporal ids up to T (default all: the full frame rate).
        Segments whose upper-layer fragments are missing or damaged are built at the best
        lower operating point and upscaled; the command says which.
        """)

    @Argument(help: "Stream directory (or http(s) URL of a served stream).")
    var stream: String

    @Option(help: "Number of layers to use, counting the base.")
    var layers: Int?

    @Option(help: "Highest temporal id to keep.")
    var temporal: Int?

    @Option(name: .shortAndLong, help: "Output .y4m file, or - for standard output.")
    var output: String

    @Option(help: "Segments decoded at once (default: the number of cores; the output is identical for any value).")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let reader = try await openStream(stream)
        let manifest = reader.manifest
        let target = OperatingPoint(layers: layers ?? manifest.layers.count, temporalId: temporal ?? manifest.temporalLayers - 1)
        let line = ProgressLine()
        let total = manifest.segments.count
        let summary = try await StreamDecoder.decode(reader: reader, target: target, toY4M: output, concurrency: jobs) { segment, built in
            line.update("decoding: segment \(segment + 1)/\(total) at \(built)")
        }
        line.finish()
        for (segment, reason) in summary.fallbacks.sorted(by: { $0.key < $1.key }) {
            printError("segment \(segment): built \(summary.built[segment]) instead of \(target): \(reason)")
        }
        reportWritten(output, "\(counted(summary.frames, "frame")), \(summary.width)x\(summary.height) at \(summary.frameRate) fps, "
                      + "operating point \(target)")
    }
}
