import ArgumentParser
import Strata

struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Put chosen layers of a stream back together into one .264 or .mp4 file.",
        discussion: """
        --layers K joins the base plus the next K-1 layers (1 = base alone; default all).
        --temporal T keeps temporal ids up to T (default all: the full frame rate).
        FILE ending in .264 or .h264 gets an H.264 Annex B stream of the base and the OpenH264
        spatial layers, which any H.264 decoder reads (those without SVC show the base).
        FILE ending in .mp4 gets one fragmented MP4 with a track per layer.
        --format annexb or mp4 chooses the format whatever FILE's name; -o - writes it to
        standard output (strata join OUT --layers 1 -o - --format annexb | ffplay -).
        Joining every layer of a split stream gives the split input's NAL units back.
        """)

    @Argument(help: "Stream directory.")
    var stream: String

    @Option(help: "Number of layers to join, counting the base.")
    var layers: Int?

    @Option(help: "Highest temporal id to keep.")
    var temporal: Int?

    @Option(name: .shortAndLong, help: "Output file: .264/.h264 (Annex B) or .mp4; - for standard output (with --format).")
    var output: String

    @Option(help: "Output format, whatever the file's name: annexb or mp4.")
    var format: JoinFormatOption?

    func validate() throws {
        if output == "-" && format == nil {
            throw ValidationError("-o - (standard output) needs --format annexb or --format mp4")
        }
    }

    func run() async throws {
        let reader = try await StreamReader(directory: stream)
        let summary = try await StreamJoiner.join(reader: reader, layers: layers ?? reader.manifest.layers.count,
                                                  temporalId: temporal ?? reader.manifest.temporalLayers - 1,
                                                  output: output == "-" ? "/dev/stdout" : output, format: format?.format)
        reportWritten(output, "\(counted(summary.frames, "frame")), \(summary.width)x\(summary.height), \(summary.bytes) bytes, "
                      + "operating point \(summary.operatingPoint)")
    }
}

/// `--format` of `strata join`.
enum JoinFormatOption: String, ExpressibleByArgument, CaseIterable {
    case annexb, mp4

    var format: JoinedFileFormat { self == .annexb ? .annexB : .mp4 }
}
