import Testing
import StrataBase
import StrataCore

@Suite("OpenH264 base layer")
struct OpenH264EncoderTests {
    @Test("the base decodes with OpenH264 to every frame at the source size")
    func baseDecodesToEveryFrame() throws {
        let frames = TestClips.qcif(frames: 12)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 3, rateControl: .constantQP(26))
        let units = try TestClips.encode(frames, config)
        #expect(units.count == 12)
        #expect(units.map(\.frameIndex) == Array(0..<12))
        for u in units { #expect(u.nalUnits.allSatisfy { $0.frameIndex == u.frameIndex }) }
        let decoded = try TestClips.decode(units)
        #expect(decoded.count == 12)
        #expect(decoded.allSatisfy { $0.width == 176 && $0.height == 144 })
        let psnr = TestClips.psnrY(decoded, frames)
        #expect(psnr > 33, "PSNR-Y \(psnr) dB at QP 26")
    }

    @Test("each access unit gives its own picture at once, CABAC and CAVLC alike", arguments: [true, false])
    func noDecodeDelay(cabac: Bool) throws {
        let frames = TestClips.qcif(frames: 6)
        var config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 2, rateControl: .constantQP(26))
        config.cabac = cabac
        let units = try TestClips.encode(frames, config)
        let decoder = try OpenH264Decoder()
        for unit in units {
            let picture = try decoder.decode(unit.nalUnits)
            #expect(picture != nil, "frame \(unit.frameIndex)")
            // A picture of a neighbouring frame scores far lower than the frame itself.
            if let picture { #expect(QualityMetrics.psnrY(frames[unit.frameIndex], picture) > 34, "frame \(unit.frameIndex)") }
        }
        #expect(try decoder.flush().isEmpty)
        #expect(decoder.accessUnitsDecoded == 6)
    }

    @Test("temporal ids follow TemporalStructure, restarting at each forced IDR")
    func temporalIdsMatchStructure() throws {
        for layers in 1...4 {
            let frames = TestClips.qcif(frames: 20)
            let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: layers, rateControl: .constantQP(30))
            let idr = 8 + (1 << (layers - 1)) / 2 + 1
            let units = try TestClips.encode(frames, config, idrAt: [idr])
            let structure = TemporalStructure(layers: layers)
            let expected = (0..<20).map { structure.temporalId(ofFrame: $0 < idr ? $0 : $0 - idr) }
            #expect(units.map(\.temporalId) == expected, "layers \(layers)")
            // The ids read back from the bitstream (prefix NAL units) agree with the encoder's report.
            let parsed = AnnexB.accessUnits(try AnnexB.parse(AnnexB.serialize(units.flatMap(\.nalUnits))))
            #expect(parsed.map(\.temporalId) == expected, "layers \(layers), parsed")
            #expect(units.map(\.isIDR) == (0..<20).map { $0 == 0 || $0 == idr })
        }
    }
}

@Suite("OpenH264 base layer: operating points and rate control")
struct OpenH264OperatingPointTests {
    @Test("dropping temporal ids above T0 decodes one frame in 2^(T-1)", arguments: [2, 3, 4])
    func temporalSubsetDecodes(layers: Int) throws {
        let frames = TestClips.qcif(frames: 16)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: layers, rateControl: .constantQP(28))
        let units = try TestClips.encode(frames, config)
        let period = 1 << (layers - 1)
        for maxTemporalId in 0..<layers {
            let kept = units.filter { $0.temporalId <= maxTemporalId }
            let decoded = try TestClips.decode(kept)
            let expected = 16 / (period >> maxTemporalId)
            #expect(decoded.count == expected, "T\(layers) up to T\(maxTemporalId)")
            // Each kept picture is the right source frame, not a neighbour.
            let sources = kept.map { frames[$0.frameIndex] }
            #expect(TestClips.psnrY(decoded, sources) > 30, "T\(layers) up to T\(maxTemporalId)")
        }
    }

    @Test("PSNR is above a bound at QP 24 and rises as QP falls")
    func psnrRisesAsQPFalls() throws {
        let frames = TestClips.qcif(frames: 8)
        var psnr: [Double] = []
        var sizes: [Int] = []
        for qp in [36, 30, 24, 18] {
            let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 2, rateControl: .constantQP(qp))
            let units = try TestClips.encode(frames, config)
            sizes.append(units.reduce(0) { $0 + AnnexB.serialize($1.nalUnits).count })
            psnr.append(TestClips.psnrY(try TestClips.decode(units), frames))
        }
        #expect(psnr[2] > 36, "PSNR-Y at QP 24: \(psnr[2]) dB")
        #expect(zip(psnr, psnr.dropFirst()).allSatisfy { $0 + 1 < $1 }, "PSNR-Y by QP 36/30/24/18: \(psnr)")
        #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 < $1 }, "bytes by QP: \(sizes)")
    }

    @Test("the deblocking offset reaches the stream: a stronger filter leaves smaller steps across block edges")
    func deblockingOffsetChangesTheFilter() throws {
        let frames = TestClips.qcif(frames: 4)
        /// Mean luma step across 4x4 block edges (columns 4, 8, ...) less the mean step inside blocks.
        func blockiness(_ offset: Int) throws -> Double {
            var config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 1, rateControl: .constantQP(40))
            config.deblockingOffset = offset
            let decoded = try TestClips.decode(try TestClips.encode(frames, config))
            var edge = 0.0, inside = 0.0, edges = 0, insides = 0
            for frame in decoded {
                for y in 0..<frame.height {
                    for x in 1..<frame.width {
                        let step = abs(Double(frame.luma[x, y]) - Double(frame.luma[x - 1, y]))
                        if x % 4 == 0 { edge += step; edges += 1 } else { inside += step; insides += 1 }
                    }
                }
            }
            return edge / Double(edges) - inside / Double(insides)
        }
        let weak = try blockiness(-6), strong = try blockiness(6)
        #expect(strong < weak - 0.1, "edge minus inside step: offset -6 \(weak), +6 \(strong)")
        var bad = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 1, rateControl: .constantQP(30))
        bad.deblockingOffset = 7
        #expect(throws: BaseLayerError.self) { try bad.validate() }
    }

    @Test("an IDR comes where forced, with parameter sets, and the stream restarts there")
    func forcedIDR() throws {
        let frames = TestClips.qcif(frames: 12)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 2, rateControl: .constantQP(30))
        let units = try TestClips.encode(frames, config, idrAt: [4, 8])
        #expect(units.map(\.isIDR) == (0..<12).map { $0 % 4 == 0 })
        for u in units {
            let types = Set(u.nalUnits.map(\.type))
            #expect(types.contains(NALUnitType.sps) == u.isIDR, "frame \(u.frameIndex)")
            #expect(types.contains(NALUnitType.idrSlice) == u.isIDR, "frame \(u.frameIndex)")
        }
        // A decoder that joins at the second IDR decodes the rest on its own.
        let decoded = try TestClips.decode(Array(units[8...]))
        #expect(decoded.count == 4)
        #expect(TestClips.psnrY(decoded, Array(frames[8...])) > 30)
    }

    @Test("bitrate mode codes every frame and lands near its target")
    func bitrateMode() throws {
        let frames = TestClips.qcif(frames: 16)
        var kbps: [Double] = []
        for target in [150, 600] {
            let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 2, rateControl: .bitrate(kbps: target))
            let units = try TestClips.encode(frames, config)
            #expect(units.count == 16)
            #expect(try TestClips.decode(units).count == 16)
            let bytes = units.reduce(0) { $0 + AnnexB.serialize($1.nalUnits).count }
            kbps.append(Double(bytes) * 8 / 1000 / (16.0 / 25))
        }
        #expect(kbps[0] < kbps[1], "kbit/s at targets 150/600: \(kbps)")
        #expect(kbps[1] < 600 * 3, "kbit/s at target 600: \(kbps[1])")
    }

    @Test("two spatial layers carry dependency ids 0 and 1; each decodes at its own size")
    func spatialLayers() throws {
        let frames = TestClips.qcif(frames: 8)
        let config = BaseEncoderConfiguration(spatialLayers: [
            SpatialLayerSpec(width: 88, height: 72, rateControl: .constantQP(28)),
            SpatialLayerSpec(width: 176, height: 144, rateControl: .constantQP(28)),
        ], frameRate: FrameRate(25), temporalLayers: 2)
        let units = try TestClips.encode(frames, config)
        #expect(units.count == 8)
        let vcl = units.flatMap(\.nalUnits).filter(\.isVCL)
        #expect(Set(vcl.map(\.dependencyId)) == [0, 1])
        #expect(vcl.filter { $0.dependencyId == 1 }.allSatisfy { $0.type == NALUnitType.codedSliceExtension })
        #expect(vcl.filter { $0.dependencyId == 0 }.allSatisfy { $0.isAVCBaseNAL })
        #expect(units.allSatisfy { $0.highestDependencyId == 1 })
        // Both spatial layers follow the same temporal hierarchy.
        for u in units {
            #expect(u.nalUnits.filter { $0.isVCL }.allSatisfy { $0.temporalId == u.temporalId }, "frame \(u.frameIndex)")
        }
        // The top layer at T0 alone decodes too (every other frame).
        #expect(try TestClips.decode(units.filter { $0.temporalId == 0 }, spatialLayer: 1).count == 4)

        let base = try TestClips.decode(units, spatialLayer: 0)
        #expect(base.count == 8)
        #expect(base.allSatisfy { $0.width == 88 && $0.height == 72 })
        let downscaler = try Scaler(from: 176, 144, to: 88, 72)
        #expect(TestClips.psnrY(base, frames.map(downscaler.scale)) > 30)

        let top = try TestClips.decode(units, spatialLayer: 1)
        #expect(top.count == 8)
        #expect(top.allSatisfy { $0.width == 176 && $0.height == 144 })
        #expect(TestClips.psnrY(top, frames) > 30)

        // Parsed back from Annex B, the layer ids and the grouping survive.
        let parsed = AnnexB.accessUnits(try AnnexB.parse(AnnexB.serialize(units.flatMap(\.nalUnits))))
        #expect(parsed.count == 8)
        #expect(parsed.map(\.temporalId) == units.map(\.temporalId))
        #expect(try TestClips.decode(parsed, spatialLayer: 0).count == 8)
    }

    @Test("the base plays in ffmpeg at the right frame count, size and quality")
    func ffmpegDecodesBase() throws {
        guard FFmpeg.isAvailable else { return }
        let frames = TestClips.qcif(frames: 10)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 3, rateControl: .constantQP(26))
        let units = try TestClips.encode(frames, config)
        let viaFFmpeg = try FFmpeg.decodeH264(AnnexB.serialize(units.flatMap(\.nalUnits)), width: 176, height: 144)
        #expect(viaFFmpeg.count == 10)
        // ffmpeg and OpenH264 decode the same pictures.
        let viaOpenH264 = try TestClips.decode(units)
        #expect(zip(viaFFmpeg, viaOpenH264).allSatisfy { $0.hasSameSamples(as: $1) })

        // The SVC spatial stream plays in ffmpeg as its base layer.
        let spatial = BaseEncoderConfiguration(spatialLayers: [
            SpatialLayerSpec(width: 88, height: 72, rateControl: .constantQP(28)),
            SpatialLayerSpec(width: 176, height: 144, rateControl: .constantQP(28)),
        ], frameRate: FrameRate(25), temporalLayers: 1)
        let spatialUnits = try TestClips.encode(frames, spatial)
        let baseViaFFmpeg = try FFmpeg.decodeH264(AnnexB.serialize(spatialUnits.flatMap(\.nalUnits)), width: 88, height: 72)
        #expect(baseViaFFmpeg.count == 10)
    }
}

@Suite("OpenH264 base layer: errors")
struct OpenH264ErrorTests {
    @Test("configurations OpenH264 cannot code are refused with the field named")
    func invalidConfigurations() {
        func refused(_ c: BaseEncoderConfiguration) -> Bool {
            do { _ = try OpenH264Encoder(c); return false } catch { if case .invalidConfiguration = error { return true }; return false }
        }
        let good = BaseEncoderConfiguration(width: 64, height: 64, frameRate: FrameRate(25), temporalLayers: 2, rateControl: .constantQP(30))
        var c = good; c.temporalLayers = 5
        #expect(refused(c))
        c = good; c.temporalLayers = 0
        #expect(refused(c))
        c = good; c.spatialLayers = []
        #expect(refused(c))
        c = good; c.spatialLayers[0].width = 63
        #expect(refused(c))
        c = good; c.spatialLayers[0].rateControl = .constantQP(52)
        #expect(refused(c))
        c = good; c.idrInterval = 3
        #expect(refused(c))
        c = good; c.spatialLayers = [SpatialLayerSpec(width: 64, height: 64, rateControl: .constantQP(30)),
                                     SpatialLayerSpec(width: 32, height: 32, rateControl: .constantQP(30))]
        #expect(refused(c))
        c = good; c.spatialLayers = [SpatialLayerSpec(width: 32, height: 32, rateControl: .bitrate(kbps: 100)),
                                     SpatialLayerSpec(width: 64, height: 64, rateControl: .constantQP(30))]
        #expect(refused(c))
        #expect(!refused(good))
    }

    @Test("an empty access unit gives no picture and no error")
    func emptyAccessUnit() throws {
        let decoder = try OpenH264Decoder()
        #expect(try decoder.decode([]) == nil)
        #expect(try decoder.flush().isEmpty)
    }

    @Test("a frame of the wrong size is refused")
    func wrongFrameSize() throws {
        let encoder = try OpenH264Encoder(BaseEncoderConfiguration(width: 64, height: 64, frameRate: FrameRate(25), temporalLayers: 1, rateControl: .constantQP(30)))
        #expect(throws: BaseLayerError.frameSizeMismatch(expected: "64x64", got: "32x32")) {
            _ = try encoder.encode(Frame(width: 32, height: 32), forceIDR: true)
        }
    }

    @Test("a slice without parameter sets is a decode error naming the access unit")
    func sliceWithoutParameterSets() throws {
        let frames = TestClips.qcif(frames: 2)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 1, rateControl: .constantQP(30))
        let units = try TestClips.encode(frames, config)
        let decoder = try OpenH264Decoder()
        let slicesOnly = units[0].nalUnits.filter { !$0.isParameterSet }
        #expect {
            _ = try decoder.decode(slicesOnly)
        } throws: { error in
            guard case .decodeFailed(let au, let state) = error as? BaseLayerError else { return false }
            return au == 0 && state != 0
        }
    }

    @Test("garbage after good parameter sets is a decode error, not a crash")
    func garbageSlice() throws {
        let frames = TestClips.qcif(frames: 1)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 1, rateControl: .constantQP(30))
        let unit = try TestClips.encode(frames, config)[0]
        var damaged = unit.nalUnits
        if let i = damaged.firstIndex(where: { $0.type == NALUnitType.idrSlice }) {
            let n = damaged[i].bytes.count
            for k in stride(from: 2, to: n, by: 3) { damaged[i].bytes[k] ^= 0xA5 }
            damaged[i].bytes.removeLast(n / 2)
        }
        let decoder = try OpenH264Decoder()
        var threw = false
        do { _ = try decoder.decode(damaged) } catch { threw = true }
        #expect(threw)
    }
}
