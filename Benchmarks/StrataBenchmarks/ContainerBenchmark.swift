import Foundation
import StrataContainer

/// Throughput of fragment writing and reading (which verifies every sample's CRC-32) beside
/// a plain memory copy of the same bytes, so the figures read as a cost relative to memory
/// bandwidth on any machine.
/// Usage: `StrataBenchmarks container [--megabytes N]` (payload per fragment, default 8).
func runContainerBenchmark(arguments: [String]) async throws {
    let megabytes = arguments.firstIndex(of: "--megabytes").flatMap { Int(arguments[$0 + 1]) } ?? 8
    var state: UInt64 = 0x1234_5678
    func nextByte() -> UInt8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
    // 50 samples per fragment (2 s at 25 fps), sizes like a key frame followed by smaller pictures.
    let total = megabytes << 20
    let samples: [MediaSample] = (0..<50).map { i in
        let size = i == 0 ? total / 5 : (total - total / 5) / 49
        return MediaSample(data: (0..<size).map { _ in nextByte() }, duration: 512, isSync: i == 0, temporalId: i % 4 == 0 ? 0 : 1)
    }
    let payload = samples.reduce(0) { $0 + $1.data.count }
    let track = TrackDescription(trackID: 2, timescale: 12_800, width: 1920, height: 1080,
                                 codec: .strata(configuration: [1], layerIndex: 1), dependsOnTrackIDs: [1])

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
    let flat = samples.flatMap(\.data)
    var sink = 0
    let copy = seconds {
        var destination = [UInt8](repeating: 0, count: flat.count)
        destination.withUnsafeMutableBytes { d in flat.withUnsafeBytes { s in d.copyMemory(from: s) } }
        sink &+= Int(destination[destination.count / 2])
    }
    let crc = seconds { sink &+= Int(CRC32.checksum(flat)) }
    let crcReference = seconds { sink &+= Int(CRC32.referenceChecksum(flat)) }
    var fragment: [UInt8] = []
    let write = seconds { fragment = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples) }
    let read = try seconds { sink &+= try CMAFReader.parseMediaSegment(fragment, track: track, path: "bench").samples.count }

    func rate(_ s: Double) -> Double { Double(payload) / s / 1e6 }
    print("fragment of \(samples.count) samples, \(payload) bytes of payload; best of 5 runs")
    print("operation                MB/s   relative to memcpy")
    for (name, s) in [("memcpy", copy), ("CRC-32 sliced", crc), ("CRC-32 bytewise", crcReference),
                      ("write fragment", write), ("read + verify", read)] {
        let label = name.padding(toLength: 18, withPad: " ", startingAt: 0)
        print(label + String(format: "%9.0f   %8.3f", rate(s), copy / s))
    }
    if sink == 42 { print("") }
}
