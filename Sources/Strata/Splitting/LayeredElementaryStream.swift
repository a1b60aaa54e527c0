internal import StrataBase

/// An Annex B stream parsed into access units, with every NAL unit assigned to a layer:
/// the AVC base (L0) or one SVC spatial layer (L1... in `dependency_id` order).
struct LayeredElementaryStream {
    /// The access units in decoding order.
    let accessUnits: [AccessUnit]
    /// For each access unit, the layer index of each of its units.
    let unitLayers: [[Int]]
    /// `dependency_id` of each layer, lowest first (0 for the base).
    let dependencyIds: [Int]
    /// Picture size of each layer, from its SPS or subset SPS.
    let sizes: [(width: Int, height: Int)]
    /// Parameter sets of each layer as first seen (SPS then PPS for the base; subset SPS then PPS above).
    let parameterSets: [(sequence: [[UInt8]], picture: [[UInt8]])]

    /// Parses `bytes`; `path` labels errors.
    init(bytes: [UInt8], path: String) throws(SplitJoinError) {
        let nals: [NALUnit]
        do { nals = try AnnexB.parse(bytes) } catch {
            switch error {
            case let .missingStartCode(offset): throw .malformedAnnexB(path: path, byteOffset: offset, reason: "no start code before data")
            case let .truncatedNALUnit(offset, length):
                throw .malformedAnnexB(path: path, byteOffset: offset, reason: "NAL unit truncated to \(length) bytes")
            case let .forbiddenZeroBitSet(offset): throw .malformedAnnexB(path: path, byteOffset: offset, reason: "forbidden_zero_bit is set")
            }
        }
        let offsets = Self.unitOffsets(bytes)
        guard nals.contains(where: \.isVCL) else { throw .noPictures(path: path) }

        // Which dependency id uses each PPS, and which sequence parameter set each PPS names.
        var ppsDependency: [Int: Int] = [:]
        var ppsSequence: [Int: Int] = [:]
        var subsetIDs: Set<Int> = []
        var dependencyIdsSeen: Set<Int> = []
        for (i, nal) in nals.enumerated() {
            let offset = i < offsets.count ? offsets[i] : 0
            switch nal.type {
            case 1, 5, 20:
                dependencyIdsSeen.insert(nal.dependencyId)
                if let pps = ParameterSetSyntax.slicePictureParameterSetID(nal.bytes, type: nal.type) {
                    ppsDependency[pps] = min(ppsDependency[pps] ?? Int.max, nal.dependencyId)
                }
            case NALUnitType.pps:
                guard let ids = ParameterSetSyntax.picture(nal.bytes) else {
                    throw .malformedParameterSet(path: path, byteOffset: offset, detail: "PPS ids cut short")
                }
                if ppsSequence[ids.id] == nil { ppsSequence[ids.id] = ids.sequenceID }
            case NALUnitType.subsetSPS:
                guard let info = ParameterSetSyntax.sequence(nal.bytes) else {
                    throw .malformedParameterSet(path: path, byteOffset: offset, detail: "subset SPS cut short")
                }
                subsetIDs.insert(info.id)
            default: break
            }
        }
        let dids = dependencyIdsSeen.sorted()
        let layerOf = Dictionary(uniqueKeysWithValues: dids.enumerated().map { ($1, $0) })
        /// The layer of a dependency id: its own, else the nearest lower one present.
        func layer(forDependency did: Int) -> Int {
            if let l = layerOf[did] { return l }
            return dids.lastIndex(where: { $0 <= did }) ?? 0
        }
        // A subset SPS belongs to the lowest upper layer whose slices use a PPS naming it.
        var subsetDependency: [Int: Int] = [:]
        for (pps, sps) in ppsSequence where subsetIDs.contains(sps) {
            if let did = ppsDependency[pps], did > 0 { subsetDependency[sps] = min(subsetDependency[sps] ?? Int.max, did) }
        }
        let lowestUpper = dids.count > 1 ? dids[1] : 0

        let accessUnits = AnnexB.accessUnits(nals)
        var unitLayers: [[Int]] = []
        var sizes = [(width: Int, height: Int)?](repeating: nil, count: dids.count)
        var sets = [(sequence: [[UInt8]], picture: [[UInt8]])](repeating: ([], []), count: dids.count)
        var setsDone = [Bool](repeating: false, count: dids.count)
        var unitIndex = 0
        for au in accessUnits {
            var layers: [Int] = []
            var seenInAU = [Bool](repeating: false, count: dids.count)
            for nal in au.nalUnits {
                let offset = unitIndex < offsets.count ? offsets[unitIndex] : 0
                unitIndex += 1
                let l: Int
                switch nal.type {
                case NALUnitType.subsetSPS:
                    let id = ParameterSetSyntax.sequence(nal.bytes)?.id ?? -1
                    l = layer(forDependency: subsetDependency[id] ?? lowestUpper)
                case NALUnitType.pps:
                    let ids = ParameterSetSyntax.picture(nal.bytes)
                    let did = ids.flatMap { ppsDependency[$0.id] }
                        ?? (ids.map { subsetIDs.contains($0.sequenceID) } == true ? (subsetDependency[ids!.sequenceID] ?? lowestUpper) : 0)
                    l = layer(forDependency: did)
                case 1, 5, 14, 20:
                    l = layer(forDependency: nal.dependencyId)
                default:
                    l = 0
                }
                layers.append(l)
                if nal.type == NALUnitType.sps || nal.type == NALUnitType.subsetSPS {
                    guard let info = ParameterSetSyntax.sequence(nal.bytes) else {
                        throw .malformedParameterSet(path: path, byteOffset: offset, detail: "SPS cut short")
                    }
                    if sizes[l] == nil && (nal.type == NALUnitType.sps) == (l == 0) { sizes[l] = (info.width, info.height) }
                }
                if nal.isParameterSet && !setsDone[l] {
                    if nal.type == NALUnitType.pps { sets[l].picture.append(nal.bytes) } else { sets[l].sequence.append(nal.bytes) }
                    seenInAU[l] = true
                }
            }
            for l in 0..<dids.count where seenInAU[l] { setsDone[l] = true }
            unitLayers.append(layers)
        }
        guard let first = accessUnits.first, first.isIDR else {
            throw .firstFrameNotIDR(path: path, byteOffset: offsets.first ?? 0)
        }
        var resolved: [(width: Int, height: Int)] = []
        for (l, size) in sizes.enumerated() {
            guard let size else {
                throw .malformedParameterSet(path: path, byteOffset: 0,
                                             detail: "layer L\(l) (dependency_id \(dids[l])) has no \(l == 0 ? "SPS" : "subset SPS")")
            }
            resolved.append(size)
        }
        self.accessUnits = accessUnits
        self.unitLayers = unitLayers
        self.dependencyIds = dids
        self.sizes = resolved
        self.parameterSets = sets
    }

    /// Byte offset of each NAL unit (its header byte) in the input, in order.
    static func unitOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var i = 0
        let n = bytes.count
        while i + 2 < n {
            if bytes[i + 2] > 1 {
                i += 3
            } else if bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 1 {
                offsets.append(i + 3)
                i += 3
            } else {
                i += 1
            }
        }
        return offsets
    }

    /// One track per layer: `avc3` for the base, Strata's `stsv` above, each depending on all below.
    func trackDescriptions(timescale: UInt32) -> [TrackDescription] {
        dependencyIds.indices.map { k in
            let codec: TrackCodec = k == 0
                ? .avcInBand(sps: parameterSets[0].sequence, pps: parameterSets[0].picture)
                : .svcSpatial(parameterSets: parameterSets[k].sequence + parameterSets[k].picture,
                              dependencyId: dependencyIds[k], layerIndex: k)
            return TrackDescription(trackID: UInt32(k + 1), timescale: timescale, width: sizes[k].width, height: sizes[k].height,
                                    codec: codec, dependsOnTrackIDs: (0..<k).map { UInt32($0 + 1) })
        }
    }

    /// Layer `layer`'s sample of access unit `index`.
    func sample(layer: Int, accessUnit index: Int, duration: UInt32) -> MediaSample {
        let au = accessUnits[index]
        let layers = unitLayers[index]
        if layer == 0 {
            let units = zip(au.nalUnits, layers).filter { $0.1 == 0 }.map(\.0.bytes)
            return MediaSample.avcSample(nalUnits: units, duration: duration, isSync: au.isIDR, temporalId: au.temporalId)
        }
        var positions: [Int] = []
        var units: [[UInt8]] = []
        var position = 0
        for (nal, l) in zip(au.nalUnits, layers) where l <= layer {
            if l == layer {
                positions.append(position)
                units.append(nal.bytes)
            }
            position += 1
        }
        return MediaSample(data: SpatialLayerSample(positions: positions, units: units).serialized(), duration: duration,
                           isSync: au.isIDR, temporalId: au.temporalId)
    }
}
