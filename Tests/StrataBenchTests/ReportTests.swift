import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Strata
import Testing
@testable import StrataBench

@Suite struct ReportTests {
    static func sampleReport() -> BenchReport {
        func rung(_ w: Int, _ h: Int, _ kbps: Double, _ q: Double, counted: Bool) -> RungResult {
            RungResult(width: w, height: h, kbps: kbps, psnrY: q, ssim: 0.95, vmaf: nil, parameterName: "crf", parameter: 23,
                       matchedBy: .search, qualityError: 0.04, encodeSeconds: 0.5, counted: counted)
        }
        let ops = [(1, 32, 32, 300.0, 31.0), (2, 64, 64, 700.0, 35.0), (3, 64, 64, 1200.0, 38.0)].map {
            OperatingPointResult(layers: $0.0, width: $0.1, height: $0.2, kbps: $0.3, psnrY: $0.4, ssim: 0.9, vmaf: nil,
                                 decodeFps: 500, counted: true, countedOpenH264: true, psnrCb: $0.4 + 4, psnrCr: $0.4 + 5)
        }
        let ladder = LadderSummary(encoder: "x264", preset: "medium", encodeSeconds: 1.5,
                                   rungs: [rung(32, 32, 250, 31, counted: true), rung(64, 64, 500, 35, counted: true), rung(64, 64, 900, 38, counted: true)],
                                   totalKbps: 1650, samples: [SampleResult(width: 32, height: 32, parameter: 23, kbps: 250, psnrY: 31, ssim: 0.9, vmaf: nil)],
                                   searchEncodes: 7, searchSeconds: 3)
        return BenchReport(clip: "clip", width: 64, height: 64, frames: 8, fps: 25, metric: .psnrY, metricNote: "VMAF unavailable",
                           status: "complete", plan: .standard,
                           layered: LayeredSummary(totalKbps: 1200, encodeSeconds: 0.7, operatingPoints: ops),
                           simulcast: ladder, simulcastOpenH264: ladder, storageRatio: 1200.0 / 1650, storageRatioOpenH264: 1200.0 / 1650,
                           topOverhead: 1200.0 / 900 - 1, topOverheadOpenH264: 1200.0 / 900 - 1, fairComparison: true,
                           fairComparisonOpenH264: true,
                           encodeTime: EncodeTimeSummary(layeredSeconds: 0.7, simulcastSeconds: 1.5, simulcastOpenH264Seconds: 1.5,
                                                         simulcastOverLayered: 1.5 / 0.7),
                           bdRate: nil, tools: ToolSummary(ffmpeg: "/usr/bin/ffmpeg", vmaf: nil))
    }

    static func keys(_ object: Any?) -> Set<String> { Set((object as? [String: Any])?.keys.map { $0 } ?? []) }

    /// The keys scripts read (CONTRACT.md, "Benchmark report") are all present, spelled exactly,
    /// with unmeasured VMAF as an explicit null rather than a missing key.
    @Test func reportJSONHasEveryContractKey() throws {
        let data = try ReportFiles.json(Self.sampleReport())
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let top: Set = ["clip", "width", "height", "frames", "fps", "metric", "layered", "simulcast", "simulcast_openh264",
                        "storage_ratio", "storage_ratio_openh264", "top_overhead", "top_overhead_openh264"]
        #expect(top.isSubset(of: Self.keys(root)))
        #expect(Set(["total_kbps", "encode_seconds", "operating_points"]).isSubset(of: Self.keys(root["layered"])))
        let op = (root["layered"] as? [String: Any])?["operating_points"] as? [[String: Any]]
        #expect(op?.count == 3)
        #expect(Set(["layers", "width", "height", "kbps", "psnr_y", "ssim", "vmaf", "decode_fps", "counted"]).isSubset(of: Self.keys(op?.first)))
        #expect(op?.first?["vmaf"] is NSNull)
        // Colour, which the luma measures leave out: given where measured, an explicit null where not.
        #expect(op?.first?["psnr_cb"] as? Double == 35 && op?.first?["psnr_cr"] as? Double == 36)
        let firstRung = ((root["simulcast"] as? [String: Any])?["rungs"] as? [[String: Any]])?.first
        #expect(firstRung?["psnr_cb"] is NSNull)
        for ladder in ["simulcast", "simulcast_openh264"] {
            #expect(Set(["encoder", "preset", "encode_seconds", "rungs", "total_kbps"]).isSubset(of: Self.keys(root[ladder])))
            let rungs = (root[ladder] as? [String: Any])?["rungs"] as? [[String: Any]]
            #expect(Set(["width", "height", "kbps", "psnr_y", "ssim", "vmaf"]).isSubset(of: Self.keys(rungs?.first)))
        }
        #expect(root["metric"] as? String == "psnr_y")
        #expect(abs((root["storage_ratio"] as? Double ?? 0) - 1200.0 / 1650) < 1e-12)
        #expect(root["bd_rate"] is NSNull)
    }

    /// A ladder encoded with an x264 tuning says so (`tune`); without one the key is absent.
    @Test func ladderNamesItsTuning() throws {
        var report = Self.sampleReport()
        report.simulcast.tune = "psnr"
        let root = try #require(try JSONSerialization.jsonObject(with: try ReportFiles.json(report)) as? [String: Any])
        #expect((root["simulcast"] as? [String: Any])?["tune"] as? String == "psnr")
        #expect(Self.keys(root["simulcast_openh264"]).contains("tune") == false)
        #expect(report.simulcast.settings == "medium, tune psnr" && report.simulcastOpenH264.settings == "medium")
        #expect(LadderEncoder.x264(.medium, tune: .psnr).label == "x264 medium, tune psnr")
        #expect(LadderEncoder.x264(.medium).label == "x264 medium")
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let data = try ReportFiles.json(Self.sampleReport())
        let back = try JSONDecoder().decode(BenchReport.self, from: data)
        #expect(back.layered.operatingPoints.map(\.kbps) == [300, 700, 1200])
        #expect(back.simulcast.rungs.last?.matchedBy == .search)
        #expect(back.plan == .standard)
    }

    @Test func csvHasOneRowPerPointRungAndEncode() {
        let csv = ReportFiles.csv(Self.sampleReport())
        let lines = csv.split(separator: "\n")
        #expect(lines.first?.hasPrefix("series,encoder,layers,width,height") == true)
        #expect(lines.filter { $0.hasPrefix("layered,") }.count == 3)
        #expect(lines.filter { $0.hasPrefix("rung,") }.count == 6)
        #expect(lines.filter { $0.hasPrefix("encode,") }.count == 2)
        let columns = lines.first!.split(separator: ",", omittingEmptySubsequences: false).count
        for line in lines { #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == columns) }
    }

    @Test func terminalTableGivesPointsRatiosAndColour() {
        let table = BenchReportTable.render(Self.sampleReport())
        #expect(table.contains("storage_ratio 0.727 (x264"))
        #expect(table.contains("chroma PSNR Cb/Cr dB: L0-L0 35.0/36.0, L0-L1 39.0/40.0, L0-L2 42.0/43.0"), "\(table)")
        var report = Self.sampleReport()
        report.simulcast.rungs[0].psnrCb = 36.5
        report.simulcast.rungs[0].psnrCr = 37.5
        #expect(BenchReportTable.render(report).contains("L0-L0 35.0/36.0 (x264 36.5/37.5)"))
    }

    /// PSNR-YUV weighs the planes' PSNRs 6:1:1 (luma alone when colour was not measured), and a sweep
    /// matched on it writes its qualities in its own CSV column.
    @Test func psnrYUVWeighsLumaSixToOneAndHasItsColumn() {
        #expect(QualityScore(psnrY: 40, ssim: 0.9, vmaf: nil, psnrCb: 44, psnrCr: 48).value(.psnrYUV) == 41.5)
        #expect(QualityScore(psnrY: 40, ssim: 0.9, vmaf: 90).value(.psnrYUV) == 40)
        var report = Self.sampleReport()
        report.metric = .psnrYUV
        report.bdRate = BDRateSummary(anchor: "x264 medium", width: 64, height: 64, interpolation: "pchip", percent: 12, overlap: 1,
                                      layeredPoints: [RatePoint(kbps: 1000, quality: 39.25)], layeredTopQPs: [22],
                                      anchorPoints: [RatePoint(kbps: 900, quality: 39.5)])
        let lines = ReportFiles.csv(report).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0], column = header.firstIndex(of: "psnr_yuv")!
        #expect(column == header.count - 1)
        let layered = lines.first { $0.first == "bd_layered" }!
        #expect(layered.count == header.count && layered[column] == "39.250" && layered[header.firstIndex(of: "psnr_y")!] == "")
        // An operating point's own PSNR-YUV: (6 * 31 + 35 + 36) / 8.
        #expect(lines.first { $0.first == "layered" }![column] == "32.125")
    }

    @Test func plotIsWellFormedSVGWithLegendAndAxes() throws {
        let svg = RateQualityPlot.render(Self.sampleReport())
        #expect(svg.contains("Bitrate (kbit/s, log scale)"))
        #expect(svg.contains("PSNR-Y (dB) at 64x64"))
        #expect(svg.contains("Strata layered (1200 kbps stored)"))
        #expect(svg.contains("x264 medium simulcast ladder (1650 kbps stored)"))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse())
    }

    @Test func vmafPooledMeanIsReadFromTheLibvmafLog() throws {
        let log = #"{"version":"3.0","frames":[],"pooled_metrics":{"vmaf":{"min":68.0,"max":76.6,"mean":72.836403,"harmonic_mean":72.8}}}"#
        #expect(try QualityMeter.pooledMeanVMAF(fromLog: Data(log.utf8)) == 72.836403)
        #expect(throws: BenchError.self) { try QualityMeter.pooledMeanVMAF(fromLog: Data("{}".utf8)) }
    }
}
