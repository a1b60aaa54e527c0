/// Four-character codes Strata writes and reads; see Specs/fragment-format.md.
enum BoxType {
    static let ftyp: FourCC = "ftyp", styp: FourCC = "styp", moov: FourCC = "moov", mvhd: FourCC = "mvhd"
    static let trak: FourCC = "trak", tkhd: FourCC = "tkhd", tref: FourCC = "tref", scal: FourCC = "scal"
    static let mdia: FourCC = "mdia", mdhd: FourCC = "mdhd", hdlr: FourCC = "hdlr", minf: FourCC = "minf"
    static let vmhd: FourCC = "vmhd", dinf: FourCC = "dinf", dref: FourCC = "dref", url: FourCC = "url "
    static let stbl: FourCC = "stbl", stsd: FourCC = "stsd", stts: FourCC = "stts", stsc: FourCC = "stsc"
    static let stsz: FourCC = "stsz", stco: FourCC = "stco", mvex: FourCC = "mvex", trex: FourCC = "trex"
    static let avc1: FourCC = "avc1", avcC: FourCC = "avcC", stre: FourCC = "stre", strC: FourCC = "strC"
    static let avc3: FourCC = "avc3", stsv: FourCC = "stsv", stsC: FourCC = "stsC"
    static let moof: FourCC = "moof", mfhd: FourCC = "mfhd", traf: FourCC = "traf", tfhd: FourCC = "tfhd"
    static let tfdt: FourCC = "tfdt", trun: FourCC = "trun", sgpd: FourCC = "sgpd", sbgp: FourCC = "sbgp"
    static let csgp: FourCC = "csgp", tscl: FourCC = "tscl", scrc: FourCC = "scrc", mdat: FourCC = "mdat", vide: FourCC = "vide"
    static let iso6: FourCC = "iso6", cmfc: FourCC = "cmfc", msdh: FourCC = "msdh", cmfs: FourCC = "cmfs"
    static let root: FourCC = "file"
}

/// `trun` flag bits (ISO/IEC 14496-12, 8.8.8).
enum TrunFlags {
    static let dataOffset: UInt32 = 0x000001
    static let firstSampleFlags: UInt32 = 0x000004
    static let duration: UInt32 = 0x000100
    static let size: UInt32 = 0x000200
    static let flags: UInt32 = 0x000400
    static let compositionOffset: UInt32 = 0x000800
}

/// `tfhd` flag bits (ISO/IEC 14496-12, 8.8.7).
enum TfhdFlags {
    static let baseDataOffset: UInt32 = 0x000001
    static let sampleDescriptionIndex: UInt32 = 0x000002
    static let defaultDuration: UInt32 = 0x000008
    static let defaultSize: UInt32 = 0x000010
    static let defaultFlags: UInt32 = 0x000020
    static let durationIsEmpty: UInt32 = 0x010000
    static let defaultBaseIsMoof: UInt32 = 0x020000
}

/// Sample flags (ISO/IEC 14496-12, 8.8.3.1) for sync and non-sync pictures.
enum SampleFlags {
    /// `sample_depends_on` = 2 (does not depend on others), sync.
    static let sync: UInt32 = 0x0200_0000
    /// `sample_depends_on` = 1 (depends on others), `sample_is_non_sync_sample` = 1.
    static let nonSync: UInt32 = 0x0101_0000
    static let nonSyncBit: UInt32 = 0x0001_0000

    /// Sample groups local to a fragment are numbered from this value plus one (8.9.4).
    static let fragmentLocalGroupBase: UInt32 = 0x10000
}
