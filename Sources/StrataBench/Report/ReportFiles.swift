import Foundation

/// Writes a report's files. Each file is written whole under a temporary name and renamed into
/// place, so an interrupted run leaves the last complete version of every file.
enum ReportFiles {
    static let reportName = "report.json"
    static let csvName = "report.csv"
    static let plotName = "rate-quality.svg"

    static func json<T: Encodable>(_ value: T) throws(BenchError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try encoder.encode(value) } catch { throw .writeFailed(path: "report", reason: "\(error)") }
    }

    static func writeAtomically(_ data: Data, to path: String) throws(BenchError) {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .writeFailed(path: path, reason: error.localizedDescription)
        }
    }

    /// Writes report.json alone (after each step of a run).
    static func writeJSON(_ report: BenchReport, directory: String) throws(BenchError) {
        var data = try json(report)
        data.append(0x0A)
        try writeAtomically(data, to: directory + "/" + reportName)
    }

    /// Writes report.json, report.csv and rate-quality.svg.
    static func writeAll(_ report: BenchReport, directory: String) throws(BenchError) {
        try writeJSON(report, directory: directory)
        try writeAtomically(Data(csv(report).utf8), to: directory + "/" + csvName)
        try writeAtomically(Data(RateQualityPlot.render(report).utf8), to: directory + "/" + plotName)
    }

    /// One row per operating point, rung, search encode and BD-rate point.
    static func csv(_ report: BenchReport) -> String {
        func f(_ v: Double?, _ digits: Int = 3) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "" }
        var rows = ["series,encoder,layers,width,height,parameter,kbps,psnr_y,ssim,vmaf,decode_fps,counted,matched_by,psnr_cb,psnr_cr,psnr_yuv"]
        for op in report.layered.operatingPoints {
            rows.append("layered,strata,\(op.layers),\(op.width),\(op.height),,\(f(op.kbps)),\(f(op.psnrY)),\(f(op.ssim, 5)),\(f(op.vmaf)),\(f(op.decodeFps, 1)),\(op.counted),,\(f(op.psnrCb)),\(f(op.psnrCr)),\(f(op.score.psnrYUV))")
        }
        for ladder in [report.simulcast, report.simulcastOpenH264] {
            for r in ladder.rungs {
                rows.append("rung,\(ladder.encoder),,\(r.width),\(r.height),\(f(r.parameter, 2)),\(f(r.kbps)),\(f(r.psnrY)),\(f(r.ssim, 5)),\(f(r.vmaf)),,\(r.counted),\(r.matchedBy.rawValue),\(f(r.psnrCb)),\(f(r.psnrCr)),\(f(r.score.psnrYUV))")
            }
            for s in ladder.samples {
                rows.append("encode,\(ladder.encoder),,\(s.width),\(s.height),\(f(s.parameter, 2)),\(f(s.kbps)),\(f(s.psnrY)),\(f(s.ssim, 5)),\(f(s.vmaf)),,,,\(f(s.psnrCb)),\(f(s.psnrCr)),\(f(s.score.psnrYUV))")
            }
        }
        if let bd = report.bdRate {
            // The sweeps are measured in the report's metric; it goes in that metric's column.
            // (The nine columns after kbps: psnr_y, ssim, vmaf, decode_fps, counted, matched_by, psnr_cb, psnr_cr, psnr_yuv.)
            func qualityColumns(_ q: Double) -> String {
                let column = switch report.metric { case .psnrY: 0; case .vmaf: 2; case .psnrYUV: 8 }
                return (0..<9).map { $0 == column ? f(q) : "" }.joined(separator: ",")
            }
            for (p, qp) in zip(bd.layeredPoints, bd.layeredTopQPs) {
                rows.append("bd_layered,strata,,\(bd.width),\(bd.height),\(qp),\(f(p.kbps)),\(qualityColumns(p.quality))")
            }
            for p in bd.anchorPoints {
                rows.append("bd_anchor,x264,,\(bd.width),\(bd.height),,\(f(p.kbps)),\(qualityColumns(p.quality))")
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }
}
