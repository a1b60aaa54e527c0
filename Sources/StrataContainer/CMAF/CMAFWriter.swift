/// Writes CMAF init segments and fragments (ISO/IEC 23000-19) for one layer's track.
///
/// Output is a pure function of the inputs (all creation times are zero), so encodes are
/// byte-identical run to run. The layout is specified in Specs/fragment-format.md.
public enum CMAFWriter {
    /// The Specs/fragment-format.md version these functions write.
    public static let formatVersion = 2

    /// `ftyp` + `moov` for `track`: a movie with one video track, no samples, and `mvex`/`trex`
    /// announcing that the samples come in fragments.
    public static func initSegment(_ track: TrackDescription) -> [UInt8] {
        initSegment(tracks: [track])
    }

    /// `ftyp` + `moov` with one `trak` and one `trex` per track, in the order given: the head of
    /// a single fragmented MP4 that carries several layers (a joined stream). The movie timescale
    /// is the first track's.
    public static func initSegment(tracks: [TrackDescription]) -> [UInt8] {
        var w = ByteWriter(capacity: 1024 * max(1, tracks.count))
        w.box(BoxType.ftyp) { w in
            w.fourCC(BoxType.iso6)
            w.u32(0)
            for brand in [BoxType.iso6, BoxType.cmfc, "dash" as FourCC] { w.fourCC(brand) }
        }
        w.box(BoxType.moov) { w in
            writeMvhd(&w, timescale: tracks.first?.timescale ?? 1000,
                      nextTrackID: (tracks.map(\.trackID).max() ?? 0) &+ 1)
            for track in tracks { writeTrak(&w, track) }
            w.box(BoxType.mvex) { w in
                for track in tracks {
                    w.fullBox(BoxType.trex, version: 0, flags: 0) { w in
                        w.u32(track.trackID)
                        w.u32(1)
                        w.u32(0); w.u32(0); w.u32(0)
                    }
                }
            }
        }
        return w.bytes
    }

    private static func writeTrak(_ w: inout ByteWriter, _ track: TrackDescription) {
        w.box(BoxType.trak) { w in
            writeTkhd(&w, track)
            if !track.dependsOnTrackIDs.isEmpty {
                w.box(BoxType.tref) { w in
                    w.box(BoxType.scal) { w in for id in track.dependsOnTrackIDs { w.u32(id) } }
                }
            }
            w.box(BoxType.mdia) { w in
                w.fullBox(BoxType.mdhd, version: 0, flags: 0) { w in
                    w.u32(0); w.u32(0)
                    w.u32(track.timescale)
                    w.u32(0)
                    w.u16(packedLanguage(track.language))
                    w.u16(0)
                }
                w.fullBox(BoxType.hdlr, version: 0, flags: 0) { w in
                    w.u32(0)
                    w.fourCC(BoxType.vide)
                    w.zeros(12)
                    w.append(Array(handlerName(track).utf8))
                    w.u8(0)
                }
                w.box(BoxType.minf) { w in
                    w.fullBox(BoxType.vmhd, version: 0, flags: 1) { w in w.zeros(8) }
                    w.box(BoxType.dinf) { w in
                        w.fullBox(BoxType.dref, version: 0, flags: 0) { w in
                            w.u32(1)
                            w.fullBox(BoxType.url, version: 0, flags: 1) { _ in }
                        }
                    }
                    w.box(BoxType.stbl) { w in
                        w.fullBox(BoxType.stsd, version: 0, flags: 0) { w in
                            w.u32(1)
                            writeSampleEntry(&w, track)
                        }
                        w.fullBox(BoxType.stts, version: 0, flags: 0) { w in w.u32(0) }
                        w.fullBox(BoxType.stsc, version: 0, flags: 0) { w in w.u32(0) }
                        w.fullBox(BoxType.stsz, version: 0, flags: 0) { w in w.u32(0); w.u32(0) }
                        w.fullBox(BoxType.stco, version: 0, flags: 0) { w in w.u32(0) }
                        if !track.temporalLayerIds.isEmpty { writeTemporalLayerEntries(&w, track.temporalLayerIds) }
                    }
                }
            }
        }
    }

    /// `styp` + `moof` + `mdat` holding `samples` in decode order.
    ///
    /// The `traf` carries `tfhd` (default-base-is-moof, and the default duration and flags the
    /// samples share), `tfdt` (64-bit), a `trun` with each sample's size (and its duration or flags
    /// only where they differ from the defaults), a `tscl` sample group (a compact `csgp`, with an
    /// `sgpd` of the ids unless the init segment describes them) giving each sample's temporal id,
    /// and an `scrc` box with the CRC-32 of the samples so damage is detected on reading. Per sample this costs the 4 bytes of its size, for any temporal
    /// hierarchy whose pattern repeats (Specs/fragment-format.md, "Media segment").
    public static func mediaSegment(_ track: TrackDescription, sequenceNumber: UInt32, baseMediaDecodeTime: UInt64,
                                    samples: [MediaSample]) -> [UInt8] {
        let payload = samples.reduce(0) { $0 + $1.data.count }
        var w = ByteWriter(capacity: payload + 320 + samples.count * 4)
        w.box(BoxType.styp) { w in
            w.fourCC(BoxType.msdh)
            w.u32(0)
            for brand in [BoxType.msdh, BoxType.cmfs, BoxType.cmfc] { w.fourCC(brand) }
        }
        let layout = RunLayout(samples)
        let moofStart = w.count
        var dataOffsetField = -1
        w.box(BoxType.moof) { w in
            w.fullBox(BoxType.mfhd, version: 0, flags: 0) { w in w.u32(sequenceNumber) }
            w.box(BoxType.traf) { w in
                w.fullBox(BoxType.tfhd, version: 0, flags: layout.tfhdFlags) { w in
                    w.u32(track.trackID)
                    if let d = layout.defaultDuration { w.u32(d) }
                    if let f = layout.defaultFlags { w.u32(f) }
                }
                w.fullBox(BoxType.tfdt, version: 1, flags: 0) { w in w.u64(baseMediaDecodeTime) }
                w.fullBox(BoxType.trun, version: 0, flags: layout.trunFlags) { w in
                    w.u32(UInt32(truncatingIfNeeded: samples.count))
                    dataOffsetField = w.count
                    w.u32(0)
                    if let first = layout.firstSampleFlags { w.u32(first) }
                    for s in samples {
                        if layout.trunFlags & TrunFlags.duration != 0 { w.u32(s.duration) }
                        w.u32(UInt32(truncatingIfNeeded: s.data.count))
                        if layout.trunFlags & TrunFlags.flags != 0 { w.u32(RunLayout.flags(s)) }
                    }
                }
                writeTemporalGroups(&w, samples, track)
                w.fullBox(BoxType.scrc, version: 1, flags: 0) { w in w.u32(CRC32.checksum(concatenating: samples.map(\.data))) }
            }
        }
        let moofSize = w.count - moofStart
        w.patchU32(at: dataOffsetField, UInt32(truncatingIfNeeded: moofSize + (payload + 8 > Int(UInt32.max) ? 16 : 8)))
        w.box(BoxType.mdat) { w in for s in samples { w.append(s.data) } }
        return w.bytes
    }

    /// Which of a fragment's sample fields the `tfhd` gives once and which the `trun` gives per sample.
    private struct RunLayout {
        var tfhdFlags = TfhdFlags.defaultBaseIsMoof
        var trunFlags = TrunFlags.dataOffset | TrunFlags.size
        var defaultDuration: UInt32?
        var defaultFlags: UInt32?
        var firstSampleFlags: UInt32?

        static func flags(_ s: MediaSample) -> UInt32 { s.isSync ? SampleFlags.sync : SampleFlags.nonSync }

        init(_ samples: [MediaSample]) {
            guard let first = samples.first else { return }
            if samples.allSatisfy({ $0.duration == first.duration }) {
                tfhdFlags |= TfhdFlags.defaultDuration
                defaultDuration = first.duration
            } else {
                trunFlags |= TrunFlags.duration
            }
            // Every sample after the first shares one value (a fragment opens at its one sync sample).
            let rest = samples.dropFirst().map(RunLayout.flags)
            if rest.allSatisfy({ $0 == rest.first }) {
                tfhdFlags |= TfhdFlags.defaultFlags
                defaultFlags = rest.first ?? RunLayout.flags(first)
                if RunLayout.flags(first) != defaultFlags {
                    trunFlags |= TrunFlags.firstSampleFlags
                    firstSampleFlags = RunLayout.flags(first)
                }
            } else {
                trunFlags |= TrunFlags.flags
            }
        }
    }

    /// Each sample mapped to its temporal id's `tscl` entry by a `csgp` (``CompactSampleGroups``): an
    /// entry of the init segment's (`track.temporalLayerIds`) where it describes every id the samples
    /// carry, else of an `sgpd` the fragment writes, one entry per distinct id.
    private static func writeTemporalGroups(_ w: inout ByteWriter, _ samples: [MediaSample], _ track: TrackDescription) {
        guard !samples.isEmpty else { return }
        let sampleIds = samples.map { max(0, min(255, $0.temporalId)) }
        if !track.temporalLayerIds.isEmpty && Set(sampleIds).isSubset(of: track.temporalLayerIds) {
            let entries = sampleIds.map { track.temporalLayerIds.firstIndex(of: $0)! + 1 }
            CompactSampleGroups.write(&w, groupingType: BoxType.tscl, entries: entries, fragmentLocal: false)
            return
        }
        let ids = Array(Set(sampleIds)).sorted()
        writeTemporalLayerEntries(&w, ids)
        CompactSampleGroups.write(&w, groupingType: BoxType.tscl, entries: sampleIds.map { ids.firstIndex(of: $0)! + 1 }, fragmentLocal: true)
    }

    /// An `sgpd` of one `tscl` TemporalLayerEntry (ISO/IEC 14496-15) per id: `temporalLayerId`, then
    /// profile, level and rate fields that Strata leaves zero.
    private static func writeTemporalLayerEntries(_ w: inout ByteWriter, _ ids: [Int]) {
        w.fullBox(BoxType.sgpd, version: 1, flags: 0) { w in
            w.fourCC(BoxType.tscl)
            w.u32(20)
            w.u32(UInt32(ids.count))
            for id in ids {
                w.u8(UInt8(clamping: max(0, id)))
                w.zeros(19)
            }
        }
    }

    private static func writeMvhd(_ w: inout ByteWriter, timescale: UInt32, nextTrackID: UInt32) {
        w.fullBox(BoxType.mvhd, version: 0, flags: 0) { w in
            w.u32(0); w.u32(0)
            w.u32(timescale)
            w.u32(0)
            w.u32(0x0001_0000)
            w.u16(0x0100)
            w.zeros(10)
            writeMatrix(&w)
            w.zeros(24)
            w.u32(nextTrackID)
        }
    }

    private static func writeTkhd(_ w: inout ByteWriter, _ track: TrackDescription) {
        w.fullBox(BoxType.tkhd, version: 0, flags: 0x000003) { w in
            w.u32(0); w.u32(0)
            w.u32(track.trackID)
            w.u32(0)
            w.u32(0)
            w.zeros(8)
            w.u16(0); w.u16(0)
            w.u16(0); w.u16(0)
            writeMatrix(&w)
            w.u32(UInt32(clampedDimension(track.width)) << 16)
            w.u32(UInt32(clampedDimension(track.height)) << 16)
        }
    }

    private static func writeMatrix(_ w: inout ByteWriter) {
        for v: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { w.u32(v) }
    }

    private static func writeSampleEntry(_ w: inout ByteWriter, _ track: TrackDescription) {
        let type: FourCC
        switch track.codec {
        case .avc: type = BoxType.avc1
        case .avcInBand: type = BoxType.avc3
        case .strata: type = BoxType.stre
        case .svcSpatial: type = BoxType.stsv
        }
        w.box(type) { w in
            w.zeros(6)
            w.u16(1)
            w.zeros(16)
            w.u16(clampedDimension(track.width))
            w.u16(clampedDimension(track.height))
            w.u32(0x0048_0000)
            w.u32(0x0048_0000)
            w.u32(0)
            w.u16(1)
            let name = Array(compressorName(track).utf8.prefix(31))
            w.u8(UInt8(name.count))
            w.append(name)
            w.zeros(31 - name.count)
            w.u16(0x0018)
            w.u16(0xFFFF)
            switch track.codec {
            case let .avc(sps, pps), let .avcInBand(sps, pps):
                w.box(BoxType.avcC) { w in w.append(AVCDecoderConfiguration(sps: sps, pps: pps).serialized()) }
            case let .svcSpatial(parameterSets, dependencyId, layerIndex):
                w.fullBox(BoxType.stsC, version: 0, flags: 0) { w in
                    w.u16(UInt16(clamping: max(0, layerIndex)))
                    w.u8(UInt8(clamping: max(0, dependencyId)))
                    let sets = parameterSets.prefix(255)
                    w.u8(UInt8(sets.count))
                    for set in sets { w.u16(UInt16(truncatingIfNeeded: set.count)); w.append(set) }
                }
            case let .strata(configuration, layerIndex):
                w.fullBox(BoxType.strC, version: 0, flags: 0) { w in
                    w.u16(UInt16(clamping: max(0, layerIndex)))
                    w.append(configuration)
                }
            }
        }
    }

    private static func clampedDimension(_ v: Int) -> UInt16 { UInt16(clamping: max(0, v)) }

    static func handlerName(_ track: TrackDescription) -> String {
        switch track.codec {
        case .avc, .avcInBand: return "Strata base layer"
        case let .strata(_, index): return "Strata enhancement layer \(index)"
        case let .svcSpatial(_, _, index): return "Strata spatial layer \(index)"
        }
    }

    private static func compressorName(_ track: TrackDescription) -> String {
        switch track.codec {
        case .avc, .avcInBand: return "Strata AVC"
        case .strata: return "Strata enhancement"
        case .svcSpatial: return "Strata SVC spatial"
        }
    }

    /// ISO 639-2/T code packed as three 5-bit letters; anything else becomes `und`.
    static func packedLanguage(_ code: String) -> UInt16 {
        let letters = Array(code.utf8)
        let valid = letters.count == 3 && letters.allSatisfy { (0x61...0x7A).contains($0) }
        let l = valid ? letters : Array("und".utf8)
        return l.reduce(UInt16(0)) { $0 << 5 | UInt16($1 - 0x60) }
    }

    static func unpackedLanguage(_ packed: UInt16) -> String {
        let chars = [(packed >> 10) & 0x1F, (packed >> 5) & 0x1F, packed & 0x1F].map { UInt8($0) &+ 0x60 }
        guard chars.allSatisfy({ (0x61...0x7A).contains($0) }) else { return "und" }
        return String(decoding: chars, as: UTF8.self)
    }
}
