import Foundation
import Strata
import Testing
@testable import StrataBench

@Suite struct EndToEndTests {
    /// Writes a generated clip as Y4M and returns its path.
    static func writeClip(_ clip: SyntheticClip, directory: String) throws -> String {
        let path = directory + "/synthetic.y4m"
        let writer = try Y4MWriter(path: path, format: clip.format)
        for i in 0..<clip.frameCount { try writer.write(clip.frame(i)) }
        try writer.finish()
        return path
    }

    /// A whole run on a 64x64, 8-frame clip, matched on PSNR-Y: every operating point measured,
    /// every rung matched, ratios consistent with the rungs, and the three files written.
    @Test func tinyRunWritesReportCSVAndPlot() async throws {
        let directory = NSTemporaryDirectory() + "strata-bench-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = try Self.writeClip(SyntheticClip(width: 64, height: 64, frameCount: 8), directory: directory)
        let output = directory + "/out"
        let stages = StageLog()
        let report = try await BenchHarness.run(BenchOptions(input: input, outputDirectory: output, metric: .psnrY)) { stages.add($0) }

        #expect(report.status == "complete")
        #expect(report.metric == .psnrY)
        #expect(report.frames == 8)
        let ops = report.layered.operatingPoints
        // The default plan for the clip's size: a quarter-size base (16x16, the smallest OpenH264 codes).
        #expect(ops.count == LayerPlan.standard.layerCount)
        #expect(ops.first?.width == 16 && ops.first?.height == 16)
        #expect(ops.last?.width == 64 && ops.last?.height == 64)
        for (lower, upper) in zip(ops, ops.dropFirst()) {
            #expect(upper.kbps > lower.kbps)
            #expect(upper.psnrY > lower.psnrY)
        }
        #expect(abs(report.layered.totalKbps - ops.last!.kbps) < 1e-9)
        // The container: five init segments and one fragment per layer, each with its boxes and 4 bytes per
        // sample, over 8 frames at 25 fps (the 0.32 s of stream).
        let container = try #require(report.layered.containerKbps)
        let sampleBytes = 5 * 8 * 4
        #expect(container * 0.32 * 1000 / 8 > Double(5 * 600 + 5 * 250 + sampleBytes))
        #expect(container * 0.32 * 1000 / 8 < Double(5 * 800 + 5 * 400 + sampleBytes))
        #expect(ops.allSatisfy { $0.decodeFps > 0 && $0.vmaf == nil })

        for ladder in [report.simulcast, report.simulcastOpenH264] {
            #expect(ladder.rungs.count == ops.count)
            for (rung, op) in zip(ladder.rungs, ops) {
                #expect(rung.width == op.width && rung.height == op.height)
                if rung.matchedBy != .bound { #expect(abs(rung.psnrY - op.psnrY) <= 0.1 + 1e-9) }
            }
            let counted = ladder.rungs.filter(\.counted).reduce(0) { $0 + $1.kbps }
            #expect(abs(ladder.totalKbps - counted) < 1e-9)
        }
        #expect(abs(report.storageRatio! - report.layered.totalKbps / report.simulcast.totalKbps) < 1e-12)
        // At equal quality: each counted rung's rate at exactly its operating point's quality, which lies
        // within the matching tolerance's reach of the matched rung's.
        let atTarget = try #require(report.simulcast.totalKbpsAtTarget)
        #expect(abs(report.storageRatioAtEqualQuality! - report.layered.totalKbps / atTarget) < 1e-12)
        for rung in report.simulcast.rungs where rung.counted {
            let rate = try #require(rung.kbpsAtTarget)
            #expect(rate > 0.8 * rung.kbps && rate < 1.25 * rung.kbps)
        }
        #expect(abs(report.topOverhead! - (report.layered.totalKbps / report.simulcast.rungs.last!.kbps - 1)) < 1e-12)
        #expect(ops.map(\.counted) == report.simulcast.rungs.map(\.counted))
        #expect(report.encodeTime.layeredSeconds > 0 && report.encodeTime.simulcastSeconds > 0)

        let bd = try #require(report.bdRate)
        #expect(bd.layeredPoints.count == 4 && bd.anchorPoints.count == 4)
        #expect(bd.percent != nil)

        for name in ["report.json", "report.csv", "rate-quality.svg", "stream/manifest.json"] {
            #expect(FileManager.default.fileExists(atPath: output + "/" + name), "\(name) missing")
        }
        let written = try JSONDecoder().decode(BenchReport.self, from: Data(contentsOf: URL(fileURLWithPath: output + "/report.json")))
        #expect(written.storageRatio == report.storageRatio)
        #expect(stages.stages.contains(.layeredDecode) && stages.stages.contains(.x264Ladder) && stages.stages.contains(.openH264Ladder))
    }

    @Test func unreadableInputIsATypedError() async {
        await #expect(throws: BenchError.self) {
            _ = try await BenchHarness.run(BenchOptions(input: "/nonexistent/clip.y4m", outputDirectory: NSTemporaryDirectory() + "strata-bench-none"))
        }
        do {
            _ = try await BenchHarness.run(BenchOptions(input: "/nonexistent/clip.y4m", outputDirectory: NSTemporaryDirectory() + "strata-bench-none"))
        } catch {
            guard case .unreadableInput(let path, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == "/nonexistent/clip.y4m")
        }
    }

    @Test func missingFFmpegIsATypedErrorWhenVMAFIsDemanded() async throws {
        let directory = NSTemporaryDirectory() + "strata-bench-tool-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = try Self.writeClip(SyntheticClip(width: 64, height: 64, frameCount: 2), directory: directory)
        do {
            _ = try await BenchHarness.run(BenchOptions(input: input, outputDirectory: directory + "/out", metric: .vmaf,
                                                        ffmpegPath: directory + "/no-such-ffmpeg"))
            Issue.record("ran without a VMAF tool")
        } catch {
            guard case .missingTool(let name, let detail) = error else { Issue.record("wrong error \(error)"); return }
            #expect(name.contains("libvmaf"))
            #expect(detail.contains("no-such-ffmpeg"))
        }
    }
}

/// Collects progress stages from the harness's callback.
final class StageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [BenchStage] = []
    func add(_ p: BenchProgress) { lock.lock(); seen.append(p.stage); lock.unlock() }
    var stages: [BenchStage] { lock.lock(); defer { lock.unlock() }; return seen }
}
