import Foundation
import Strata
import StrataBase
import StrataCore
import StrataEnhancement

/// Rate-distortion of one enhancement layer on a real clip: a 2x layer over a half-size OpenH264 base,
/// against x264 medium single-layer encodes of the full-size clip (CRF sweep, decoded by ffmpeg), compared
/// at equal luma PSNR by log-rate interpolation. Prints, per layer QP, the layer's rate, the layered total
/// (base + layer) and both as ratios to x264's rate at the same PSNR, and the layer's encode speed
/// (frames per second of processor time, one thread).
///
/// Arguments: `CLIP.y4m [--frames N] [--base-qp Q] [--qps 22,26,30] [--no-x264]` (`--no-x264` skips
/// the x264 sweep and prints the layer's own figures only).
func runEnhancementRateDistortionBenchmark(arguments: [String]) throws {
    guard let path = arguments.first, path.hasSuffix(".y4m") else {
        print("enhancement-rd: give a .y4m clip (e.g. ffmpeg -i clip.mp4 -frames:v 60 -pix_fmt yuv420p clip.y4m)")
        return
    }
    var frameLimit = 60, baseQP = 30, qps = [22, 26, 30], withX264 = true
    var i = 1
    while i < arguments.count {
        if arguments[i] == "--no-x264" { withX264 = false; i += 1; continue }
        let value = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch arguments[i] {
        case "--frames": frameLimit = Int(value) ?? frameLimit
        case "--base-qp": baseQP = Int(value) ?? baseQP
        case "--qps": qps = value.split(separator: ",").compactMap { Int($0) }
        default:
            print("enhancement-rd: unknown argument \(arguments[i]) (known: --frames --base-qp --qps --no-x264)")
            return
        }
        i += 2
    }
    let reader = try Y4MReader(path: path)
    var frames: [Frame] = []
    while frames.count < frameLimit, let f = try reader.read() { frames.append(f) }
    guard let first = frames.first else { print("enhancement-rd: no frames in \(path)"); return }
    let w = first.width, h = first.height, rate = FrameRate(25)
    let seconds = Double(frames.count) / rate.framesPerSecond

    let down = try Scaler(from: w, h, to: w / 2, h / 2)
    let baseEncoder = try OpenH264Encoder(BaseEncoderConfiguration(width: w / 2, height: h / 2, frameRate: rate,
                                                                   temporalLayers: LayerPlan.standard.temporalLayers, rateControl: .constantQP(baseQP)))
    let baseDecoder = try OpenH264Decoder()
    var base: [Frame] = [], temporalIds: [Int] = [], baseBytes = 0
    for (n, f) in frames.enumerated() {
        let unit = try baseEncoder.encode(down.scale(f), forceIDR: n == 0)
        baseBytes += AnnexB.serialize(unit.nalUnits).count
        temporalIds.append(unit.temporalId)
        if let d = try baseDecoder.decode(unit.nalUnits) { base.append(d) }
    }
    base += try baseDecoder.flush()
    guard base.count == frames.count else { print("enhancement-rd: base decoded \(base.count) of \(frames.count) frames"); return }
    let up = try Scaler(from: w / 2, h / 2, to: w, h)
    var baseQuality = QualityAccumulator()
    for n in 0..<frames.count { baseQuality.add(reference: frames[n], test: up.scale(base[n]), measureSSIM: false) }
    let baseKbps = Double(baseBytes) * 8 / 1000 / seconds
    print("\(path): \(w)x\(h), \(frames.count) frames")
    print("base OpenH264 \(w / 2)x\(h / 2) QP \(baseQP): \(Int(baseKbps)) kbit/s, PSNR-Y (bicubic upscaled) \(String(format: "%.2f", baseQuality.psnrY))")

    var x264Points: [(kbps: Double, psnr: Double)] = []
    let stream = NSTemporaryDirectory() + "strata-enhancement-rd.h264", decoded = NSTemporaryDirectory() + "strata-enhancement-rd.yuv"
    for crf in stride(from: 16.0, through: 34.0, by: 3.0) where withX264 {
        let x264 = try X264Encoder(width: w, height: h, frameRate: rate, preset: .medium, rateControl: .crf(crf), threads: 0)
        var payload: [UInt8] = []
        for f in frames { payload += try x264.encode(f) }
        payload += try x264.flush()
        _ = FileManager.default.createFile(atPath: stream, contents: Data(payload))
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ffmpeg.arguments = ["ffmpeg", "-v", "error", "-y", "-i", stream, "-f", "rawvideo", "-pix_fmt", "yuv420p", decoded]
        try ffmpeg.run()
        ffmpeg.waitUntilExit()
        let data = try Data(contentsOf: URL(fileURLWithPath: decoded))
        let size = Frame.packedByteCount(width: w, height: h)
        guard data.count >= size * frames.count else { print("enhancement-rd: ffmpeg decoded too little"); return }
        var quality = QualityAccumulator()
        data.withUnsafeBytes { raw in
            for n in 0..<frames.count {
                let frame = Frame(width: w, height: h, packedI420: UnsafeRawBufferPointer(rebasing: raw[(n * size)..<((n + 1) * size)]))
                quality.add(reference: frames[n], test: frame, measureSSIM: false)
            }
        }
        x264Points.append((Double(payload.count) * 8 / 1000 / seconds, quality.psnrY))
    }
    try? FileManager.default.removeItem(atPath: stream)
    try? FileManager.default.removeItem(atPath: decoded)
    if withX264 { print("x264 medium: " + x264Points.map { String(format: "%.0f kbit/s %.2f dB", $0.kbps, $0.psnr) }.joined(separator: ", ")) }
    func x264Rate(atPSNR p: Double) -> Double {
        let points = x264Points.sorted { $0.psnr < $1.psnr }
        for k in 0..<max(points.count - 1, 0) where p >= points[k].psnr && p <= points[k + 1].psnr {
            let t = (p - points[k].psnr) / (points[k + 1].psnr - points[k].psnr)
            return exp(log(points[k].kbps) * (1 - t) + log(points[k + 1].kbps) * t)
        }
        return .nan
    }
    for qp in qps {
        let parameters = EnhancementLayerParameters(width: w, height: h, referenceWidth: w / 2, referenceHeight: h / 2, qp: qp, temporalLayers: LayerPlan.standard.temporalLayers)
        let encoder = try EnhancementEncoder(parameters: parameters)
        var coding = [EncodedEnhancementFrame?](repeating: nil, count: frames.count)
        let encodeTime = try processorTime {
            for n in EnhancementCodingOrder.indices(temporalIds: temporalIds) {
                coding[n] = try encoder.encode(source: frames[n], lower: base[n], temporalId: temporalIds[n], position: n)
            }
        }
        let coded = coding.map { $0! }
        var bytes = 0, quality = QualityAccumulator()
        for n in 0..<frames.count {
            bytes += coded[n].payload.count
            quality.add(reference: frames[n], test: coded[n].reconstruction, measureSSIM: false)
        }
        let kbps = Double(bytes) * 8 / 1000 / seconds, reference = x264Rate(atPSNR: quality.psnrY)
        let speed = String(format: "encode %.1f fps", Double(frames.count) / encodeTime)
        guard withX264 else {
            print(String(format: "layer QP %d: %.0f kbit/s (base + layer %.0f) PSNR-Y %.3f | %@", qp, kbps, kbps + baseKbps, quality.psnrY, speed))
            continue
        }
        print(String(format: "layer QP %d: %.0f kbit/s (base + layer %.0f) PSNR-Y %.2f | x264 medium at that PSNR %.0f kbit/s | layered / x264 %.2f, layer alone / x264 %.2f | %@",
                     qp, kbps, kbps + baseKbps, quality.psnrY, reference, (kbps + baseKbps) / reference, kbps / reference, speed))
    }
}
