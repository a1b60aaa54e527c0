// Benchmarks by subcommand: `swift run -c release StrataBenchmarks <name> [arguments]`.
// Each area adds one entry to this table and one file holding its run function.

let benchmarks: [(name: String, summary: String, run: ([String]) async throws -> Void)] = [
    ("base", "OpenH264 base encode/decode at 1280x720 beside x264 medium and ultrafast", runBaseBenchmark),
    ("enhancement", "enhancement layers at 1280x720: decode fps vs memcpy, encode fps vs x264 medium, SIMD vs scalar kernels", runEnhancementBenchmark),
    ("enhancement-rd", "one enhancement layer over an OpenH264 base on a Y4M clip, against x264 medium at equal PSNR", runEnhancementRateDistortionBenchmark),
    ("ladder", "layered storage against x264 and OpenH264 simulcast ladders matched at equal quality (the research harness)", runLadderBenchmark),
    ("container", "fragment write/read and CRC-32 throughput against memcpy", runContainerBenchmark),
    ("memory", "peak memory of a streaming 1080p encode for a short and a four-times longer clip", runMemoryBenchmark),
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks.first(where: { $0.name == name }) else {
    print("usage: StrataBenchmarks <benchmark> [arguments]\n")
    for b in benchmarks { print("  \(b.name)\t\(b.summary)") }
    exit(arguments.isEmpty || arguments.first == "--help" ? 0 : 2)
}
do {
    try await benchmark.run(Array(arguments.dropFirst()))
} catch {
    print("\(name): \(error)")
    exit(1)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
