import Strata
import StrataBase
import StrataCore
import StrataEnhancement
#if canImport(Glibc)
import Glibc
#endif

/// Enhancement codec speed at 1280x720 on a generated clip (or on the first frames of a real one,
/// `--clip`), with the layers of the default plan (``LayerPlan/standard``: a quarter-size OpenH264
/// base, a 2x layer to half size, a 2x layer to full size, then 1x quality layers) or of `--layers`. Reports decode frames
/// per second of all enhancement layers (base decode excluded), as a player decodes them (the
/// layers below the top form their unreferenced pictures only where the layer above reads them;
/// beside it, in alternate passes, with those pictures formed whole), and its ratio to a memcpy of the
/// same frame bytes, encode frames per second beside x264 medium on the same frames, and SIMD
/// against scalar kernels, all measured in one run.
/// Speeds are frames per second of processor time (all threads of the process), so other work on a
/// shared machine does not distort them; x264 with automatic threads is reported the same way.
///
/// Arguments: `--frames N` (default 40), `--base-divisor D`, `--base-qp Q` and `--layers LIST` (as
/// `strata encode --layers`, QPs only; what is not given comes from the default plan for the clip's
/// size, ``LayerPlan/standard(sourceWidth:sourceHeight:baseDivisor:layers:)``), `--passes P` (decode passes
/// of each kind, the best counts; default 3), `--clip FILE.y4m` (its first `--frames` frames at its own size
/// instead of the generated clip: a real clip's layers code more residual and their vectors spread
/// over the reference pictures, so both directions run slower on it), `--no-kernels` (leaves out
/// the SIMD-against-scalar kernel table).
func runEnhancementBenchmark(arguments: [String]) throws {
    var frameCount = 40, passes = 3, baseQP = LayerPlan.standard.baseQP, kernels = true
    var givenDivisor: Int?, givenLayers: [EnhancementLayerPlan]?
    var clipPath: String?
    var i = 0
    while i < arguments.count {
        let value = i + 1 < arguments.count ? arguments[i + 1] : ""
        if arguments[i] == "--no-kernels" {
            kernels = false
            i += 1
            continue
        }
        switch arguments[i] {
        case "--frames": frameCount = Int(value) ?? frameCount
        case "--base-qp": baseQP = Int(value) ?? baseQP
        case "--base-divisor": givenDivisor = Int(value)
        case "--layers": givenLayers = try EnhancementLayerPlan.list(parsing: value)
        case "--passes": passes = max(Int(value) ?? passes, 1)
        case "--clip": clipPath = value
        default:
            print("enhancement: unknown argument \(arguments[i]) (known: --frames --base-divisor --base-qp --layers --passes --clip --no-kernels)")
            return
        }
        i += 2
    }
    let frames: [Frame], rate: FrameRate, clipName: String
    if let clipPath {
        let reader = try Y4MReader(path: clipPath)
        var read: [Frame] = []
        while read.count < frameCount, let frame = try reader.read() { read.append(frame) }
        guard !read.isEmpty else {
            print("enhancement: no frames in \(clipPath)")
            return
        }
        (frames, rate, clipName) = (read, reader.format.frameRate, clipPath.split(separator: "/").last.map(String.init) ?? clipPath)
        frameCount = read.count
    } else {
        rate = FrameRate(25)
        frames = SyntheticClip(width: 1280, height: 720, frameRate: rate, frameCount: frameCount, seed: 11).frames()
        clipName = "a generated clip"
    }
    let width = frames[0].width, height = frames[0].height
    var plan = LayerPlan.standard(sourceWidth: width, sourceHeight: height, baseDivisor: givenDivisor, layers: givenLayers)
    plan.baseQP = baseQP
    let layers = plan.enhancementLayers, temporalLayers = plan.temporalLayers
    guard !layers.isEmpty, layers.allSatisfy({ $0.target == nil }) else {
        print("enhancement: give at least one layer, each with a QP")
        return
    }
    try plan.validate(sourceWidth: width, sourceHeight: height)
    let (baseWidth, baseHeight) = plan.size(ofLayer: 0, sourceWidth: width, sourceHeight: height)
    print("enhancement benchmark: \(width)x\(height), \(frameCount) frames of \(clipName), "
          + "\(layers.count) layers over a \(baseWidth)x\(baseHeight) OpenH264 base")
    let seconds = Double(frameCount) / rate.framesPerSecond

    // The base: OpenH264 at the plan's size, decoded (not timed).
    // Every picture smaller than the source is made as `strata encode` makes it (Lanczos).
    func scaled(_ w: Int, _ h: Int) throws -> [Frame] {
        if (w, h) == (width, height) { return frames }
        let scaler = try Scaler(from: width, height, to: w, h, filter: .lanczos)
        return frames.map { scaler.scale($0) }
    }
    let baseSources = try scaled(baseWidth, baseHeight)
    let baseEncoder = try OpenH264Encoder(BaseEncoderConfiguration(width: baseWidth, height: baseHeight, frameRate: rate,
                                                                   temporalLayers: temporalLayers, rateControl: .constantQP(baseQP)))
    let baseDecoder = try OpenH264Decoder()
    var base: [Frame] = [], temporalIds: [Int] = [], baseBytes = 0
    for (n, source) in baseSources.enumerated() {
        let unit = try baseEncoder.encode(source, forceIDR: n == 0)
        baseBytes += AnnexB.serialize(unit.nalUnits).count
        temporalIds.append(unit.temporalId)
        if let decoded = try baseDecoder.decode(unit.nalUnits) { base.append(decoded) }
    }
    base += try baseDecoder.flush()
    guard base.count == frameCount else {
        print("enhancement: the base decoder returned \(base.count) of \(frameCount) frames")
        return
    }

    // Encode the layers (one thread), each over the reconstruction of the one below, in the layers'
    // coding order (a frame after the later frame of a lower temporal id it also predicts from).
    let order = EnhancementCodingOrder.indices(temporalIds: temporalIds)
    var parameters: [EnhancementLayerParameters] = []
    var coded: [[EncodedEnhancementFrame]] = [], encodeTimes: [Double] = []
    var lower = base
    var lowerMotion: [MotionField]? = nil
    for (k, layer) in layers.enumerated() {
        let (w, h) = plan.size(ofLayer: k + 1, sourceWidth: width, sourceHeight: height)
        let (rw, rh) = plan.size(ofLayer: k, sourceWidth: width, sourceHeight: height)
        // As `strata encode` configures it: over an enhancement layer of its size or half of it, inter-layer motion.
        let motion = k > 0 && EnhancementLayerParameters.interLayerMotionPossible(width: w, height: h, referenceWidth: rw, referenceHeight: rh)
        let p = EnhancementLayerParameters(width: w, height: h, referenceWidth: rw, referenceHeight: rh,
                                           qp: layer.qp, temporalLayers: temporalLayers, interLayerMotion: motion)
        let encoder = try EnhancementEncoder(parameters: p)
        let sources = try scaled(w, h)
        var layerFrames = [EncodedEnhancementFrame?](repeating: nil, count: frameCount)
        encodeTimes.append(try processorTime {
            for n in order {
                layerFrames[n] = try encoder.encode(source: sources[n], lower: lower[n], lowerMotion: lowerMotion?[n],
                                                    temporalId: temporalIds[n], position: n)
            }
        })
        parameters.append(p)
        coded.append(layerFrames.map { $0! })
        lower = coded[k].map(\.reconstruction)
        lowerMotion = coded[k].map(\.motion)
    }

    // Decode all layers (one thread), best of `passes`. As a player decodes, the layers below the top form their
    // unreferenced pictures only where the layer above reads them; passes alternate with passes that form them whole,
    // so that what deferring saves is measured in the same process, under the same load.
    let decoders = try parameters.map { try EnhancementDecoder(parameters: $0) }
    var decodeTime = Double.infinity, wholeDecodeTime = Double.infinity
    // Per layer, in the pass with the best total: each layer's share (the top layer's includes copying its picture out).
    var layerDecodeTimes = [Double](repeating: 0, count: decoders.count)
    var mismatches = 0
    for pass in 0..<2 * passes {
        let defers = pass % 2 == 0
        for decoder in decoders.dropLast() { decoder.defersUnreferencedPictures = defers }
        for decoder in decoders { decoder.beginSegment() }
        var layerTimes = [Double](repeating: 0, count: decoders.count)
        let t = try processorTime {
            for n in order {
                // As a player decodes: each layer reads the one below in place; only the top picture is copied out.
                layerTimes[0] += try processorTime {
                    try decoders[0].decodeFrame(payload: coded[0][n].payload, lower: base[n], temporalId: temporalIds[n], position: n)
                }
                for k in 1..<decoders.count {
                    layerTimes[k] += try processorTime {
                        try decoders[k].decodeFrame(payload: coded[k][n].payload, over: decoders[k - 1], temporalId: temporalIds[n])
                    }
                }
                var picture: Frame?
                layerTimes[decoders.count - 1] += processorTime { picture = decoders[decoders.count - 1].decodedFrame() }
                if n == order.last! && !picture!.hasSameSamples(as: coded[coded.count - 1][n].reconstruction) { mismatches += 1 }
            }
        }
        guard defers else {
            wholeDecodeTime = min(wholeDecodeTime, t)
            continue
        }
        if t < decodeTime { layerDecodeTimes = layerTimes }
        decodeTime = min(decodeTime, t)
    }

    // memcpy of the same frame bytes: one picture per layer and frame.
    let pictureBytes = parameters.map { Frame.packedByteCount(width: $0.width, height: $0.height) }
    let sourceBuffer = [UInt8](repeating: 1, count: pictureBytes.max()!)
    var destination = [UInt8](repeating: 0, count: pictureBytes.max()!)
    var copyTime = Double.infinity
    for _ in 0..<3 {
        let t = processorTime {
            sourceBuffer.withUnsafeBytes { s in
                destination.withUnsafeMutableBytes { d in
                    for _ in 0..<frameCount {
                        for bytes in pictureBytes { d.baseAddress!.copyMemory(from: s.baseAddress!, byteCount: bytes) }
                    }
                }
            }
        }
        copyTime = min(copyTime, t)
    }

    // x264 medium on the same frames.
    let x264 = try X264Encoder(width: width, height: height, frameRate: rate, preset: .medium, rateControl: .crf(23), threads: 1)
    let x264Time = try processorTime {
        for frame in frames { _ = try x264.encode(frame) }
        _ = try x264.flush()
    }
    let x264FPS = Double(frameCount) / x264Time

    // Quality at the source's size: smaller pictures upscaled, as the harness measures them (one
    // scaler per size).
    var upscalers: [[Int]: Scaler] = [:]
    func upscaled(_ picture: Frame) throws -> Frame {
        if picture.width == width && picture.height == height { return picture }
        let size = [picture.width, picture.height]
        let scaler = try upscalers[size] ?? Scaler(from: picture.width, picture.height, to: width, height)
        upscalers[size] = scaler
        return scaler.scale(picture)
    }
    func kbps(_ bytes: Int) -> Double { Double(bytes) * 8 / 1000 / seconds }
    func psnr(_ pictures: (Int) throws -> Frame) rethrows -> Double {
        var q = QualityAccumulator()
        for n in 0..<frameCount { q.add(reference: frames[n], test: try pictures(n), measureSSIM: false) }
        return q.psnrY
    }
    print("")
    print(pad("layer", 34) + pad("kbit/s", 10) + pad("PSNR-Y", 10) + pad("encode fps", 12) + "decode fps")
    print(pad("L0 OpenH264 \(baseWidth)x\(baseHeight) QP \(baseQP)", 34) + pad(format(kbps(baseBytes), 0), 10)
          + pad(format(try psnr { try upscaled(base[$0]) }, 2), 10))
    for (k, p) in parameters.enumerated() {
        let kind = p.width == p.referenceWidth ? "1x" : "2x"
        print(pad("L\(k + 1) \(p.width)x\(p.height) (\(kind)) QP \(p.qp)", 34)
              + pad(format(kbps(coded[k].reduce(0) { $0 + $1.payload.count }), 0), 10)
              + pad(format(try psnr { try upscaled(coded[k][$0].reconstruction) }, 2), 10) + pad(format(Double(frameCount) / encodeTimes[k], 1), 12)
              + format(Double(frameCount) / layerDecodeTimes[k], 1))
    }
    let decodeFPS = Double(frameCount) / decodeTime, copyFPS = Double(frameCount) / copyTime
    let encodeFPS = Double(frameCount) / encodeTimes.reduce(0, +)
    let perLayer = encodeTimes.map { format(Double(frameCount) / $0, 1) }.joined(separator: ", ")
    print("")
    print("enhancement decode, all \(layers.count) layers (1 thread): \(format(decodeFPS, 1)) fps (target 300)"
          + (mismatches > 0 ? "  MISMATCH" : ""))
    print("  the lower layers' unreferenced pictures formed whole (alternate passes): \(format(Double(frameCount) / wholeDecodeTime, 1)) fps; "
          + "formed where read / whole = \(format(wholeDecodeTime / decodeTime, 3))")
    print("memcpy of the same frame bytes: \(format(copyFPS, 1)) fps; decode / memcpy = \(format(decodeFPS / copyFPS, 4))")
    print("enhancement encode, all layers (1 thread): \(format(encodeFPS, 1)) fps; per layer \(perLayer)")
    print("x264 medium CRF 23, 1 thread: \(format(x264FPS, 1)) fps; enhancement encode (all layers) / x264 = "
          + "\(format(encodeFPS / x264FPS, 2)); per layer / x264 = "
          + encodeTimes.map { format(Double(frameCount) / $0 / x264FPS, 2) }.joined(separator: ", "))
    guard kernels else { return }
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
