import Foundation

/// A plain-text summary of a report for a terminal: the operating points beside their matched
/// rungs, the ratios the product is judged on, BD-rate and encode times.
public enum BenchReportTable {
    /// The summary as lines of text (no trailing newline).
    public static func render(_ report: BenchReport) -> String {
        func f(_ v: Double?, _ digits: Int = 1) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        let m = report.metric
        var lines: [String] = []
        lines.append("\(report.clip): \(report.width)x\(report.height), \(report.frames) frames at \(f(report.fps, 2)) fps; matched on \(m.rawValue)")
        if let note = report.metricNote { lines.append("note: \(note)") }
        lines.append(["point", "size", "kbps", m.rawValue, "psnr_y", "decode fps", "x264 kbps", "openh264 kbps", "counted"]
            .enumerated().map { pad($0.element, [6, 10, 9, 8, 8, 11, 10, 14, 8][$0.offset]) }.joined(separator: " "))
        for (i, op) in report.layered.operatingPoints.enumerated() {
            let x = i < report.simulcast.rungs.count ? report.simulcast.rungs[i] : nil
            let o = i < report.simulcastOpenH264.rungs.count ? report.simulcastOpenH264.rungs[i] : nil
            let cols = ["L0-L\(op.layers - 1)", "\(op.width)x\(op.height)", f(op.kbps, 0), f(op.score.value(m), 2),
                        f(op.psnrY, 2), f(op.decodeFps, 0), f(x?.kbps, 0), f(o?.kbps, 0),
                        "\(op.counted ? "x" : "-")/\(op.countedOpenH264 ? "o" : "-")"]
            lines.append(cols.enumerated().map { pad($0.element, [6, 10, 9, 8, 8, 11, 10, 14, 8][$0.offset]) }.joined(separator: " "))
        }
        // Colour, which VMAF, SSIM and PSNR-Y (all luma) leave out, beside the matched x264 rung's.
        let colour = report.layered.operatingPoints.enumerated().compactMap { i, op -> String? in
            guard let cb = op.psnrCb, let cr = op.psnrCr else { return nil }
            let x = i < report.simulcast.rungs.count ? report.simulcast.rungs[i] : nil
            let rung = x.flatMap { r in r.psnrCb.map { " (x264 \(f($0, 1))/\(f(r.psnrCr, 1)))" } } ?? ""
            return "L0-L\(op.layers - 1) \(f(cb, 1))/\(f(cr, 1))" + rung
        }
        if !colour.isEmpty { lines.append("chroma PSNR Cb/Cr dB: " + colour.joined(separator: ", ")) }
        let container = report.layered.containerKbps.map { " (\(f($0, 1)) of them init segments and fragment boxes)" } ?? ""
        lines.append("stored: layered \(f(report.layered.totalKbps, 0)) kbps\(container), x264 \(report.simulcast.settings) ladder "
                     + "\(f(report.simulcast.totalKbps, 0)) kbps, OpenH264 ladder \(f(report.simulcastOpenH264.totalKbps, 0)) kbps "
                     + "(the ladders' elementary streams)")
        lines.append("storage_ratio \(f(report.storageRatio, 3)) (x264, target <= 0.55), \(f(report.storageRatioOpenH264, 3)) (OpenH264, target <= 0.45)"
                     + (report.fairComparison ? "" : "; fewer than 3 rungs counted against x264"))
        lines.append("storage_ratio_at_equal_quality \(f(report.storageRatioAtEqualQuality, 3)) (x264), "
                     + "\(f(report.storageRatioAtEqualQualityOpenH264, 3)) (OpenH264): each rung's rate at exactly its point's quality")
        lines.append("top_overhead \(f(report.topOverhead, 3)) (x264), \(f(report.topOverheadOpenH264, 3)) (OpenH264)")
        if let bd = report.bdRate {
            lines.append("BD-rate of the top point vs \(bd.anchor) at \(bd.width)x\(bd.height): \(f(bd.percent, 1))% (PCHIP, overlap \(f(bd.overlap * 100, 0))%)")
        }
        let t = report.encodeTime
        lines.append("encode time: layered \(f(t.layeredSeconds, 2)) s, x264 ladder \(f(t.simulcastSeconds, 2)) s, OpenH264 ladder \(f(t.simulcastOpenH264Seconds, 2)) s")
        return lines.joined(separator: "\n")
    }
}
