internal import StrataBase

/// Lays encoded segments out as the on-disk stream: `<layer>/init.mp4`, `<layer>/<n>.m4s`,
/// then manifest.json, stream.mpd and base.m3u8.
///
/// Everything goes into a working directory beside the output, swapped in by ``finish()``,
/// so an existing output is replaced whole or not at all.
final class StreamWriter {
    let plan: LayerPlan
    let source: VideoFormat
    let sourceName: String
    let segmentSeconds: Double
    let timescale: UInt32
    let sampleDuration: UInt32
    private let transaction: OutputDirectoryTransaction
    private var tracks: [TrackDescription?]
    private var initSizes: [Int]
    private var fragmentSizes: [[Int]]
    private var segments: [StreamManifest.Segment] = []
    /// The QP of every enhancement layer, per segment written.
    private var segmentQPs: [[Int]] = []
    private var baseParameterSets: (sps: [[UInt8]], pps: [[UInt8]])?

    /// The layer ids, `L0` (base) upward.
    var layerIDs: [String] { (0..<plan.layerCount).map { "L\($0)" } }

    init(outputPath: String, plan: LayerPlan, source: VideoFormat, sourceName: String, segmentSeconds: Double,
         enhancementConfigurations: [[UInt8]]) throws(StrataError) {
        self.plan = plan
        self.source = source
        self.sourceName = sourceName
        self.segmentSeconds = segmentSeconds
        // Sample times stay exact: a timescale that is a multiple of the frame rate's numerator, at least 1000.
        let scale = max(1, (1000 + source.frameRate.numerator - 1) / source.frameRate.numerator)
        timescale = UInt32(source.frameRate.numerator * scale)
        sampleDuration = UInt32(source.frameRate.denominator * scale)
        do {
            transaction = try OutputDirectoryTransaction(finalPath: outputPath)
        } catch {
            throw .writeFailed(path: outputPath, message: "\(error)")
        }
        tracks = [TrackDescription?](repeating: nil, count: plan.layerCount)
        initSizes = [Int](repeating: 0, count: plan.layerCount)
        fragmentSizes = [[Int]](repeating: [], count: plan.layerCount)
        for id in layerIDs {
            try makeDirectory(transaction.workingPath + "/" + id)
        }
        for (k, configuration) in enhancementConfigurations.enumerated() {
            let layer = k + 1
            let size = plan.size(ofLayer: layer, sourceWidth: source.width, sourceHeight: source.height)
            let track = TrackDescription(trackID: UInt32(layer + 1), timescale: timescale, width: size.width, height: size.height,
                                         codec: .strata(configuration: configuration, layerIndex: layer),
                                         dependsOnTrackIDs: (0..<layer).map { UInt32($0 + 1) },
                                         temporalLayerIds: Array(0..<plan.temporalLayers))
            tracks[layer] = track
            try write(CMAFWriter.initSegment(track), to: "L\(layer)/init.mp4", layer: layer, isInit: true)
        }
    }

    private func makeDirectory(_ path: String) throws(StrataError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .writeFailed(path: path, message: String(cString: strerror(errno)))
        }
    }

    private func write(_ bytes: [UInt8], to relative: String, layer: Int, isInit: Bool) throws(StrataError) {
        do {
            try AtomicFile.write(bytes, to: transaction.workingPath + "/" + relative)
        } catch {
            throw .writeFailed(path: relative, message: "\(error)")
        }
        if isInit { initSizes[layer] = bytes.count } else { fragmentSizes[layer].append(bytes.count) }
    }

    /// Writes every layer's fragment of the next segment (segments arrive in order).
    func append(_ segment: EncodedSegment) throws(StrataError) {
        precondition(segment.index == segments.count, "segments must be appended in order")
        let time = UInt64(segment.firstFrame) * UInt64(sampleDuration)
        // Base: parameter sets go to avcC (taken from the first IDR); samples carry the AVC NAL units only.
        var samples: [MediaSample] = []
        for (i, unit) in segment.base.enumerated() {
            let sps = unit.nalUnits.filter { $0.type == NALUnitType.sps }.map(\.bytes)
            let pps = unit.nalUnits.filter { $0.type == NALUnitType.pps }.map(\.bytes)
            if !sps.isEmpty {
                if let known = baseParameterSets {
                    guard known.sps == sps && known.pps == pps else {
                        throw .baseLayer(segment: segment.index, message: "parameter sets differ from the first segment's; the avc1 track cannot carry them")
                    }
                } else {
                    baseParameterSets = (sps, pps)
                    let size = plan.size(ofLayer: 0, sourceWidth: source.width, sourceHeight: source.height)
                    let track = TrackDescription(trackID: 1, timescale: timescale, width: size.width, height: size.height,
                                                 codec: .avc(sps: sps, pps: pps), temporalLayerIds: Array(0..<plan.temporalLayers))
                    tracks[0] = track
                    try write(CMAFWriter.initSegment(track), to: "L0/init.mp4", layer: 0, isInit: true)
                }
            }
            let nals = unit.nalUnits.filter { $0.isAVCBaseNAL && !$0.isParameterSet }.map(\.bytes)
            samples.append(MediaSample.avcSample(nalUnits: nals, duration: sampleDuration, isSync: i == 0 && unit.isIDR,
                                                 temporalId: unit.temporalId))
        }
        guard let baseTrack = tracks[0] else {
            throw .baseLayer(segment: segment.index, message: "the first segment has no SPS/PPS")
        }
        try write(CMAFWriter.mediaSegment(baseTrack, sequenceNumber: UInt32(segment.index + 1), baseMediaDecodeTime: time, samples: samples),
                  to: "L0/\(segment.index).m4s", layer: 0, isInit: false)
        for (k, payloads) in segment.enhancement.enumerated() {
            let layer = k + 1
            try write(Self.enhancementFragment(tracks[layer]!, sampleDuration: sampleDuration, index: segment.index, time: time,
                                               payloads: payloads, temporalIds: segment.temporalIds),
                      to: "L\(layer)/\(segment.index).m4s", layer: layer, isInit: false)
        }
        segments.append(StreamManifest.Segment(index: segment.index, firstFrame: segment.firstFrame, frames: segment.base.count))
        segmentQPs.append(segment.layerQPs)
    }

    /// The fragment of an enhancement layer for one segment.
    private static func enhancementFragment(_ track: TrackDescription, sampleDuration: UInt32, index: Int, time: UInt64,
                                            payloads: [[UInt8]], temporalIds: [Int]) -> [UInt8] {
        let samples = payloads.enumerated().map { i, payload in
            MediaSample(data: payload, duration: sampleDuration, isSync: i == 0, temporalId: temporalIds[i])
        }
        return CMAFWriter.mediaSegment(track, sequenceNumber: UInt32(index + 1), baseMediaDecodeTime: time, samples: samples)
    }

    /// What a fragment of enhancement layer `layer` (1...) adds to its samples' payloads (boxes,
    /// per-sample entries), in bytes, as a function of the segment's temporal ids: rate control
    /// subtracts it from a layer's bitrate target, which counts whole fragments.
    func fragmentOverhead() -> @Sendable (_ layer: Int, _ segment: Int, _ firstFrame: Int, _ temporalIds: [Int]) -> Int {
        let tracks = self.tracks, sampleDuration = self.sampleDuration
        return { layer, segment, firstFrame, temporalIds in
            StreamWriter.enhancementFragment(tracks[layer]!, sampleDuration: sampleDuration, index: segment,
                                             time: UInt64(firstFrame) * UInt64(sampleDuration),
                                             payloads: temporalIds.map { _ in [] }, temporalIds: temporalIds).count
        }
    }

    /// Writes the manifests and swaps the finished directory into place.
    func finish() throws(StrataError) -> StreamManifest {
        func target(_ layer: Int) -> LayerRateTarget? { layer == 0 ? nil : plan.enhancementLayers[layer - 1].target }
        let frames = segments.reduce(0) { $0 + $1.frames }
        let duration = Double(frames) * Double(source.frameRate.denominator) / Double(source.frameRate.numerator)
        var layers: [StreamManifest.Layer] = []
        for k in 0..<plan.layerCount {
            let id = "L\(k)"
            let size = plan.size(ofLayer: k, sourceWidth: source.width, sourceHeight: source.height)
            let bytes = initSizes[k] + fragmentSizes[k].reduce(0, +)
            let kbps = duration > 0 ? Double(fragmentSizes[k].reduce(0, +)) * 8 / duration / 1000 : 0
            layers.append(StreamManifest.Layer(
                id: id, kind: k == 0 ? .base : .enhancement, codec: tracks[k]?.codec.codecString ?? "avc1",
                width: size.width, height: size.height, dependsOn: (0..<k).map { "L\($0)" },
                bytes: bytes, kbps: (kbps * 10).rounded() / 10,
                initSegment: "\(id)/init.mp4", fragments: segments.map { "\(id)/\($0.index).m4s" },
                trackID: UInt32(k + 1), timescale: timescale, temporalLayers: plan.temporalLayers,
                fragmentBytes: fragmentSizes[k], initBytes: initSizes[k],
                qp: k == 0 ? (plan.baseKbps == nil ? plan.baseQP : nil) : (target(k) == nil ? plan.enhancementLayers[k - 1].qp : nil),
                targetKbps: k == 0 ? plan.baseKbps.map(Double.init) : { if case .kbps(let v) = target(k) { v } else { nil } }(),
                targetPSNRY: { if case .psnrY(let v) = target(k) { v } else { nil } }(),
                segmentQPs: target(k) == nil ? nil : segmentQPs.map { $0[k - 1] },
                chromaWeight: k > 0 && plan.chromaWeight != 1 ? plan.chromaWeight : nil))
        }
        let manifest = StreamManifest(
            source: .init(width: source.width, height: source.height, fpsNum: source.frameRate.numerator,
                          fpsDen: source.frameRate.denominator, frames: frames),
            segmentSeconds: segmentSeconds, temporalLayers: plan.temporalLayers, segments: segments, layers: layers)
        do {
            try transaction.commit(manifest: manifest)
        } catch {
            throw .writeFailed(path: transaction.finalPath, message: "\(error)")
        }
        return manifest
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
