import Foundation
import Strata

/// Peak memory of a streaming encode at 1920x1080, for clips of different lengths.
///
/// Each length runs in a child process so that each peak is its own; a bounded encoder
/// shows the same peak for a short and a four-times longer clip. The default lengths, 4 and
/// 16 s, both have more segments than are coded at once, so the ratio shows growth with
/// length, not the start-up of the segment pipeline.
/// Usage: `StrataBenchmarks memory [--seconds 4,16] [--jobs J]`.
func runMemoryBenchmark(arguments: [String]) async throws {
    if let i = arguments.firstIndex(of: "--child-frames"), i + 1 < arguments.count, let frames = Int(arguments[i + 1]) {
        let jobs = arguments.firstIndex(of: "--jobs").flatMap { Int(arguments[$0 + 1]) } ?? 2
        try await encodePanningClip(frames: frames, jobs: jobs)
        return
    }
    let seconds = (arguments.firstIndex(of: "--seconds").map { arguments[$0 + 1] } ?? "4,16")
        .split(separator: ",").compactMap { Double($0) }
    let jobs = arguments.firstIndex(of: "--jobs").map { arguments[$0 + 1] } ?? "2"
    print("streaming encode of a generated 1920x1080 25 fps clip, standard layer plan, 2 s segments, \(jobs) segments at once")
    print("clip seconds   frames   peak RSS MiB   wall s")
    var peaks: [Double] = []
    for s in seconds {
        let frames = Int(s * 25)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["memory", "--child-frames", "\(frames)", "--jobs", jobs]
        let pipe = Pipe()
        process.standardOutput = pipe
        let start = Date()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let wall = Date().timeIntervalSince(start)
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("peak_rss_kib=") }),
              let kib = Double(line.dropFirst("peak_rss_kib=".count)) else {
            print("child failed: \(text)")
            return
        }
        peaks.append(kib / 1024)
        print(String(format: "%12.1f %8d %14.1f %8.1f", s, frames, kib / 1024, wall))
    }
    if peaks.count >= 2 {
        print(String(format: "peak ratio longest/shortest: %.2f (1.00 = memory does not grow with clip length)", peaks.last! / peaks.first!))
    }
}

/// Encodes `frames` frames of a panning 1080p picture generated on the fly, then prints the peak RSS.
private func encodePanningClip(frames: Int, jobs: Int) async throws {
    struct PanningSource: FrameSource {
        let format = VideoFormat(width: 1920, height: 1080, frameRate: FrameRate(25))
        let total: Int
        let texture: Frame
        var produced = 0
        init(total: Int) {
            self.total = total
            texture = SyntheticClip(width: 1920 + 256, height: 1080 + 128, frameCount: 1, seed: 5).frame(0)
        }
        mutating func nextFrame() throws -> Frame? {
            guard produced < total else { return nil }
            var frame = Frame(width: 1920, height: 1080)
            let dx = (produced * 2) % 256, dy = produced % 128
            for p in 0..<3 {
                let shift = p == 0 ? 0 : 1
                let src = texture[plane: p]
                var dst = frame[plane: p]
                let dstStride = dst.stride
                src.withUnsafeBufferPointer { s in
                    dst.withUnsafeMutableBufferPointer { d in
                        for y in 0..<(1080 >> shift) {
                            let from = s.baseAddress! + (y + (dy >> shift)) * src.stride + (dx >> shift)
                            (d.baseAddress! + y * dstStride).update(from: from, count: 1920 >> shift)
                        }
                    }
                }
                frame[plane: p] = dst
            }
            produced += 1
            return frame
        }
    }
    let out = NSTemporaryDirectory() + "strata-memory-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: out) }
    _ = try await StreamEncoder.encode(source: PanningSource(total: frames), sourceName: "panning 1080p", output: out,
                                       configuration: EncoderConfiguration(plan: .standard, segmentSeconds: 2, concurrency: jobs))
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("peak_rss_kib=\(usage.ru_maxrss)")
}
