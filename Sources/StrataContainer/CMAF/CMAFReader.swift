/// Reads the CMAF init segments and fragments that ``CMAFWriter`` writes (and the common
/// subset other muxers write for a single video track).
///
/// Every length and count is checked against the bytes that remain and against
/// ``ContainerLimits`` before anything is allocated; failures are ``ContainerError`` values
/// naming `path`, the byte offset and the box.
public enum CMAFReader {
    /// Parses an init segment (`ftyp` + `moov`) into the description of its single video track.
    public static func parseInitSegment(_ bytes: [UInt8], path: String) throws(ContainerError) -> TrackDescription {
        let top = try BoxParser.boxes(in: bytes, from: 0, to: bytes.count, path: path)
        let moov = try BoxParser.required(BoxType.moov, in: top, parent: BoxType.root, path: path)
        let moovChildren = try BoxParser.children(of: moov, in: bytes, path: path)
        let traks = moovChildren.filter { $0.type == BoxType.trak }
        guard let trak = traks.first else { throw .missingBox(path: path, box: "trak", parent: "moov") }
        guard traks.count == 1 else {
            throw .unsupported(path: path, offset: traks[1].start, box: "trak", detail: "\(traks.count) tracks; a Strata init segment has one")
        }
        let trakChildren = try BoxParser.children(of: trak, in: bytes, path: path)

        let tkhd = try BoxParser.required(BoxType.tkhd, in: trakChildren, parent: BoxType.trak, path: path)
        var r = ByteReader(bytes, body: tkhd, path: path)
        let (tkhdVersion, _) = try r.versionAndFlags()
        guard tkhdVersion <= 1 else { throw .unsupported(path: path, offset: tkhd.start, box: "tkhd", detail: "version \(tkhdVersion)") }
        try r.skip(tkhdVersion == 1 ? 16 : 8)
        let trackID = try r.u32()
        try r.skip(4 + (tkhdVersion == 1 ? 8 : 4) + 8 + 8 + 36)
        let tkhdWidth = Int(try r.u32() >> 16)
        let tkhdHeight = Int(try r.u32() >> 16)

        var depends: [UInt32] = []
        if let tref = trakChildren.first(where: { $0.type == BoxType.tref }) {
            for ref in try BoxParser.children(of: tref, in: bytes, path: path) where ref.type == BoxType.scal {
                var rr = ByteReader(bytes, body: ref, path: path)
                guard rr.remaining % 4 == 0 else { throw rr.malformed("track reference list is not a multiple of 4 bytes") }
                guard rr.remaining / 4 <= ContainerLimits.maxEntries else {
                    throw .limitExceeded(path: path, offset: ref.start, box: "scal", field: "track references",
                                         value: UInt64(rr.remaining / 4), limit: UInt64(ContainerLimits.maxEntries))
                }
                while rr.remaining > 0 { depends.append(try rr.u32()) }
            }
        }

        let mdia = try BoxParser.required(BoxType.mdia, in: trakChildren, parent: BoxType.trak, path: path)
        let mdiaChildren = try BoxParser.children(of: mdia, in: bytes, path: path)
        let mdhd = try BoxParser.required(BoxType.mdhd, in: mdiaChildren, parent: BoxType.mdia, path: path)
        r = ByteReader(bytes, body: mdhd, path: path)
        let (mdhdVersion, _) = try r.versionAndFlags()
        guard mdhdVersion <= 1 else { throw .unsupported(path: path, offset: mdhd.start, box: "mdhd", detail: "version \(mdhdVersion)") }
        try r.skip(mdhdVersion == 1 ? 16 : 8)
        let timescale = try r.u32()
        guard timescale > 0 else { throw r.malformed("timescale is zero") }
        try r.skip(mdhdVersion == 1 ? 8 : 4)
        let language = CMAFWriter.unpackedLanguage(try r.u16())

        let hdlr = try BoxParser.required(BoxType.hdlr, in: mdiaChildren, parent: BoxType.mdia, path: path)
        r = ByteReader(bytes, body: hdlr, path: path)
        _ = try r.versionAndFlags()
        try r.skip(4)
        let handler = try r.fourCC()
        guard handler == BoxType.vide else {
            throw .unsupported(path: path, offset: hdlr.start, box: "hdlr", detail: "handler '\(handler)', Strata reads video tracks")
        }

        let minf = try BoxParser.required(BoxType.minf, in: mdiaChildren, parent: BoxType.mdia, path: path)
        let stbl = try BoxParser.required(BoxType.stbl, in: try BoxParser.children(of: minf, in: bytes, path: path),
                                          parent: BoxType.minf, path: path)
        let stblChildren = try BoxParser.children(of: stbl, in: bytes, path: path)
        let stsd = try BoxParser.required(BoxType.stsd, in: stblChildren, parent: BoxType.stbl, path: path)
        var temporalLayerIds: [Int] = []
        for sgpd in stblChildren where sgpd.type == BoxType.sgpd {
            if let ids = try temporalLayerEntries(sgpd, bytes, path: path) { temporalLayerIds += ids }
        }
        r = ByteReader(bytes, body: stsd, path: path)
        _ = try r.versionAndFlags()
        let entryCount = try r.u32()
        guard entryCount >= 1 else { throw .missingBox(path: path, box: "sample entry", parent: "stsd") }
        let entries = try BoxParser.boxes(in: bytes, from: r.position, to: stsd.end, path: path)
        guard let entry = entries.first else { throw .missingBox(path: path, box: "sample entry", parent: "stsd") }

        // VisualSampleEntry: 78 bytes of fields before the child boxes.
        r = ByteReader(bytes, body: entry, path: path)
        try r.skip(24)
        let width = Int(try r.u16())
        let height = Int(try r.u16())
        try r.skip(50)
        let entryChildren = try BoxParser.boxes(in: bytes, from: r.position, to: entry.end, path: path)
        let codec: TrackCodec
        switch entry.type {
        case BoxType.avc1, BoxType.avc3:
            let avcC = try BoxParser.required(BoxType.avcC, in: entryChildren, parent: entry.type, path: path)
            var cr = ByteReader(bytes, body: avcC, path: path)
            let config = try AVCDecoderConfiguration.parse(&cr)
            codec = entry.type == BoxType.avc1 ? .avc(sps: config.sps, pps: config.pps) : .avcInBand(sps: config.sps, pps: config.pps)
        case BoxType.stsv:
            let stsC = try BoxParser.required(BoxType.stsC, in: entryChildren, parent: BoxType.stsv, path: path)
            var cr = ByteReader(bytes, body: stsC, path: path)
            let (version, _) = try cr.versionAndFlags()
            guard version == 0 else { throw .unsupported(path: path, offset: stsC.start, box: "stsC", detail: "version \(version)") }
            let layerIndex = Int(try cr.u16())
            let dependencyId = Int(try cr.u8())
            let count = Int(try cr.u8())
            var sets: [[UInt8]] = []
            for _ in 0..<count {
                let n = Int(try cr.u16())
                guard n > 0 else { throw cr.malformed("empty parameter set") }
                sets.append(try cr.bytes(n))
            }
            codec = .svcSpatial(parameterSets: sets, dependencyId: dependencyId, layerIndex: layerIndex)
        case BoxType.stre:
            let strC = try BoxParser.required(BoxType.strC, in: entryChildren, parent: BoxType.stre, path: path)
            var cr = ByteReader(bytes, body: strC, path: path)
            let (version, _) = try cr.versionAndFlags()
            guard version == 0 else { throw .unsupported(path: path, offset: strC.start, box: "strC", detail: "version \(version)") }
            let layerIndex = Int(try cr.u16())
            codec = .strata(configuration: try cr.bytes(cr.remaining), layerIndex: layerIndex)
        default:
            throw .unsupported(path: path, offset: entry.start, box: entry.type.description, detail: "sample entry; Strata reads avc1, avc3, stre and stsv")
        }
        let w = width > 0 ? width : tkhdWidth
        let h = height > 0 ? height : tkhdHeight
        guard w <= ContainerLimits.maxDimension, h <= ContainerLimits.maxDimension else {
            throw .limitExceeded(path: path, offset: entry.start, box: entry.type.description, field: "picture dimension",
                                 value: UInt64(max(w, h)), limit: UInt64(ContainerLimits.maxDimension))
        }
        return TrackDescription(trackID: trackID, timescale: timescale, width: w, height: h, codec: codec,
                                dependsOnTrackIDs: depends, language: language, temporalLayerIds: temporalLayerIds)
    }

    /// Parses a media segment of `track`, checking its samples against their stored CRC-32.
    ///
    /// Throws ``ContainerError/integrity(path:sample:)`` when they fail it (naming the first damaged
    /// sample in a fragment of format 1, which checks each sample on its own), and
    /// ``ContainerError/missingBox(path:box:parent:)`` when the `scrc` box is absent (a fragment
    /// without checks cannot be trusted). Pass `requireIntegrity: false` only to read other
    /// muxers' fragments, which carry no `scrc`; a present `scrc` is always verified.
    public static func parseMediaSegment(_ bytes: [UInt8], track: TrackDescription, path: String,
                                         requireIntegrity: Bool = true) throws(ContainerError) -> ParsedFragment {
        let top = try BoxParser.boxes(in: bytes, from: 0, to: bytes.count, path: path)
        let moof = try BoxParser.required(BoxType.moof, in: top, parent: BoxType.root, path: path)
        guard let mdat = top.first(where: { $0.type == BoxType.mdat && $0.start > moof.start }) else {
            throw .missingBox(path: path, box: "mdat", parent: "file")
        }
        let moofChildren = try BoxParser.children(of: moof, in: bytes, path: path)
        let mfhd = try BoxParser.required(BoxType.mfhd, in: moofChildren, parent: BoxType.moof, path: path)
        var r = ByteReader(bytes, body: mfhd, path: path)
        _ = try r.versionAndFlags()
        let sequenceNumber = try r.u32()

        let traf = try BoxParser.required(BoxType.traf, in: moofChildren, parent: BoxType.moof, path: path)
        let trafChildren = try BoxParser.children(of: traf, in: bytes, path: path)

        let tfhd = try BoxParser.required(BoxType.tfhd, in: trafChildren, parent: BoxType.traf, path: path)
        r = ByteReader(bytes, body: tfhd, path: path)
        let (_, tfhdFlags) = try r.versionAndFlags()
        let trackID = try r.u32()
        guard trackID == track.trackID else { throw .trackMismatch(path: path, expected: track.trackID, found: trackID) }
        var baseOffset = UInt64(moof.start)
        if tfhdFlags & TfhdFlags.baseDataOffset != 0 { baseOffset = try r.u64() }
        if tfhdFlags & TfhdFlags.sampleDescriptionIndex != 0 { try r.skip(4) }
        var defaultDuration: UInt32?
        var defaultSize: UInt32?
        var defaultFlags: UInt32 = 0
        if tfhdFlags & TfhdFlags.defaultDuration != 0 { defaultDuration = try r.u32() }
        if tfhdFlags & TfhdFlags.defaultSize != 0 { defaultSize = try r.u32() }
        if tfhdFlags & TfhdFlags.defaultFlags != 0 { defaultFlags = try r.u32() }

        var baseMediaDecodeTime: UInt64 = 0
        if let tfdt = trafChildren.first(where: { $0.type == BoxType.tfdt }) {
            r = ByteReader(bytes, body: tfdt, path: path)
            let (version, _) = try r.versionAndFlags()
            baseMediaDecodeTime = version == 1 ? try r.u64() : UInt64(try r.u32())
        }

        let trun = try BoxParser.required(BoxType.trun, in: trafChildren, parent: BoxType.traf, path: path)
        r = ByteReader(bytes, body: trun, path: path)
        let (_, trunFlags) = try r.versionAndFlags()
        let sampleCount = Int(try r.u32())
        guard sampleCount <= ContainerLimits.maxSamplesPerFragment else {
            throw .limitExceeded(path: path, offset: trun.start, box: "trun", field: "sample count",
                                 value: UInt64(sampleCount), limit: UInt64(ContainerLimits.maxSamplesPerFragment))
        }
        var dataOffset: Int64 = 0
        if trunFlags & TrunFlags.dataOffset != 0 { dataOffset = Int64(Int32(bitPattern: try r.u32())) }
        var firstSampleFlags: UInt32?
        if trunFlags & TrunFlags.firstSampleFlags != 0 { firstSampleFlags = try r.u32() }
        let perSample = [TrunFlags.duration, TrunFlags.size, TrunFlags.flags, TrunFlags.compositionOffset]
            .filter { trunFlags & $0 != 0 }.count * 4
        guard sampleCount * perSample <= r.remaining else { throw .truncated(path: path, offset: r.position, box: "trun") }
        guard trunFlags & TrunFlags.size != 0 || defaultSize != nil else {
            throw .malformedBox(path: path, offset: trun.start, box: "trun", detail: "no sample sizes and no default size in tfhd")
        }

        let (dataStart, overflow) = Int64(clamping: baseOffset).addingReportingOverflow(dataOffset)
        guard !overflow, dataStart >= Int64(mdat.bodyStart), dataStart <= Int64(mdat.end) else {
            throw .malformedBox(path: path, offset: trun.start, box: "trun", detail: "data offset \(dataOffset) points outside 'mdat'")
        }
        var cursor = Int(dataStart)
        var samples: [MediaSample] = []
        samples.reserveCapacity(sampleCount)
        for i in 0..<sampleCount {
            let duration = trunFlags & TrunFlags.duration != 0 ? try r.u32() : (defaultDuration ?? 0)
            let size = Int(trunFlags & TrunFlags.size != 0 ? try r.u32() : (defaultSize ?? 0))
            var flags = trunFlags & TrunFlags.flags != 0 ? try r.u32() : defaultFlags
            if i == 0, let first = firstSampleFlags { flags = first }
            if trunFlags & TrunFlags.compositionOffset != 0 { try r.skip(4) }
            guard size <= ContainerLimits.maxSampleSize else {
                throw .limitExceeded(path: path, offset: trun.start, box: "trun", field: "sample \(i) size",
                                     value: UInt64(size), limit: UInt64(ContainerLimits.maxSampleSize))
            }
            guard size <= mdat.end - cursor else { throw .truncated(path: path, offset: mdat.start, box: "mdat") }
            samples.append(MediaSample(data: Array(bytes[cursor..<cursor + size]), duration: duration,
                                       isSync: flags & SampleFlags.nonSyncBit == 0, temporalId: 0))
            cursor += size
        }

        try applyTemporalGroups(&samples, trafChildren, bytes, track: track, path: path)
        if requireIntegrity || trafChildren.contains(where: { $0.type == BoxType.scrc }) {
            try verifyChecksums(samples, data: Int(dataStart)..<cursor, trafChildren, bytes, path: path)
        }
        return ParsedFragment(sequenceNumber: sequenceNumber, baseMediaDecodeTime: baseMediaDecodeTime, samples: samples)
    }

    /// Reads the `tscl` sample group: the ids of the fragment's `sgpd`, or of the init segment's
    /// (`track.temporalLayerIds`), and a `csgp` (fragment format 2) or an `sbgp` (format 1) mapping
    /// the samples to them.
    private static func applyTemporalGroups(_ samples: inout [MediaSample], _ traf: [Box], _ bytes: [UInt8], track: TrackDescription,
                                            path: String) throws(ContainerError) {
        var ids: [Int] = []
        for sgpd in traf where sgpd.type == BoxType.sgpd {
            if let entries = try temporalLayerEntries(sgpd, bytes, path: path) { ids += entries }
        }
        /// The temporal id of group description index `index` (numbered as `sbgp` numbers them).
        func temporalId(_ index: UInt32, _ box: Box) throws(ContainerError) -> Int {
            if index == 0 { return 0 }
            let local = index >= SampleFlags.fragmentLocalGroupBase
            let entry = Int(local ? index - SampleFlags.fragmentLocalGroupBase : index)
            let table = local ? ids : track.temporalLayerIds
            guard entry >= 1 && entry <= table.count else {
                throw .malformedBox(path: path, offset: box.start, box: box.type.description,
                                    detail: "group index \(index) has no entry in the \(local ? "fragment's" : "init segment's") 'sgpd'")
            }
            return table[entry - 1]
        }
        for csgp in traf where csgp.type == BoxType.csgp {
            var r = ByteReader(bytes, body: csgp, path: path)
            let (_, flags) = try r.versionAndFlags()
            if let indices = try CompactSampleGroups.read(&r, flags: flags, groupingType: BoxType.tscl, sampleCount: samples.count,
                                                          start: csgp.start) {
                for (s, index) in indices.enumerated() { samples[s].temporalId = try temporalId(index, csgp) }
                return
            }
        }
        guard let sbgp = traf.first(where: { box in
            guard box.type == BoxType.sbgp, box.end - box.bodyStart >= 8 else { return false }
            var r = ByteReader(bytes, body: box, path: path)
            return (try? r.u32()).flatMap { _ in try? r.fourCC() } == BoxType.tscl
        }) else { return }
        var r = ByteReader(bytes, body: sbgp, path: path)
        let (version, _) = try r.versionAndFlags()
        _ = try r.fourCC()
        if version == 1 { try r.skip(4) }
        let runCount = Int(try r.u32())
        guard runCount <= r.remaining / 8 else { throw .truncated(path: path, offset: r.position, box: "sbgp") }
        var sample = 0
        for _ in 0..<runCount {
            let count = Int(try r.u32())
            let index = try r.u32()
            guard count <= samples.count - sample else {
                throw .malformedBox(path: path, offset: sbgp.start, box: "sbgp", detail: "runs cover more than the \(samples.count) samples")
            }
            let id = try temporalId(index, sbgp)
            for s in sample..<sample + count { samples[s].temporalId = id }
            sample += count
        }
    }

    /// The temporal ids of an `sgpd` of `tscl` TemporalLayerEntries, in entry order; nil for another grouping.
    private static func temporalLayerEntries(_ sgpd: Box, _ bytes: [UInt8], path: String) throws(ContainerError) -> [Int]? {
        var r = ByteReader(bytes, body: sgpd, path: path)
        let (version, _) = try r.versionAndFlags()
        guard try r.fourCC() == BoxType.tscl else { return nil }
        var defaultLength: UInt32 = 0
        if version == 1 { defaultLength = try r.u32() }
        if version >= 2 { try r.skip(4) }
        let count = Int(try r.u32())
        guard count <= ContainerLimits.maxEntries else {
            throw .limitExceeded(path: path, offset: sgpd.start, box: "sgpd", field: "entry count",
                                 value: UInt64(count), limit: UInt64(ContainerLimits.maxEntries))
        }
        var ids: [Int] = []
        for _ in 0..<count {
            var length = Int(defaultLength)
            if version == 1 && defaultLength == 0 { length = Int(try r.u32()) }
            guard length >= 1 || version == 0 else { throw r.malformed("empty tscl entry") }
            let entryStart = r.position
            ids.append(Int(try r.u8()))
            let entryLength = version == 0 ? 20 : length
            try r.skip(entryLength - (r.position - entryStart))
        }
        return ids
    }

    /// Checks the samples against `scrc`: version 1 holds one CRC-32 of all the samples (as `mdat`
    /// holds them, `data` being their bytes there), version 0 (fragment format 1) one per sample.
    private static func verifyChecksums(_ samples: [MediaSample], data: Range<Int>, _ traf: [Box], _ bytes: [UInt8],
                                        path: String) throws(ContainerError) {
        let scrc = try BoxParser.required(BoxType.scrc, in: traf, parent: BoxType.traf, path: path)
        var r = ByteReader(bytes, body: scrc, path: path)
        let (version, _) = try r.versionAndFlags()
        switch version {
        case 1:
            guard try r.u32() == CRC32.checksum(bytes, range: data) else { throw .integrity(path: path, sample: nil) }
        case 0:
            let count = Int(try r.u32())
            guard count == samples.count else {
                throw .malformedBox(path: path, offset: scrc.start, box: "scrc", detail: "\(count) checks for \(samples.count) samples")
            }
            for (i, sample) in samples.enumerated() where try r.u32() != CRC32.checksum(sample.data) {
                throw .integrity(path: path, sample: i)
            }
        default:
            throw .unsupported(path: path, offset: scrc.start, box: "scrc", detail: "version \(version)")
        }
    }
}
