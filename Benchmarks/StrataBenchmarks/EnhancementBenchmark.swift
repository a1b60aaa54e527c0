import StrataBase
import StrataCore
import StrataEnhancement
#if canImport(Glibc)
import Glibc
#endif

/// Enhancement codec speed at 1280x720: two enhancement layers (2x over a 640x360 OpenH264 base,
/// then a 1x refinement) on a generated clip. Reports decode frames per second of all enhancement
/// layers (base decode excluded) and its ratio to a memcpy of the same frame bytes, encode frames
/// per second beside x264 medium on the same frames, and SIMD against scalar kernels, all measured in
/// one run. Speeds are frames per second of processor time (all threads of the process), so other
/// work on a shared machine does not distort them; x264 with automatic threads is reported the same way.
///
/// Arguments: `--frames N` (default 40), `--qp Q` (layer 1 QP, default 30; layer 2 uses Q - 6),
/// `--passes P` (decode passes, the best counts; default 3).
func runEnhancementBenchmark(arguments: [String]) throws {
    var frameCount = 40, qp = 30, passes = 3
    var i = 0
    while i < arguments.count {
        let value = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch arguments[i] {
        case "--frames": frameCount = Int(value) ?? frameCount
        case "--qp": qp = Int(value) ?? qp
        case "--passes": passes = max(Int(value) ?? passes, 1)
        default:
            print("enhancement: unknown argument \(arguments[i]) (known: --frames --qp --passes)")
            return
        }
        i += 2
    }
    let width = 1280, height = 720, rate = FrameRate(25), temporalLayers = 3
    print("enhancement benchmark: \(width)x\(height), \(frameCount) frames of a generated clip, layers over a 640x360 OpenH264 base")
    let frames = SyntheticClip(width: width, height: height, frameRate: rate, frameCount: frameCount, seed: 11).frames()
    let seconds = Double(frameCount) / rate.framesPerSecond

    // The base: OpenH264 at half size, decoded (not timed).
    let downscaler = try Scaler(from: width, height, to: width / 2, height / 2)
    let baseEncoder = try OpenH264Encoder(BaseEncoderConfiguration(width: width / 2, height: height / 2, frameRate: rate,
                                                                   temporalLayers: temporalLayers, rateControl: .constantQP(32)))
    let baseDecoder = try OpenH264Decoder()
    var base: [Frame] = [], temporalIds: [Int] = [], baseBytes = 0
    for (n, frame) in frames.enumerated() {
        let unit = try baseEncoder.encode(downscaler.scale(frame), forceIDR: n == 0)
        baseBytes += AnnexB.serialize(unit.nalUnits).count
        temporalIds.append(unit.temporalId)
        if let decoded = try baseDecoder.decode(unit.nalUnits) { base.append(decoded) }
    }
    base += try baseDecoder.flush()
    guard base.count == frameCount else {
        print("enhancement: the base decoder returned \(base.count) of \(frameCount) frames")
        return
    }

    // Encode both layers (one thread).
    let p1 = EnhancementLayerParameters(width: width, height: height, referenceWidth: width / 2, referenceHeight: height / 2,
                                        qp: qp, temporalLayers: temporalLayers)
    let p2 = EnhancementLayerParameters(width: width, height: height, referenceWidth: width, referenceHeight: height,
                                        qp: max(qp - 6, 0), temporalLayers: temporalLayers)
    let encoder1 = try EnhancementEncoder(parameters: p1), encoder2 = try EnhancementEncoder(parameters: p2)
    var layer1: [EncodedEnhancementFrame] = [], layer2: [EncodedEnhancementFrame] = []
    let encodeTime1 = try processorTime {
        for n in 0..<frameCount { layer1.append(try encoder1.encode(source: frames[n], lower: base[n], temporalId: temporalIds[n])) }
    }
    let encodeTime2 = try processorTime {
        for n in 0..<frameCount {
            layer2.append(try encoder2.encode(source: frames[n], lower: layer1[n].reconstruction, temporalId: temporalIds[n]))
        }
    }

    // Decode both layers (one thread), best of `passes`.
    let decoder1 = try EnhancementDecoder(parameters: p1), decoder2 = try EnhancementDecoder(parameters: p2)
    var decodeTime = Double.infinity
    var mismatches = 0
    for _ in 0..<passes {
        decoder1.beginSegment()
        decoder2.beginSegment()
        let t = try processorTime {
            for n in 0..<frameCount {
                let l1 = try decoder1.decode(payload: layer1[n].payload, lower: base[n], temporalId: temporalIds[n])
                let l2 = try decoder2.decode(payload: layer2[n].payload, lower: l1, temporalId: temporalIds[n])
                if n == frameCount - 1 && !l2.hasSameSamples(as: layer2[n].reconstruction) { mismatches += 1 }
            }
        }
        decodeTime = min(decodeTime, t)
    }

    // memcpy of the same frame bytes: one I420 720p picture per layer and frame.
    let pictureBytes = Frame.packedByteCount(width: width, height: height)
    let sourceBuffer = [UInt8](repeating: 1, count: pictureBytes)
    var destination = [UInt8](repeating: 0, count: pictureBytes)
    var copyTime = Double.infinity
    for _ in 0..<3 {
        let t = processorTime {
            sourceBuffer.withUnsafeBytes { s in
                destination.withUnsafeMutableBytes { d in
                    for _ in 0..<(2 * frameCount) { d.baseAddress!.copyMemory(from: s.baseAddress!, byteCount: pictureBytes) }
                }
            }
        }
        copyTime = min(copyTime, t)
    }

    // x264 medium on the same frames.
    var x264FPS: [(String, Double)] = []
    for threads in [1] {
        let x264 = try X264Encoder(width: width, height: height, frameRate: rate, preset: .medium, rateControl: .crf(23), threads: threads)
        let t = try processorTime {
            for frame in frames { _ = try x264.encode(frame) }
            _ = try x264.flush()
        }
        x264FPS.append(("x264 medium CRF 23, \(threads) thread", Double(frameCount) / t))
    }

    var q0 = QualityAccumulator(), q1 = QualityAccumulator(), q2 = QualityAccumulator()
    let upscaler = try Scaler(from: width / 2, height / 2, to: width, height)
    for n in 0..<frameCount {
        q0.add(reference: frames[n], test: upscaler.scale(base[n]), measureSSIM: false)
        q1.add(reference: frames[n], test: layer1[n].reconstruction, measureSSIM: false)
        q2.add(reference: frames[n], test: layer2[n].reconstruction, measureSSIM: false)
    }
    func kbps(_ bytes: Int) -> Double { Double(bytes) * 8 / 1000 / seconds }
    let bytes1 = layer1.reduce(0) { $0 + $1.payload.count }, bytes2 = layer2.reduce(0) { $0 + $1.payload.count }
    print("")
    print(pad("layer", 34) + pad("kbit/s", 10) + pad("PSNR-Y", 10) + "encode fps")
    print(pad("L0 OpenH264 640x360 QP 32", 34) + pad(format(kbps(baseBytes), 0), 10) + pad(format(q0.psnrY, 2), 10))
    print(pad("L1 1280x720 (2x) QP \(p1.qp)", 34) + pad(format(kbps(bytes1), 0), 10) + pad(format(q1.psnrY, 2), 10)
          + format(Double(frameCount) / encodeTime1, 1))
    print(pad("L2 1280x720 (1x) QP \(p2.qp)", 34) + pad(format(kbps(bytes2), 0), 10) + pad(format(q2.psnrY, 2), 10)
          + format(Double(frameCount) / encodeTime2, 1))
    let decodeFPS = Double(frameCount) / decodeTime, copyFPS = Double(frameCount) / copyTime
    let encodeFPS = Double(frameCount) / (encodeTime1 + encodeTime2)
    print("")
    print("enhancement decode, both layers (1 thread): \(format(decodeFPS, 1)) fps (target 300)\(mismatches > 0 ? "  MISMATCH" : "")")
    print("memcpy of the same frame bytes:              \(format(copyFPS, 1)) fps; decode / memcpy = \(format(decodeFPS / copyFPS, 4))")
    print("enhancement encode, both layers (1 thread): \(format(encodeFPS, 1)) fps; per layer \(format(Double(frameCount) / encodeTime1, 1)) and \(format(Double(frameCount) / encodeTime2, 1))")
    for (label, fps) in x264FPS {
        print("\(pad(label, 43)) \(format(fps, 1)) fps; enhancement encode (both layers) / x264 = \(format(encodeFPS / fps, 2))")
    }
    print("")
    print(pad("kernel", 40) + pad("scalar ns", 12) + pad("SIMD ns", 12) + "speed-up")
    for k in EnhancementKernels.measure() {
        print(pad(k.name, 40) + pad(format(k.scalarNanoseconds, 1), 12) + pad(format(k.simdNanoseconds, 1), 12)
              + format(k.scalarNanoseconds / k.simdNanoseconds, 2))
    }
}

/// Processor time of the whole process (all threads) spent in `body`, in seconds. The machines the
/// benchmark runs on are shared, so wall-clock time would count other programs' work; processor time
/// gives the single-core speed of single-threaded code.
func processorTime(_ body: () throws -> Void) rethrows -> Double {
    func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    let start = now()
    try body()
    return now() - start
}
