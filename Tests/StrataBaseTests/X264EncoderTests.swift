import Testing
import StrataBase
import StrataCore

@Suite("x264 reference encoder")
struct X264EncoderTests {
    private func encode(_ frames: [Frame], preset: X264Preset, rateControl: X264RateControl, keyframeInterval: Int? = nil) throws -> [UInt8] {
        let encoder = try X264Encoder(width: frames[0].width, height: frames[0].height, frameRate: FrameRate(25),
                                      preset: preset, rateControl: rateControl, threads: 1, keyframeInterval: keyframeInterval)
        var out: [UInt8] = []
        for f in frames { out += try encoder.encode(f) }
        out += try encoder.flush()
        #expect(encoder.framesSubmitted == frames.count)
        return out
    }

    @Test("an x264 stream parses into one access unit per frame and decodes in ffmpeg")
    func decodesToEveryFrame() throws {
        let frames = TestClips.qcif(frames: 10)
        let stream = try encode(frames, preset: .veryfast, rateControl: .crf(23))
        let units = try AnnexB.parse(stream)
        #expect(units.contains { $0.type == NALUnitType.sps })
        #expect(units.filter { $0.isVCL }.count == 10)
        guard FFmpeg.isAvailable else { return }
        let decoded = try FFmpeg.decodeH264(stream, width: 176, height: 144)
        #expect(decoded.count == 10)
        #expect(TestClips.psnrY(decoded, frames) > 33)
    }

    @Test("a tuning reaches x264: tune psnr turns off its adaptive quantization and psychovisual optimizations")
    func tuneReachesTheEncoder() throws {
        let frames = TestClips.qcif(frames: 6)
        func settings(_ tune: X264Tune?) throws -> String {
            let encoder = try X264Encoder(width: 176, height: 144, frameRate: FrameRate(25), preset: .medium, tune: tune,
                                          rateControl: .crf(23), threads: 1)
            var stream: [UInt8] = []
            for f in frames { stream += try encoder.encode(f) }
            stream += try encoder.flush()
            // x264 writes its settings as text in an SEI message of the first access unit.
            return String(decoding: stream.map { (32...126).contains($0) ? $0 : 32 }, as: UTF8.self)
        }
        let plain = try settings(nil), psnr = try settings(.psnr)
        // (Adaptive quantization at strength 0 with tune psnr.)
        #expect(plain.contains(" aq=1:1.00 ") && plain.contains(" psy=1 "))
        #expect(psnr.contains(" aq=1:0.00 ") && psnr.contains(" psy=0 "))
    }

    @Test("ultrafast (no B-frames) decodes with OpenH264 too")
    func openH264DecodesUltrafast() throws {
        let frames = TestClips.qcif(frames: 8)
        let stream = try encode(frames, preset: .ultrafast, rateControl: .qp(24))
        let units = AnnexB.accessUnits(try AnnexB.parse(stream))
        #expect(units.count == 8)
        let decoded = try TestClips.decode(units)
        #expect(decoded.count == 8)
        #expect(TestClips.psnrY(decoded, frames) > 36)
    }

    @Test("a lower CRF gives a bigger, better stream")
    func crfOrdersSize() throws {
        let frames = TestClips.qcif(frames: 8)
        let sizes = try [32.0, 26, 20].map { try encode(frames, preset: .veryfast, rateControl: .crf($0)).count }
        #expect(sizes[0] < sizes[1] && sizes[1] < sizes[2], "bytes at CRF 32/26/20: \(sizes)")
    }

    @Test("bitrate mode follows its target")
    func bitrateMode() throws {
        let frames = TestClips.qcif(frames: 16)
        let kbps = try [100, 400].map { target -> Double in
            let bytes = try encode(frames, preset: .veryfast, rateControl: .bitrate(kbps: target)).count
            return Double(bytes) * 8 / 1000 / (16.0 / 25)
        }
        #expect(kbps[0] < kbps[1], "kbit/s at targets 100/400: \(kbps)")
        #expect(kbps[1] > 400 / 3 && kbps[1] < 400 * 3, "kbit/s at target 400: \(kbps[1])")
    }

    @Test("the keyframe interval puts IDRs where asked")
    func keyframeInterval() throws {
        let frames = TestClips.qcif(frames: 12)
        let stream = try encode(frames, preset: .ultrafast, rateControl: .crf(28), keyframeInterval: 4)
        let units = AnnexB.accessUnits(try AnnexB.parse(stream))
        #expect(units.map(\.isIDR) == (0..<12).map { $0 % 4 == 0 })
    }

    @Test("bad sizes and rate controls are refused; a wrong-size frame is refused")
    func errors() throws {
        #expect(throws: BaseLayerError.self) {
            _ = try X264Encoder(width: 63, height: 64, frameRate: FrameRate(25), preset: .medium, rateControl: .crf(23))
        }
        #expect(throws: BaseLayerError.self) {
            _ = try X264Encoder(width: 64, height: 64, frameRate: FrameRate(25), preset: .medium, rateControl: .crf(60))
        }
        let encoder = try X264Encoder(width: 64, height: 64, frameRate: FrameRate(25), preset: .ultrafast, rateControl: .crf(23))
        #expect(throws: BaseLayerError.frameSizeMismatch(expected: "64x64", got: "32x32")) { _ = try encoder.encode(Frame(width: 32, height: 32)) }
    }
}
