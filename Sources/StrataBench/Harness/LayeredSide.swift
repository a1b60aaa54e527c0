import Foundation
import Strata

/// The layered stream's side of a run: encode with the Strata API, then rebuild every operating
/// point from the fragment files with the layered decoder, as a client would.
enum LayeredSide {
    /// One operating point measured.
    struct Point {
        var layers: Int
        var width: Int
        var height: Int
        var kbps: Double
        var score: QualityScore
        var decodeFps: Double
    }

    /// Encodes `frames` into `output` and returns the manifest and the wall time in seconds.
    static func encode(frames: [Frame], format: VideoFormat, clip: String, plan: LayerPlan, segmentSeconds: Double,
                       concurrency: Int?, output: String,
                       progress: (@Sendable (Int) -> Void)?) async throws(BenchError) -> (StreamManifest, Double) {
        let configuration = EncoderConfiguration(plan: plan, segmentSeconds: segmentSeconds, concurrency: concurrency)
        let start = Date()
        do {
            let manifest = try await StreamEncoder.encode(
                source: FrameSequenceSource(format: format, frames: frames), sourceName: clip, output: output,
                configuration: configuration, progress: { p in progress?(p.framesDone) })
            return (manifest, Date().timeIntervalSince(start))
        } catch {
            throw .layeredStreamFailed(step: "encode", reason: "\(error)")
        }
    }

    /// Kbit/s of layers `0..<layers` as stored (init segments and fragments).
    static func kbps(_ manifest: StreamManifest, layers: Int) -> Double {
        let bytes = manifest.layers.prefix(layers).reduce(0) { $0 + $1.bytes }
        return Double(bytes) * 8 / max(manifest.durationSeconds, 1e-9) / 1000
    }

    /// Kbit/s of the stream in `directory` that is not coded pictures: every layer's init segment and
    /// each fragment's bytes around its samples (``LayeredSummary/containerKbps``).
    static func containerKbps(directory: String) async throws(BenchError) -> Double {
        do {
            let reader = try await StreamReader(source: DirectorySource(path: directory))
            let manifest = reader.manifest
            var payload = 0
            for (layer, entry) in manifest.layers.enumerated() {
                for segment in manifest.segments {
                    let bytes = try await reader.fragment(layer: layer, segment: segment.index)
                    let fragment = try CMAFReader.parseMediaSegment(bytes, track: reader.tracks[layer], path: entry.fragments[segment.index])
                    payload += fragment.samples.reduce(0) { $0 + $1.data.count }
                }
            }
            return kbps(manifest, layers: manifest.layers.count) - Double(payload) * 8 / max(manifest.durationSeconds, 1e-9) / 1000
        } catch {
            throw .layeredStreamFailed(step: "measure the container", reason: "\(error)")
        }
    }

    /// Rebuilds operating point `layers` (all temporal layers) of the stream in `directory` and
    /// measures it. The decode rate counts the layered decoder alone, fragments already in memory.
    static func measure(directory: String, layers: Int, meter: QualityMeter) async throws -> Point {
        let reader: StreamReader
        let decoder: LayeredDecoder
        do {
            reader = try await StreamReader(source: DirectorySource(path: directory))
            decoder = try LayeredDecoder(reader: reader)
        } catch {
            throw BenchError.layeredStreamFailed(step: "open for decoding", reason: "\(error)")
        }
        let manifest = reader.manifest
        var fragments: [[[UInt8]?]] = []
        do {
            for segment in manifest.segments {
                var perLayer: [[UInt8]?] = []
                for layer in 0..<layers { perLayer.append(try await reader.fragment(layer: layer, segment: segment.index)) }
                fragments.append(perLayer)
            }
        } catch {
            throw BenchError.layeredStreamFailed(step: "read fragments", reason: "\(error)")
        }
        let target = OperatingPoint(layers: layers, temporalId: max(0, manifest.temporalLayers - 1))
        var decodeSeconds = 0.0
        var framesDecoded = 0
        var segmentIndex = 0
        var pending: [Frame] = []
        var pendingIndex = 0
        let layer = manifest.layers[layers - 1]
        let score = try meter.measure(label: "operating point L0-L\(layers - 1)") { () throws -> Frame? in
            while pendingIndex == pending.count {
                guard segmentIndex < manifest.segments.count else { return nil }
                let index = manifest.segments[segmentIndex].index
                let start = Date()
                let decoded: DecodedSegment
                do {
                    decoded = try decoder.decodeSegment(index, fragments: fragments[segmentIndex], target: target)
                } catch {
                    throw BenchError.layeredStreamFailed(step: "decode of segment \(index) at \(layers) layers", reason: "\(error)")
                }
                decodeSeconds += Date().timeIntervalSince(start)
                guard decoded.built.layers == layers else {
                    throw BenchError.layeredStreamFailed(step: "decode of segment \(index)",
                                                         reason: "built \(decoded.built.layers) layers instead of \(layers): \(decoded.fallbackReason ?? "no reason given")")
                }
                pending = decoded.frames
                pendingIndex = 0
                framesDecoded += pending.count
                segmentIndex += 1
            }
            pendingIndex += 1
            return pending[pendingIndex - 1]
        }
        return Point(layers: layers, width: layer.width, height: layer.height, kbps: kbps(manifest, layers: layers),
                     score: score, decodeFps: decodeSeconds > 0 ? Double(framesDecoded) / decodeSeconds : 0)
    }
}
