import StrataTestSupport
import Testing
@testable import StrataContainer

@Suite("CMAF init and media segments")
struct CMAFRoundTripTests {
    @Test func avcInitSegmentRoundTripsEveryField() throws {
        let track = Fixtures.avcTrack(id: 7)
        let bytes = CMAFWriter.initSegment(track)
        let parsed = try CMAFReader.parseInitSegment(bytes, path: "L0/init.mp4")
        #expect(parsed == track)
        #expect(track.codec.codecString == "avc1.42c01f")
        // ftyp first, major brand iso6 with cmfc compatible.
        #expect(Array(bytes[4..<12]) == Array("ftypiso6".utf8))
        #expect(bytes.count < 1024)
    }

    @Test func strataInitSegmentRoundTripsConfigurationAndDependencies() throws {
        let track = Fixtures.strataTrack()
        let parsed = try CMAFReader.parseInitSegment(CMAFWriter.initSegment(track), path: "L2/init.mp4")
        #expect(parsed == track)
        #expect(parsed.dependsOnTrackIDs == [1, 2])
        #expect(parsed.language == "eng")
        #expect(parsed.codec.codecString == "stre.2")
    }

    @Test func highProfileAvcCCarriesChromaExtension() throws {
        // High profile (100) SPS: id 0, chroma_format_idc 1, bit depths 0 -> ue codes 1, 010, 1, 1.
        let sps: [UInt8] = [0x67, 0x64, 0x00, 0x1E, 0b1010_1100, 0x80]
        let track = TrackDescription(trackID: 1, timescale: 25, width: 176, height: 144, codec: .avc(sps: [sps], pps: [Fixtures.pps]))
        let config = AVCDecoderConfiguration(sps: [sps], pps: [Fixtures.pps]).serialized()
        #expect(Array(config.suffix(4)) == [0xFD, 0xF8, 0xF8, 0x00])
        #expect(try CMAFReader.parseInitSegment(CMAFWriter.initSegment(track), path: "x") == track)
    }

    @Test func mediaSegmentRoundTripsSamplesTemporalIdsAndTimes() throws {
        let track = Fixtures.avcTrack()
        let samples = Fixtures.samples(200, temporalLayers: 4)
        #expect(Set(samples.map(\.temporalId)) == [0, 1, 2, 3])
        let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 41, baseMediaDecodeTime: 5_000_000_000_123, samples: samples)
        let parsed = try CMAFReader.parseMediaSegment(bytes, track: track, path: "L0/41.m4s")
        #expect(parsed.sequenceNumber == 41)
        #expect(parsed.baseMediaDecodeTime == 5_000_000_000_123)
        #expect(parsed.samples == samples)
        // The payloads sit contiguously in one mdat at the end, in decode order.
        let payload = samples.flatMap(\.data)
        #expect(Array(bytes.suffix(payload.count)) == payload)
        #expect(Array(bytes[bytes.count - payload.count - 4..<bytes.count - payload.count]) == Array("mdat".utf8))
    }

    @Test func temporalIdsAreReadableFromTheSampleGroupAlone() throws {
        let track = Fixtures.strataTrack()
        let samples = Fixtures.samples(8, temporalLayers: 3)
        #expect(samples.map(\.temporalId) == [0, 2, 1, 2, 0, 2, 1, 2])
        let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 0, baseMediaDecodeTime: 0, samples: samples)
        // The csgp box, whole: flags 0x80 (fragment-local indices) with 4-bit fields; one pattern of
        // length 4 over 8 samples; the sgpd entries of ids 0, 2, 1, 2 (1, 3, 2, 3) with the local bit.
        let csgp = try #require(find("csgp", in: bytes))
        #expect(Array(bytes[csgp..<csgp + 23]) == [0, 0, 0, 23] + Array("csgp".utf8) + [0, 0, 0, 0x80] + Array("tscl".utf8)
                + [0, 0, 0, 1, 0x48, 0x9B, 0xAB])
    }

    @Test func aFragmentCostsFourBytesPerSampleBesideItsPayload() throws {
        let track = Fixtures.avcTrack()
        for layers in 1...4 {
            let samples = Fixtures.samples(240, temporalLayers: layers)
            let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples)
            let overhead = bytes.count - samples.reduce(0) { $0 + $1.data.count }
            // styp 28, mfhd 16, traf and moof headers 16, tfhd 24, tfdt 20, trun 24, sgpd 24 + 20 per id,
            // csgp 22 + pattern, scrc 16, mdat header 8: about 200 + 20 per id, and 4 per sample.
            #expect(overhead <= 240 * 4 + 220 + 20 * layers, "\(layers) temporal layers: \(overhead) bytes")
            #expect(try CMAFReader.parseMediaSegment(bytes, track: track, path: "f").samples == samples)
        }
    }

    @Test func durationsAndFlagsThatDifferArePerSample() throws {
        let track = Fixtures.avcTrack()
        var samples = Fixtures.samples(20, temporalLayers: 3)
        samples[7].duration = 1024
        samples[12].isSync = true
        let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples)
        #expect(try CMAFReader.parseMediaSegment(bytes, track: track, path: "f").samples == samples)
        // A fragment that is all non-sync samples of one duration needs no per-sample flags either.
        let plain = Fixtures.samples(20, temporalLayers: 3).map { MediaSample(data: $0.data, duration: 512, isSync: false, temporalId: $0.temporalId) }
        let plainBytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: plain)
        #expect(try CMAFReader.parseMediaSegment(plainBytes, track: track, path: "f").samples == plain)
        // Durations and flags per sample in the trun, in place of the tfhd's two defaults.
        #expect(bytes.count - plainBytes.count == 20 * 8 - 8)
    }

    @Test func irregularTemporalIdsRoundTripThroughCompactPatterns() throws {
        let track = Fixtures.strataTrack()
        var rng = SplitMix64(seed: 5)
        for trial in 0..<20 {
            // A hierarchy that changes partway, runs, and random ids.
            var samples = Fixtures.samples(Int.random(in: 1...300, using: &rng), temporalLayers: 1 + trial % 4, seed: UInt64(trial))
            for i in samples.indices where Int.random(in: 0..<10, using: &rng) == 0 { samples[i].temporalId = Int.random(in: 0...6, using: &rng) }
            let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples)
            #expect(try CMAFReader.parseMediaSegment(bytes, track: track, path: "f").samples.map(\.temporalId) == samples.map(\.temporalId))
        }
        // A repeating hierarchy is one pattern, whatever the fragment's length.
        #expect(CompactSampleGroups.patterns([1, 4, 3, 4, 2, 4, 3, 4, 1, 4, 3]) == [.init(indices: [1, 4, 3, 4, 2, 4, 3, 4], sampleCount: 11)])
        #expect(CompactSampleGroups.patterns([1, 1, 1, 2, 2]) == [.init(indices: [1], sampleCount: 3), .init(indices: [2], sampleCount: 2)])
    }

    @Test func temporalIdsDescribedInTheInitSegmentLeaveTheFragmentsTheMapAlone() throws {
        var track = Fixtures.strataTrack()
        track.temporalLayerIds = [0, 1, 2, 3]
        let initBytes = CMAFWriter.initSegment(track)
        #expect(try CMAFReader.parseInitSegment(initBytes, path: "i") == track)
        #expect(find("sgpd", in: initBytes) != nil)
        let samples = Fixtures.samples(60, temporalLayers: 4)
        let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples)
        #expect(find("sgpd", in: bytes) == nil)
        #expect(try CMAFReader.parseMediaSegment(bytes, track: track, path: "f").samples == samples)
        // The fragment of a track whose init segment does not describe them carries its own: 24 bytes and
        // 20 per id more.
        let own = CMAFWriter.mediaSegment(Fixtures.strataTrack(), sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples)
        #expect(own.count - bytes.count == 24 + 20 * 4)
        // Read with a track that lacks them, the indices refer to nothing.
        #expect(throws: ContainerError.self) { try CMAFReader.parseMediaSegment(bytes, track: Fixtures.strataTrack(), path: "f") }
        // A sample whose id the init segment does not list gets the fragment's own description.
        var odd = samples
        odd[5].temporalId = 6
        let oddBytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: odd)
        #expect(find("sgpd", in: oddBytes) != nil)
        #expect(try CMAFReader.parseMediaSegment(oddBytes, track: track, path: "f").samples == odd)
    }

    @Test func fragmentsOfFormatOneStillRead() throws {
        // Format 1 wrote every sample's duration, size and flags, an sbgp run per change of temporal
        // id and a CRC-32 per sample (scrc version 0), which also names the damaged sample.
        let track = Fixtures.avcTrack()
        let samples = Fixtures.samples(12, temporalLayers: 3)
        var bytes = Self.formatOneFragment(track, samples)
        #expect(try CMAFReader.parseMediaSegment(bytes, track: track, path: "old").samples == samples)
        bytes[bytes.count - samples.reduce(0) { $0 + $1.data.count } + samples[0].data.count] ^= 1
        #expect(throws: ContainerError.integrity(path: "old", sample: 1)) {
            try CMAFReader.parseMediaSegment(bytes, track: track, path: "old")
        }
    }

    static func formatOneFragment(_ track: TrackDescription, _ samples: [MediaSample]) -> [UInt8] {
        var w = ByteWriter()
        var dataOffsetField = 0
        w.box("moof") { w in
            w.fullBox("mfhd", version: 0, flags: 0) { w in w.u32(1) }
            w.box("traf") { w in
                w.fullBox("tfhd", version: 0, flags: 0x020000) { w in w.u32(track.trackID) }
                w.fullBox("trun", version: 0, flags: 0x000701) { w in
                    w.u32(UInt32(samples.count))
                    dataOffsetField = w.count
                    w.u32(0)
                    for s in samples { w.u32(s.duration); w.u32(UInt32(s.data.count)); w.u32(s.isSync ? 0x0200_0000 : 0x0101_0000) }
                }
                let ids = Array(Set(samples.map(\.temporalId))).sorted()
                w.fullBox("sgpd", version: 1, flags: 0) { w in
                    w.fourCC("tscl"); w.u32(20); w.u32(UInt32(ids.count))
                    for id in ids { w.u8(UInt8(id)); w.zeros(19) }
                }
                w.fullBox("sbgp", version: 0, flags: 0) { w in
                    w.fourCC("tscl"); w.u32(UInt32(samples.count))
                    for s in samples { w.u32(1); w.u32(0x10000 + UInt32(ids.firstIndex(of: s.temporalId)! + 1)) }
                }
                w.fullBox("scrc", version: 0, flags: 0) { w in
                    w.u32(UInt32(samples.count))
                    for s in samples { w.u32(CRC32.checksum(s.data)) }
                }
            }
        }
        w.patchU32(at: dataOffsetField, UInt32(w.count + 8))
        w.box("mdat") { w in for s in samples { w.append(s.data) } }
        return w.bytes
    }

    @Test func nalUnitsRoundTripThroughLengthPrefixedSamples() throws {
        let units: [[UInt8]] = [[0x06, 0x05, 0x01], [0x65, 0x88, 0x84, 0x00, 0x10], [0x0C, 0xFF]]
        let sample = MediaSample.avcSample(nalUnits: units, duration: 512, isSync: true, temporalId: 0)
        #expect(sample.data.count == units.reduce(0) { $0 + $1.count + 4 })
        #expect(try sample.nalUnits() == units)
        var broken = sample
        broken.data[3] = 200
        #expect(throws: ContainerError.malformedSample(path: "f", sample: 4, offset: 0, detail: "NAL unit of 200 bytes runs past the sample's end")) {
            try broken.nalUnits(path: "f", sample: 4)
        }
    }

    @Test func emptyFragmentRoundTrips() throws {
        let track = Fixtures.avcTrack()
        let bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 3, baseMediaDecodeTime: 9, samples: [])
        let parsed = try CMAFReader.parseMediaSegment(bytes, track: track, path: "e")
        #expect(parsed == ParsedFragment(sequenceNumber: 3, baseMediaDecodeTime: 9, samples: []))
    }

    @Test func flippedPayloadByteIsReportedAsIntegrityFailure() throws {
        let track = Fixtures.avcTrack()
        let samples = Fixtures.samples(30)
        var bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: samples)
        // Flip one bit inside sample 17's payload.
        let mdatBody = bytes.count - samples.reduce(0) { $0 + $1.data.count }
        let offset = mdatBody + samples[0..<17].reduce(0) { $0 + $1.data.count } + samples[17].data.count / 2
        bytes[offset] ^= 0x10
        #expect(throws: ContainerError.integrity(path: "L0/1.m4s", sample: nil)) {
            try CMAFReader.parseMediaSegment(bytes, track: track, path: "L0/1.m4s")
        }
    }

    @Test func fragmentOfAnotherTrackIsRejected() {
        let bytes = CMAFWriter.mediaSegment(Fixtures.avcTrack(id: 2), sequenceNumber: 1, baseMediaDecodeTime: 0, samples: Fixtures.samples(3))
        #expect(throws: ContainerError.trackMismatch(path: "p", expected: 1, found: 2)) {
            try CMAFReader.parseMediaSegment(bytes, track: Fixtures.avcTrack(id: 1), path: "p")
        }
    }

    @Test func truncationAtEveryOffsetGivesATypedError() {
        let track = Fixtures.avcTrack()
        let media = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: Fixtures.samples(5, maxSize: 20))
        var failures = 0
        for n in 0..<media.count {
            do {
                _ = try CMAFReader.parseMediaSegment(Array(media[0..<n]), track: track, path: "m")
            } catch {
                failures += 1
            }
        }
        #expect(failures == media.count)
        let initBytes = CMAFWriter.initSegment(Fixtures.strataTrack())
        failures = 0
        for n in 0..<initBytes.count {
            do {
                _ = try CMAFReader.parseInitSegment(Array(initBytes[0..<n]), path: "i")
            } catch {
                failures += 1
            }
        }
        #expect(failures == initBytes.count)
    }

    @Test func truncatedFragmentNamesTheBoxAndOffset() {
        let track = Fixtures.avcTrack()
        let media = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: Fixtures.samples(5))
        let cut = Array(media.dropLast(3))
        let moofStart = 28  // after the 28-byte styp
        let mdatStart = moofStart + Int(UInt32(media[moofStart]) << 24 | UInt32(media[moofStart + 1]) << 16 | UInt32(media[moofStart + 2]) << 8 | UInt32(media[moofStart + 3]))
        #expect(throws: ContainerError.truncated(path: "L0/1.m4s", offset: mdatStart, box: "mdat")) {
            try CMAFReader.parseMediaSegment(cut, track: track, path: "L0/1.m4s")
        }
    }

    @Test func oversizedSampleCountIsRefusedBeforeAllocating() throws {
        let track = Fixtures.avcTrack()
        var bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: Fixtures.samples(2))
        let trun = try #require(find("trun", in: bytes))
        // sample_count follows the trun header (8) and version/flags (4).
        for i in 0..<4 { bytes[trun + 12 + i] = 0xFF }
        #expect(throws: ContainerError.limitExceeded(path: "p", offset: trun, box: "trun", field: "sample count",
                                                     value: 0xFFFF_FFFF, limit: UInt64(ContainerLimits.maxSamplesPerFragment))) {
            try CMAFReader.parseMediaSegment(bytes, track: track, path: "p")
        }
    }

    @Test func missingIntegrityBoxIsAnError() throws {
        let track = Fixtures.avcTrack()
        var bytes = CMAFWriter.mediaSegment(track, sequenceNumber: 1, baseMediaDecodeTime: 0, samples: Fixtures.samples(2))
        let scrc = try #require(find("scrc", in: bytes))
        bytes.replaceSubrange(scrc + 4..<scrc + 8, with: Array("free".utf8))
        #expect(throws: ContainerError.missingBox(path: "p", box: "scrc", parent: "traf")) {
            try CMAFReader.parseMediaSegment(bytes, track: track, path: "p")
        }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.referenceChecksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func slicedCRC32MatchesTheByteAtATimeReference() {
        var rng = SplitMix64(seed: 99)
        let data = Fixtures.bytes(4096, &rng)
        for _ in 0..<500 {
            let a = Int.random(in: 0...data.count, using: &rng)
            let b = Int.random(in: a...min(data.count, a + Int.random(in: 0...300, using: &rng)), using: &rng)
            #expect(CRC32.checksum(data, range: a..<b) == CRC32.referenceChecksum(data, range: a..<b))
        }
        #expect(CRC32.checksum(data) == CRC32.referenceChecksum(data))
    }

    /// Offset of the first box of `type` (by its type field), scanning byte by byte.
    func find(_ type: String, in bytes: [UInt8]) -> Int? {
        let t = Array(type.utf8)
        guard bytes.count >= 8 else { return nil }
        for i in 4..<(bytes.count - 4) where Array(bytes[i..<i + 4]) == t { return i - 4 }
        return nil
    }
}
