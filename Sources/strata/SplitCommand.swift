import ArgumentParser
import Strata

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Take an H.264 elementary stream with SVC layers apart into a layered stream directory.",
        discussion: """
        INPUT is an H.264 Annex B stream (.264), such as OpenH264 writes with SVC temporal and
        spatial layers, or a plain AVC stream. OUT receives the same files as `strata encode`:
        manifest.json, stream.mpd, base.m3u8 and, per layer, init.mp4 and one fragment per
        segment. L0 is the AVC base, L1... the SVC spatial layers. Nothing is re-encoded: every
        NAL unit is kept, so `strata join OUT -o FILE.264` gives the input back.
        Each segment starts with an IDR; a stream whose IDRs do not fall on the segment
        boundaries is refused unless --segment-at-idrs cuts at the IDRs it has.
        """)

    @Argument(help: "Input H.264 Annex B file.")
    var input: String

    @Option(name: .shortAndLong, help: "Output stream directory.")
    var output: String

    @Option(help: "Segment length in seconds.")
    var segmentSeconds: Double = 2

    @Option(help: "Frame rate of the input (an elementary stream carries no timing), e.g. 25 or 30000/1001.")
    var fps: String = "25"

    @Flag(name: .customLong("segment-at-idrs"), help: "Start each segment at the first IDR at or after its boundary instead of refusing the stream.")
    var segmentAtIDRs = false

    func run() throws {
        let parts = fps.split(separator: "/").map { Int($0) }
        guard (1...2).contains(parts.count), let numerator = parts[0], numerator > 0,
              let denominator = parts.count == 2 ? parts[1] : 1, denominator > 0 else {
            throw ValidationError("--fps must be a positive integer or a fraction like 30000/1001, got \(fps)")
        }
        let manifest = try StreamSplitter.split(annexB: input, output: output, segmentSeconds: segmentSeconds,
                                                frameRate: FrameRate(numerator, denominator), segmentAtIDRs: segmentAtIDRs)
        print("wrote \(output): \(counted(manifest.source.frames, "frame")) in \(counted(manifest.segments.count, "segment")), "
              + "\(counted(manifest.layers.count, "layer"))")
        print(InfoTable.render(manifest))
    }
}
