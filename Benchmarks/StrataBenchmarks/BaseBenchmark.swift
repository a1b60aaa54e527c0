import Strata
import StrataBase
import StrataCore

/// Base-layer speed: OpenH264 encode and decode at 1280x720 (3 temporal layers, constant QP 26),
/// beside x264 medium and ultrafast on the same frames in the same run, reported as ratios.
///
/// Arguments: `--frames N` (default 60), `--width W --height H` (default 1280x720), `--qp Q` (26),
/// `--crf F` (x264, 23).
func runBaseBenchmark(arguments: [String]) throws {
    var frameCount = 60, width = 1280, height = 720, qp = 26
    var crf = 23.0
    var i = 0
    while i < arguments.count {
        let value = i + 1 < arguments.count ? arguments[i + 1] : ""
        switch arguments[i] {
        case "--frames": frameCount = Int(value) ?? frameCount
        case "--width": width = Int(value) ?? width
        case "--height": height = Int(value) ?? height
        case "--qp": qp = Int(value) ?? qp
        case "--crf": crf = Double(value) ?? crf
        default:
            print("base: unknown argument \(arguments[i]) (known: --frames --width --height --qp --crf)")
            return
        }
        i += 2
    }
    let rate = FrameRate(25)
    print("base benchmark: \(width)x\(height), \(frameCount) frames of a generated clip")
    let frames = SyntheticClip(width: width, height: height, frameRate: rate, frameCount: frameCount, seed: 11).frames()
    let seconds = Double(frameCount) / rate.framesPerSecond

    // OpenH264 encode.
    let config = BaseEncoderConfiguration(width: width, height: height, frameRate: rate, temporalLayers: LayerPlan.standard.temporalLayers, rateControl: .constantQP(qp))
    let encoder = try OpenH264Encoder(config)
    var units: [AccessUnit] = []
    units.reserveCapacity(frameCount)
    let encodeTime = try measure {
        for (n, frame) in frames.enumerated() { units.append(try encoder.encode(frame, forceIDR: n == 0)) }
    }
    let openH264Bytes = units.reduce(0) { $0 + AnnexB.serialize($1.nalUnits).count }

    // OpenH264 decode.
    let decoder = try OpenH264Decoder()
    var decoded: [Frame] = []
    decoded.reserveCapacity(frameCount)
    let decodeTime = try measure {
        for unit in units { if let f = try decoder.decode(unit.nalUnits) { decoded.append(f) } }
    }
    var quality = QualityAccumulator()
    for (d, s) in zip(decoded, frames) { quality.add(reference: s, test: d, measureSSIM: false) }

    // x264 on the same frames.
    struct X264Run { var label: String; var fps: Double; var kbps: Double }
    var x264Runs: [X264Run] = []
    for (preset, threads) in [(X264Preset.medium, 0), (.medium, 1), (.ultrafast, 0)] {
        let x264 = try X264Encoder(width: width, height: height, frameRate: rate, preset: preset, rateControl: .crf(crf), threads: threads)
        var bytes = 0
        let time = try measure {
            for frame in frames { bytes += try x264.encode(frame).count }
            bytes += try x264.flush().count
        }
        let label = "x264 \(preset.rawValue) CRF \(format(crf, 0)) (\(threads == 0 ? "auto threads" : threads == 1 ? "1 thread" : "\(threads) threads"))"
        x264Runs.append(X264Run(label: label, fps: Double(frameCount) / time, kbps: Double(bytes) * 8 / 1000 / seconds))
    }

    let encodeFPS = Double(frameCount) / encodeTime, decodeFPS = Double(decoded.count) / decodeTime
    print("")
    print(pad("encoder", 44) + pad("fps", 10) + pad("kbit/s", 10))
    print(pad("OpenH264 T3 QP \(qp) (1 thread)", 44) + pad(format(encodeFPS, 1), 10) + pad(format(Double(openH264Bytes) * 8 / 1000 / seconds, 0), 10)
          + "PSNR-Y \(format(quality.psnrY, 2)) dB")
    for run in x264Runs { print(pad(run.label, 44) + pad(format(run.fps, 1), 10) + pad(format(run.kbps, 0), 10)) }
    print(pad("OpenH264 decode", 44) + pad(format(decodeFPS, 1), 10) + "\(decoded.count)/\(frameCount) frames")
    print("")
    for run in x264Runs {
        print("OpenH264 encode fps / \(run.label) fps = \(format(encodeFPS / run.fps, 2))")
    }
    print("OpenH264 decode fps / OpenH264 encode fps = \(format(decodeFPS / encodeFPS, 2))")
}

private func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
