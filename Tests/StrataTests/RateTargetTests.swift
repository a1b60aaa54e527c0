import Foundation
import Testing
@testable import Strata
import StrataContainer

@Suite("Rate-controlled layers")
struct RateTargetTests {
    /// 96x64 at 8 fps, three segments of 1 s, so a target is met per segment and over the clip.
    static let clip = SyntheticClip(width: 96, height: 64, frameRate: FrameRate(8), frameCount: 24, seed: 21)

    static func plan(_ l1: EnhancementLayerPlan, _ l2: EnhancementLayerPlan) -> LayerPlan {
        LayerPlan(baseDivisor: 2, baseQP: 34, temporalLayers: 3, enhancementLayers: [l1, l2])
    }

    static func encode(_ plan: LayerPlan, into directory: String, concurrency: Int = 2) async throws -> StreamManifest {
        try await StreamEncoder.encode(source: FrameSequenceSource(format: clip.format, frames: clip.frames()),
                                       sourceName: "rate clip", output: directory,
                                       configuration: EncoderConfiguration(plan: plan, segmentSeconds: 1, concurrency: concurrency))
    }

    @Test("a bitrate target is met within 10 % over the clip, each segment's QP is recorded, and the output does not depend on the concurrency")
    func bitrateTarget() async throws {
        let work = TemporaryDirectory()
        defer { work.cleanup() }
        // The constant-QP encode tells what this clip costs, so the targets sit inside the reachable range.
        let constant = try await Self.encode(Self.plan(EnhancementLayerPlan(divisor: 1, qp: 34), EnhancementLayerPlan(divisor: 1, qp: 26)),
                                             into: work.path + "/qp")
        let targets = [constant.layers[1].kbps * 1.6, constant.layers[2].kbps * 0.6]
        let plan = Self.plan(EnhancementLayerPlan(divisor: 1, qp: 34, target: .kbps(targets[0])),
                             EnhancementLayerPlan(divisor: 1, qp: 26, target: .kbps(targets[1])))
        let manifest = try await Self.encode(plan, into: work.path + "/a")
        for k in 1...2 {
            let layer = manifest.layers[k]
            #expect(abs(layer.kbps / targets[k - 1] - 1) < 0.1, "L\(k): \(layer.kbps) kbit/s for a target of \(targets[k - 1]) at QPs \(layer.segmentQPs ?? [])")
            #expect(layer.qp == nil && layer.targetKbps == targets[k - 1] && layer.targetPSNRY == nil)
            #expect(layer.segmentQPs?.count == 3)
        }
        // More bits than at QP 34 need a lower QP somewhere; fewer than at QP 26, a higher one.
        #expect(manifest.layers[1].segmentQPs!.contains { $0 < 34 })
        #expect(manifest.layers[2].segmentQPs!.contains { $0 > 26 })
        #expect(manifest.layers[0].qp == 34 && manifest.layers[0].segmentQPs == nil)

        _ = try await Self.encode(plan, into: work.path + "/b", concurrency: 1)
        for layer in manifest.layers {
            for fragment in [layer.initSegment] + layer.fragments {
                let a = FileManager.default.contents(atPath: work.path + "/a/" + fragment)
                let b = FileManager.default.contents(atPath: work.path + "/b/" + fragment)
                #expect(a != nil && a == b, "\(fragment) differs between concurrency 2 and 1")
            }
        }
        let written = try StreamManifest.decode(Array(FileManager.default.contents(atPath: work.path + "/a/manifest.json")!),
                                                path: "manifest.json")
        #expect(written.layers[2].segmentQPs == manifest.layers[2].segmentQPs)
    }

    @Test("a base bitrate goes to OpenH264's rate control and is recorded instead of a QP")
    func baseBitrate() async throws {
        let work = TemporaryDirectory()
        defer { work.cleanup() }
        let clip = SyntheticClip(width: 256, height: 192, frameRate: FrameRate(8), frameCount: 16, seed: 22)
        for target in [60, 240] {
            let plan = LayerPlan(baseDivisor: 1, baseQP: 30, baseKbps: target, temporalLayers: 3, enhancementLayers: [])
            let manifest = try await StreamEncoder.encode(source: FrameSequenceSource(format: clip.format, frames: clip.frames()),
                                                          sourceName: "base clip", output: work.path + "/b\(target)",
                                                          configuration: EncoderConfiguration(plan: plan, segmentSeconds: 1))
            #expect(manifest.layers[0].qp == nil && manifest.layers[0].targetKbps == Double(target))
            #expect(abs(manifest.layers[0].kbps / Double(target) - 1) < 0.25, "base: \(manifest.layers[0].kbps) kbit/s for \(target)")
        }
    }

    @Test("a quality target gives every segment of the layer about that PSNR")
    func qualityTarget() throws {
        let plan = Self.plan(EnhancementLayerPlan(divisor: 1, qp: 34), EnhancementLayerPlan(divisor: 1, qp: 26, target: .psnrY(38)))
        let encoder = SegmentEncoder(plan: plan, source: Self.clip.format)
        let frames = Self.clip.frames()
        var qps: [Int] = []
        for segment in 0..<3 {
            let coded = try encoder.encode(index: segment, firstFrame: segment * 8, frames: Array(frames[(segment * 8)..<(segment * 8 + 8)]))
            let error = coded.layerErrors[2]
            let psnr = 10 * log10(255.0 * 255.0 * Double(error.samples) / Double(max(error.sse, 1)))
            #expect(abs(psnr - 38) < 1, "segment \(segment): PSNR-Y \(psnr) dB at QP \(coded.layerQPs[1])")
            #expect(coded.layerQPs[0] == 34)
            qps.append(coded.layerQPs[1])
        }
        #expect(qps.allSatisfy { (0...51).contains($0) })
    }

    @Test("the command-line form of a layer list")
    func parsing() throws {
        let layers = try EnhancementLayerPlan.list(parsing: "2:30,1:800k,1:41.5dB")
        #expect(layers == [EnhancementLayerPlan(divisor: 2, qp: 30),
                           EnhancementLayerPlan(divisor: 1, qp: LayerPlan.standard.enhancementLayers[1].qp, target: .kbps(800)),
                           EnhancementLayerPlan(divisor: 1, qp: LayerPlan.standard.enhancementLayers[2].qp, target: .psnrY(41.5))])
        #expect(try EnhancementLayerPlan.list(parsing: "none").isEmpty)
        for bad in ["1", "1:", "x:30", "1:30:2", "1:fast", "1:nank", "1:30,"] {
            #expect(throws: StrataError.self, "\(bad)") { try EnhancementLayerPlan.list(parsing: bad) }
        }
        // In JSON a target is one plain key.
        let plan = Self.plan(EnhancementLayerPlan(divisor: 1, qp: 28, target: .kbps(300)), EnhancementLayerPlan(divisor: 1, qp: 22, target: .psnrY(40.5)))
        let json = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        #expect(json.contains(#""target":{"kbps":300}"#) && json.contains(#""target":{"psnr_y":40.5}"#), "\(json)")
        #expect(try JSONDecoder().decode(LayerPlan.self, from: Data(json.utf8)) == plan)
        for bad in [LayerRateTarget.kbps(0), .kbps(-5), .psnrY(5), .psnrY(.infinity)] {
            let plan = Self.plan(EnhancementLayerPlan(divisor: 1, qp: 30, target: bad), EnhancementLayerPlan(divisor: 1, qp: 24))
            #expect(throws: StrataError.self, "\(bad)") { try plan.validate(sourceWidth: 96, sourceHeight: 64) }
        }
    }

    @Test("the chroma weight is checked, kept in JSON, and 1 for a plan written without it")
    func chromaWeightInPlans() throws {
        var plan = LayerPlan.standard
        plan.chromaWeight = 3
        let back = try JSONDecoder().decode(LayerPlan.self, from: try JSONEncoder().encode(plan))
        #expect(back == plan && back.chromaWeight == 3)
        let older = #"{"baseDivisor":2,"baseQP":34,"temporalLayers":3,"enhancementLayers":[{"divisor":1,"qp":30}]}"#
        #expect(try JSONDecoder().decode(LayerPlan.self, from: Data(older.utf8)).chromaWeight == 1)
        for bad in [0, 17, -1] {
            plan.chromaWeight = bad
            #expect(throws: StrataError.invalidPlan("chroma weight must be 1...16, got \(bad)")) {
                try plan.validate(sourceWidth: 96, sourceHeight: 64)
            }
        }
    }
}
