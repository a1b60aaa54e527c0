import ArgumentParser
import Foundation
import Strata

struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a stream's layers, resolutions, sizes, bitrates and segments.")

    @Argument(help: "Stream directory (or http(s) URL of a served stream).")
    var stream: String

    @Flag(help: "Print manifest.json as JSON.")
    var json = false

    func run() async throws {
        let reader = try await openStream(stream)
        if json {
            print(String(decoding: reader.manifest.encoded(), as: UTF8.self), terminator: "")
        } else {
            print(InfoTable.render(reader.manifest))
        }
    }
}

/// The human-readable table of a stream's layers.
enum InfoTable {
    static func render(_ m: StreamManifest) -> String {
        var lines: [String] = []
        let fps = Double(m.source.fpsNum) / Double(m.source.fpsDen)
        lines.append("source \(m.source.width)x\(m.source.height) @ \(format(fps, 3)) fps, \(counted(m.source.frames, "frame")), \(counted(m.segments.count, "segment")) of \(format(m.segmentSeconds, 2)) s, \(m.temporalLayers) temporal layers")
        func dependencies(_ layer: StreamManifest.Layer) -> String { layer.dependsOn.isEmpty ? "-" : layer.dependsOn.joined(separator: ",") }
        // As wide as the longest list of layers below (five layers name four), and a space.
        let dependsWidth = max(10, m.layers.map { dependencies($0).count }.max() ?? 0) + 1
        lines.append(pad("layer", 6) + pad("kind", 13) + pad("codec", 14) + pad("size", 11) + lpad("kbps", 10) + lpad("total kbps", 12) + lpad("bytes", 11)
                     + "  " + pad("depends on", dependsWidth) + "coded at")
        var cumulative = 0.0
        for layer in m.layers {
            cumulative += layer.kbps
            lines.append(pad(layer.id, 6) + pad(layer.kind.rawValue, 13) + pad(layer.codec, 14) + pad("\(layer.width)x\(layer.height)", 11)
                         + lpad(format(layer.kbps, 1), 10) + lpad(format(cumulative, 1), 12) + lpad("\(layer.bytes)", 11)
                         + "  " + pad(dependencies(layer), dependsWidth) + codedAt(layer))
        }
        return lines.joined(separator: "\n")
    }

    /// How the layer's quantizer was set: a constant QP, or a target and the QP of each segment.
    static func codedAt(_ layer: StreamManifest.Layer) -> String {
        var target: [String] = []
        if let kbps = layer.targetKbps { target.append("target \(format(kbps, 0)) kbps") }
        if let psnr = layer.targetPSNRY { target.append("target \(format(psnr, 1)) dB") }
        if let qps = layer.segmentQPs {
            let shown = qps.count <= 8 ? qps.map(String.init).joined(separator: " ") : "\(qps.min()!)...\(qps.max()!)"
            target.append("QP \(shown)")
        }
        if target.isEmpty, let qp = layer.qp { target.append("QP \(qp)") }
        if let weight = layer.chromaWeight { target.append("chroma weight \(weight)") }
        return target.isEmpty ? "-" : target.joined(separator: ", ")
    }
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
