import ArgumentParser
import Strata

struct EncodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode a Y4M video into a layered stream directory.",
        discussion: """
        INPUT is a .y4m file, or - to read Y4M from standard input, e.g.
          ffmpeg -i clip.mp4 -f yuv4mpegpipe - | strata encode - -o out
        OUT receives manifest.json, stream.mpd, base.m3u8 and, per layer, init.mp4 and one
        .m4s fragment per segment. An existing OUT is replaced only when the encode succeeds.
        """)

    @Argument(help: "Input .y4m file, or - for standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Output directory.")
    var output: String

    @OptionGroup var plan: PlanOptions

    func run() async throws {
        let source: Y4MFileSource
        do { source = try Y4MFileSource(path: input) } catch { throw StrataError.input("\(error)") }
        // The default plan depends on the source's size, which its header gives.
        let configuration = try plan.configuration(sourceWidth: source.format.width, sourceHeight: source.format.height)
        let line = ProgressLine()
        let manifest = try await StreamEncoder.encode(source: source, sourceName: input == "-" ? "stdin" : input, output: output,
                                                      configuration: configuration) { p in
            line.update("encoding: \(p.framesRead) frames read, \(p.segmentsDone) segments written")
        }
        line.finish()
        print("wrote \(output): \(counted(manifest.source.frames, "frame")) in \(counted(manifest.segments.count, "segment")), "
              + "\(counted(manifest.layers.count, "layer"))")
        print(InfoTable.render(manifest))
    }
}
