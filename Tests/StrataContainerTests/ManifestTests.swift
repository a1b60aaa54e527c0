import Foundation
import Testing
@testable import StrataContainer

@Suite("manifest.json, stream.mpd and base.m3u8")
struct ManifestTests {
    @Test func manifestJSONRoundTripsAndIsByteStable() throws {
        let manifest = Fixtures.manifest()
        let bytes = manifest.encoded()
        #expect(bytes == Fixtures.manifest().encoded())
        let decoded = try StreamManifest.decode(bytes, path: "manifest.json")
        #expect(decoded == manifest)
        #expect(decoded.encoded() == bytes)
    }

    @Test func manifestUsesTheContractKeysExactly() throws {
        let bytes = Fixtures.manifest().encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(Set(object.keys) == ["format", "version", "source", "segment_seconds", "temporal_layers", "segments", "layers"])
        #expect(object["format"] as? String == "strata")
        #expect(object["version"] as? Int == 1)
        let source = try #require(object["source"] as? [String: Any])
        #expect(Set(source.keys) == ["width", "height", "fps_num", "fps_den", "frames"])
        let segment = try #require((object["segments"] as? [[String: Any]])?.first)
        #expect(Set(segment.keys) == ["index", "first_frame", "frames"])
        let layers = try #require(object["layers"] as? [[String: Any]])
        let contractKeys: Set<String> = ["id", "kind", "codec", "width", "height", "depends_on", "bytes", "kbps", "init", "fragments"]
        #expect(contractKeys.isSubset(of: Set(layers[0].keys)))
        #expect(layers[0]["init"] as? String == "L0/init.mp4")
        #expect(layers[2]["depends_on"] as? [String] == ["L0", "L1"])
        #expect(layers[1]["kind"] as? String == "enhancement")
        // Slashes are not escaped and keys are sorted, so the file reads like the contract's example.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"L0/0.m4s\""))
        #expect(text.range(of: "\"format\"")!.lowerBound < text.range(of: "\"layers\"")!.lowerBound)
        #expect(text.hasSuffix("}\n"))
    }

    @Test func manifestValidationRejectsHostileOrInconsistentManifests() throws {
        func rejects(_ edit: (inout StreamManifest) -> Void) -> Bool {
            var m = Fixtures.manifest()
            edit(&m)
            do { _ = try StreamManifest.decode(m.encoded(), path: "m.json"); return false } catch { return true }
        }
        #expect(rejects { $0.layers[1].fragments[0] = "../../etc/passwd" })
        #expect(rejects { $0.layers[1].initSegment = "/etc/passwd" })
        #expect(rejects { $0.layers[1].fragments[2] = "http://example.com/x" })
        #expect(rejects { $0.layers[1].dependsOn = ["L2"] })
        #expect(rejects { $0.layers[2].id = "L1" })
        #expect(rejects { $0.layers[1].fragments.removeLast() })
        #expect(rejects { $0.segments[1].firstFrame = 51 })
        #expect(rejects { $0.source.frames = 133 })
        #expect(rejects { $0.format = "other" })
        #expect(rejects { $0.version = 2 })
        #expect(rejects { $0.source.width = 100_000 })
        #expect(!rejects { _ in })
        #expect(throws: ContainerError.self) { try StreamManifest.decode(Array("{\"format\": \"strata\"".utf8), path: "m.json") }
        do {
            _ = try StreamManifest.decode(Array("{}".utf8), path: "m.json")
            Issue.record("an empty object was accepted")
        } catch {
            #expect(error.description.contains("missing key"))
        }
    }

    @Test func mpdNamesLowerLayersInDependencyIdAndParsesBack() throws {
        let manifest = Fixtures.manifest()
        let mpd = DASHManifest.mpd(for: manifest)
        #expect(mpd == DASHManifest.mpd(for: Fixtures.manifest()))
        #expect(mpd.contains("<Representation id=\"L1\" dependencyId=\"L0\" codecs=\"stre.1\""))
        #expect(mpd.contains("<Representation id=\"L2\" dependencyId=\"L0 L1\" codecs=\"stre.2\""))
        #expect(mpd.contains("initialization=\"L0/init.mp4\" media=\"L0/$Number$.m4s\" startNumber=\"0\""))
        #expect(mpd.contains("mediaPresentationDuration=\"PT5.28S\""))
        #expect(mpd.contains("<S t=\"0\" d=\"25600\" r=\"1\"/>"))
        #expect(mpd.contains("<S t=\"51200\" d=\"16384\"/>"))

        let presentation = try DASHManifest.parse(mpd)
        #expect(presentation.durationSeconds == 5.28)
        #expect(presentation.representations.map(\.id) == ["L0", "L1", "L2"])
        let l2 = try #require(presentation.representation("L2"))
        #expect(l2.dependencyIds == ["L0", "L1"])
        #expect(l2.initialization == "L2/init.mp4")
        #expect(l2.segmentCount == 3)
        #expect((0..<3).map { l2.mediaPath(segment: $0) } == manifest.layers[2].fragments)
        #expect(l2.segmentDurations == [25_600, 25_600, 16_384])
        #expect(l2.width == 1280 && l2.height == 720)
        #expect(l2.codecs == "stre.2")
        #expect(l2.bandwidth == Int((manifest.layers[2].kbps * 1000).rounded(.up)))
        #expect(presentation.representation("L0")?.dependencyIds == [])
    }

    @Test func mpdReaderHandlesInheritedTemplatesAndDurationAddressing() throws {
        let xml = """
        <?xml version="1.0"?>
        <!-- written by another packager -->
        <mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011" mediaPresentationDuration="PT0H0M9.5S" type="static">
          <mpd:Period>
            <mpd:AdaptationSet codecs="avc1.640028" width="1920" height="1080">
              <mpd:SegmentTemplate timescale="1000" duration="2000" startNumber="1"
                 initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/seg-$Number%05d$.m4s"/>
              <mpd:Representation id="hi" bandwidth="5000000"/>
              <mpd:Representation id="enh" bandwidth="100" dependencyId="hi">
                <mpd:SegmentTemplate media="e/$Time$.m4s?a=1&amp;b=2"><mpd:SegmentTimeline><mpd:S t="10" d="5" r="-1"/></mpd:SegmentTimeline></mpd:SegmentTemplate>
              </mpd:Representation>
            </mpd:AdaptationSet>
          </mpd:Period>
        </mpd:MPD>
        """
        let p = try DASHManifest.parse(xml, path: "x.mpd")
        let hi = try #require(p.representation("hi"))
        #expect(hi.initialization == "hi/init.mp4")
        #expect(hi.segmentCount == 5)
        #expect(hi.mediaPath(segment: 0) == "hi/seg-00001.m4s")
        #expect(hi.codecs == "avc1.640028" && hi.width == 1920)
        let enh = try #require(p.representation("enh"))
        #expect(enh.dependencyIds == ["hi"])
        #expect(enh.segmentCount == 1898)  // (9.5 s * 1000 - 10) / 5
        #expect(enh.mediaPath(segment: 2) == "e/20.m4s?a=1&b=2")
    }

    @Test func mpdReaderRejectsMalformedDocumentsWithOffsets() {
        let cases: [(String, Int)] = [
            ("", 0),
            ("<MPD><Period></MPD>", 13),
            ("<MPD a=\"1\" a=\"2\"/>", 11),
            ("<!DOCTYPE x [<!ENTITY e \"e\">]><MPD/>", 0),
            ("<MPD><Period/></MPD>", 5),
        ]
        for (xml, offset) in cases {
            do {
                _ = try DASHManifest.parse(xml, path: "bad.mpd")
                Issue.record("accepted: \(xml)")
            } catch let ContainerError.malformedMPD(path, at, _) {
                #expect(path == "bad.mpd")
                #expect(at == offset, "offset for \(xml)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        let deep = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        #expect(throws: ContainerError.self) { try DASHManifest.parse(deep) }
    }

    @Test func hlsPlaylistListsEveryBaseFragmentWithExactDurations() {
        let playlist = HLSPlaylist.mediaPlaylist(for: Fixtures.manifest(), layer: "L0")
        #expect(playlist.split(separator: "\n").map(String.init) == [
            "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-MAP:URI=\"L0/init.mp4\"",
            "#EXTINF:2.000000,", "L0/0.m4s", "#EXTINF:2.000000,", "L0/1.m4s", "#EXTINF:1.280000,", "L0/2.m4s",
            "#EXT-X-ENDLIST",
        ])
    }

    @Test func fractionalFrameRatesGiveExactTimelines() throws {
        var m = Fixtures.manifest()
        m.source.fpsNum = 30_000
        m.source.fpsDen = 1001
        for i in m.layers.indices { m.layers[i].timescale = 30_000 }
        let mpd = DASHManifest.mpd(for: m)
        #expect(mpd.contains("frameRate=\"30000/1001\""))
        #expect(mpd.contains("<S t=\"0\" d=\"50050\" r=\"1\"/>"))
        let parsed = try DASHManifest.parse(mpd)
        #expect(parsed.representations[0].segmentStartTimes == [0, 50_050, 100_100])
        #expect(HLSPlaylist.mediaPlaylist(for: m, layer: "L0").contains("#EXTINF:1.668333,"))
    }

    @Test func isoDurationsParse() {
        #expect(DASHManifest.parseISODuration("PT5.28S") == 5.28)
        #expect(DASHManifest.parseISODuration("P1DT1H1M1S") == 90_061)
        #expect(DASHManifest.parseISODuration("P1Y") == nil)
        #expect(DASHManifest.parseISODuration("PT") == nil)
        #expect(DASHManifest.parseISODuration("5S") == nil)
    }
}
