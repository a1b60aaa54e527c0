import Testing
@testable import StrataBase
import StrataCore

@Suite("Annex B")
struct AnnexBTests {
    /// SPS, PPS, prefix (T2, D0), IDR slice, with three- and four-byte start codes.
    private let sample: [UInt8] = [
        0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1E, 0x95,
        0, 0, 1, 0x68, 0xCE, 0x3C, 0x80,
        0, 0, 0, 1, 0x6E, 0xC0, 0x80, 0x5F,
        0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x20,
    ]

    @Test("parse finds every unit with its type, ref idc and bytes, dropping start codes")
    func parseSample() throws {
        let units = try AnnexB.parse(sample)
        #expect(units.map(\.type) == [7, 8, 14, 5])
        #expect(units.map(\.nalRefIdc) == [3, 3, 3, 3])
        #expect(units[0].bytes == [0x67, 0x42, 0xC0, 0x1E, 0x95])
        #expect(units[3].bytes == [0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x20])
        #expect(units.map(\.isParameterSet) == [true, true, false, false])
        #expect(units.map(\.isAVCBaseNAL) == [true, true, false, true])
        #expect(units.allSatisfy { $0.frameIndex == -1 })
    }

    @Test("an AVC slice takes the temporal and dependency ids of the prefix before it")
    func prefixIdsGoToSlice() throws {
        let units = try AnnexB.parse(sample)
        // Prefix byte 3 is 0x5F: temporal_id = 0x5F >> 5 = 2.
        #expect(units[2].temporalId == 2)
        #expect(units[3].temporalId == 2)
        #expect(units[0].temporalId == 0)
        #expect(units[2].isIDR)
    }

    @Test("SVC extension headers give dependency, quality and temporal ids")
    func svcHeaderIds() throws {
        // Type 20, svc_extension_flag 1, idr 0; dependency_id 1, quality_id 2; temporal_id 3.
        let units = try AnnexB.parse([0, 0, 1, 0x74, 0x80, 0x12, 0x60, 0xAA])
        #expect(units.count == 1)
        #expect(units[0].type == 20)
        #expect(units[0].dependencyId == 1)
        #expect(units[0].qualityId == 2)
        #expect(units[0].temporalId == 3)
        #expect(!units[0].isAVCBaseNAL)
        #expect(!units[0].isIDR)
    }

    @Test("serialize then parse gives the same units, and re-serializing is byte-exact")
    func roundTrip() throws {
        let units = try AnnexB.parse(sample)
        let bytes = AnnexB.serialize(units)
        #expect(bytes.count == units.reduce(0) { $0 + 4 + $1.bytes.count })
        let again = try AnnexB.parse(bytes)
        #expect(again == units)
        #expect(AnnexB.serialize(again) == bytes)
    }

    @Test("an encoded stream survives parse and serialize byte for byte")
    func encodedStreamRoundTrip() throws {
        let frames = TestClips.qcif(frames: 6)
        let config = BaseEncoderConfiguration(width: 176, height: 144, frameRate: FrameRate(25), temporalLayers: 2, rateControl: .constantQP(30))
        let units = try TestClips.encode(frames, config)
        let stream = AnnexB.serialize(units.flatMap(\.nalUnits))
        let parsed = try AnnexB.parse(stream)
        #expect(AnnexB.serialize(parsed) == stream)
        #expect(parsed.map(\.bytes) == units.flatMap(\.nalUnits).map(\.bytes))
        let regrouped = AnnexB.accessUnits(parsed)
        #expect(regrouped.count == 6)
        #expect(regrouped.map(\.isIDR) == units.map(\.isIDR))
        #expect(regrouped.map { $0.nalUnits.map(\.bytes) } == units.map { $0.nalUnits.map(\.bytes) })
        #expect(regrouped.allSatisfy { au in au.nalUnits.allSatisfy { $0.frameIndex == au.frameIndex } })
    }

    @Test("data before the first start code is reported at its offset")
    func missingStartCode() {
        #expect(throws: AnnexBError.missingStartCode(byteOffset: 0)) { try AnnexB.parse([0x67, 0x42, 0, 0, 1, 0x68]) }
        #expect(throws: AnnexBError.missingStartCode(byteOffset: 2)) { try AnnexB.parse([0, 0, 0x67, 0x42]) }
        #expect(throws: AnnexBError.missingStartCode(byteOffset: 1)) { try AnnexB.parse([0, 9, 0, 0, 0, 1, 0x68]) }
    }

    @Test("an empty or too-short unit is truncated at its offset")
    func truncated() {
        // Start code at the very end.
        #expect(throws: AnnexBError.truncatedNALUnit(byteOffset: 9, length: 0)) { try AnnexB.parse([0, 0, 0, 1, 0x67, 0x42, 0, 0, 1]) }
        // Two start codes back to back.
        #expect(throws: AnnexBError.truncatedNALUnit(byteOffset: 4, length: 0)) { try AnnexB.parse([0, 0, 0, 1, 0, 0, 0, 1, 0x68, 0xCE]) }
        // An SVC slice needs four header bytes.
        #expect(throws: AnnexBError.truncatedNALUnit(byteOffset: 3, length: 2)) { try AnnexB.parse([0, 0, 1, 0x74, 0x80]) }
    }

    @Test("a set forbidden_zero_bit is reported at the unit's offset")
    func forbiddenBit() {
        #expect(throws: AnnexBError.forbiddenZeroBitSet(byteOffset: 13)) {
            try AnnexB.parse([0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1E, 0x95, 0, 0, 0, 1, 0xE8, 0xCE])
        }
    }

    @Test("empty input is an empty stream; trailing zeros are not part of a unit")
    func emptyAndTrailingZeros() throws {
        #expect(try AnnexB.parse([]).isEmpty)
        #expect(try AnnexB.parse([0, 0, 0]).isEmpty)
        let units = try AnnexB.parse([0, 0, 1, 0x68, 0xCE, 0, 0, 0, 0])
        #expect(units.map(\.bytes) == [[0x68, 0xCE]])
    }

    @Test("random bytes never trap: they parse or fail with a typed error")
    func randomBytesNeverTrap() {
        var state: UInt64 = 0x1234_5678
        for round in 0..<300 {
            var bytes: [UInt8] = round % 2 == 0 ? [0, 0, 0, 1] : []
            for _ in 0..<(round % 64) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let r = UInt8(truncatingIfNeeded: state >> 56)
                bytes.append(r % 4 == 0 ? 0 : r)
            }
            do {
                let units = try AnnexB.parse(bytes)
                _ = AnnexB.accessUnits(units)
                #expect(units.allSatisfy { !$0.bytes.isEmpty && $0.bytes[0] & 0x80 == 0 })
            } catch {
                switch error {
                case .missingStartCode(let o), .forbiddenZeroBitSet(let o), .truncatedNALUnit(let o, _):
                    #expect(o >= 0 && o <= bytes.count)
                }
            }
        }
    }

    @Test("access units split at first_mb_in_slice 0, access unit delimiters and parameter sets")
    func accessUnitGrouping() throws {
        // first_mb_in_slice ue(v): bit pattern 1 = 0, 010 = 1.
        let sps: [UInt8] = [0x67, 0x42], pps: [UInt8] = [0x68, 0xCE]
        let idr0: [UInt8] = [0x65, 0x88], idr1: [UInt8] = [0x65, 0x48]   // first_mb 0, first_mb 1
        let p0: [UInt8] = [0x41, 0x9A], p1: [UInt8] = [0x41, 0x4A]
        let aud: [UInt8] = [0x09, 0xF0]
        let stream = [sps, pps, idr0, idr1, p0, p1, aud, p0, sps, pps, idr0].map { NALUnit(bytes: $0) }
        let units = AnnexB.accessUnits(stream)
        #expect(units.count == 4)
        #expect(units.map { $0.nalUnits.count } == [4, 2, 2, 3])
        #expect(units.map(\.isIDR) == [true, false, false, true])
        #expect(units.map(\.frameIndex) == [0, 1, 2, 3])
        #expect(units[2].nalUnits.first?.type == NALUnitType.accessUnitDelimiter)
        #expect(units[3].nalUnits.map(\.type) == [7, 8, 5])
    }

    @Test("emulation-prevention bytes are skipped when reading slice headers")
    func emulationPrevention() {
        // 00 00 03 01: the RBSP is 00 00 01; 23 leading zero bits then a 1 ... first_mb = 2^23 - 1 + rest.
        var reader = RBSPBitReader(bytes: [0x00, 0x00, 0x03, 0x01, 0xFF, 0xFF, 0xFF], start: 0)
        #expect(reader.readUnsignedExpGolomb() == (1 << 23) - 1 + 0x7FFFFF)
        var short = RBSPBitReader(bytes: [0x00, 0x00], start: 0)
        #expect(short.readUnsignedExpGolomb() == nil)
    }
}
