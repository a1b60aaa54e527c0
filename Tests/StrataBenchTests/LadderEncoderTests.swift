import Foundation
import StrataBase
import StrataCore
import Testing
@testable import StrataBench

@Suite struct LadderEncoderTests {
    static let clip = SyntheticClip(width: 64, height: 64, frameCount: 8)

    func meter(_ frames: [Frame]) throws -> (QualityMeter, String) {
        let dir = NSTemporaryDirectory() + "strata-bench-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (QualityMeter(source: frames, format: Self.clip.format, vmafTool: nil, workDirectory: dir), dir)
    }

    @Test func meterUpscalesSmallerPicturesToTheSourceSize() throws {
        let frames = Self.clip.frames()
        let (meter, dir) = try meter(frames)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try meter.measure(label: "identical", frames: frames).psnrY == 100)
        let down = try Scaler(from: 64, 64, to: 32, 32)
        let half = try meter.measure(label: "half size", frames: frames.map { down.scale($0) })
        #expect(half.psnrY > 15 && half.psnrY < 60)
        #expect(half.ssim > 0.2 && half.ssim < 1)
        #expect(throws: BenchError.frameCountMismatch(what: "short", expected: 8, got: 7)) {
            try meter.measure(label: "short", frames: Array(frames.dropLast()))
        }
    }

    static let tools = FFmpegTools.locate()

    @Test(.enabled(if: tools.vmaf != nil, "needs an ffmpeg with libvmaf"))
    func vmafComesFromFFmpegAndFallsWithDistortion() throws {
        let frames = Self.clip.frames()
        let dir = NSTemporaryDirectory() + "strata-bench-vmaf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let meter = QualityMeter(source: frames, format: Self.clip.format, vmafTool: Self.tools.vmaf, workDirectory: dir)
        let same = try #require(try meter.measure(label: "identical", frames: frames).vmaf)
        let down = try Scaler(from: 64, 64, to: 16, 16)
        let blurred = try #require(try meter.measure(label: "quarter size", frames: frames.map { down.scale($0) }).vmaf)
        #expect(same > 90)
        #expect(blurred < same - 20)
    }

    @Test(arguments: [LadderEncoder.x264(.medium), .openH264(temporalLayers: 1), .openH264(temporalLayers: 3)])
    func lowerParameterGivesMoreBitsAndHigherQuality(encoder: LadderEncoder) throws {
        let frames = Self.clip.frames()
        let (meter, dir) = try meter(frames)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ffmpeg = FFmpegTools.locate().decoder
        var results: [(bytes: Int, psnr: Double)] = []
        for parameter in [20.0, 36.0] {
            let (bytes, seconds, decoded) = try encoder.encodeAndDecode(frames: frames, format: Self.clip.format, parameter: parameter,
                                                                        keyframeInterval: 4, ffmpeg: ffmpeg, workDirectory: dir)
            #expect(decoded.count == frames.count)
            #expect(seconds >= 0)
            results.append((bytes, try meter.measure(label: "\(encoder.name)", frames: decoded).psnrY))
        }
        #expect(results[0].bytes > results[1].bytes)
        #expect(results[0].psnr > results[1].psnr + 2)
        #expect(results[0].psnr > 35)
    }
}
