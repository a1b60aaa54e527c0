import Foundation

/// The rate-quality figure of a report: Strata's operating points, each simulcast ladder's
/// matched rungs, and, thinner, every encode the searches measured (the encoders' curves at each
/// rung's size) and the BD-rate sweeps. Bitrate on a logarithmic axis, quality on a linear one.
enum RateQualityPlot {
    struct Series {
        var label: String
        var color: String
        var marker: MarkerShape?
        var points: [(kbps: Double, quality: Double)]
        var width: Double
        var dash: String?
        var opacity: Double = 1
        var pointLabels: [String] = []
        var inLegend = true
    }

    static func render(_ report: BenchReport) -> String {
        let metric = report.metric
        var series: [Series] = []
        let strata = "#c0392b", x264 = "#1f5fa8", openh264 = "#2e8b57"

        func samples(_ ladder: LadderSummary, color: String) {
            let sizes = Dictionary(grouping: ladder.samples) { "\($0.width)x\($0.height)" }
            for key in sizes.keys.sorted() {
                let pts = sizes[key]!.sorted { $0.kbps < $1.kbps }.map { s -> (Double, Double) in
                    (s.kbps, s.score.value(metric))
                }
                series.append(Series(label: "", color: color, marker: nil, points: pts, width: 1, dash: "3,3",
                                     opacity: 0.45, inLegend: false))
            }
        }
        samples(report.simulcast, color: x264)
        samples(report.simulcastOpenH264, color: openh264)
        if let bd = report.bdRate {
            series.append(Series(label: "x264 \(report.simulcast.settings) at \(bd.width)x\(bd.height) (BD anchor)", color: x264, marker: .diamond,
                                 points: bd.anchorPoints.sorted { $0.kbps < $1.kbps }.map { ($0.kbps, $0.quality) }, width: 1.2, dash: "6,3"))
            series.append(Series(label: "Strata top layer, QP sweep", color: strata, marker: .diamond,
                                 points: bd.layeredPoints.sorted { $0.kbps < $1.kbps }.map { ($0.kbps, $0.quality) }, width: 1.2, dash: "6,3"))
        }
        func ladder(_ l: LadderSummary, label: String, color: String, marker: MarkerShape) {
            let pts = l.rungs.map { r in (r.kbps, r.score.value(metric)) }
            series.append(Series(label: label, color: color, marker: marker, points: pts, width: 2, dash: nil,
                                 pointLabels: l.rungs.map { "\($0.height)p" }))
        }
        ladder(report.simulcast, label: "x264 \(report.simulcast.settings) simulcast ladder (\(fmt(report.simulcast.totalKbps)) kbps stored)",
               color: x264, marker: .square)
        ladder(report.simulcastOpenH264, label: "OpenH264 simulcast ladder (\(fmt(report.simulcastOpenH264.totalKbps)) kbps stored)",
               color: openh264, marker: .triangle)
        let ops = report.layered.operatingPoints
        series.append(Series(label: "Strata layered (\(fmt(report.layered.totalKbps)) kbps stored)", color: strata, marker: .circle,
                             points: ops.map { ($0.kbps, $0.score.value(metric)) },
                             width: 2.5, dash: nil, pointLabels: ops.map { "L0–L\($0.layers - 1)" }))

        // The axes fit the series in the legend; the search encodes (often far from any target)
        // are drawn clipped to that frame.
        let all = series.filter(\.inLegend).flatMap(\.points).filter { $0.kbps > 0 && $0.quality.isFinite }
        let doc = draw(series: series, all: all, report: report)
        return doc.rendered
    }

    private static func fmt(_ v: Double) -> String { String(format: "%.0f", v) }

    private static func niceStep(_ range: Double, targetTicks: Int) -> Double {
        let raw = range / Double(max(1, targetTicks))
        let magnitude = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    private static func draw(series: [Series], all: [(kbps: Double, quality: Double)], report: BenchReport) -> SVGDocument {
        let width = 760.0, height = 520.0
        let left = 70.0, right = 20.0, top = 48.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        var doc = SVGDocument(width: width, height: height)
        var kMin = all.map(\.kbps).min() ?? 100, kMax = all.map(\.kbps).max() ?? 1000
        var qMin = all.map(\.quality).min() ?? 0, qMax = all.map(\.quality).max() ?? 1
        if kMax <= kMin { kMax = kMin * 2 }
        if qMax <= qMin { qMax = qMin + 1 }
        kMin /= 1.25; kMax *= 1.15
        let qPad = (qMax - qMin) * 0.08
        qMin -= qPad; qMax += qPad
        let lx0 = log10(kMin), lx1 = log10(kMax)
        func px(_ k: Double) -> Double { left + (log10(k) - lx0) / (lx1 - lx0) * plotW }
        func py(_ q: Double) -> Double { top + (1 - (q - qMin) / (qMax - qMin)) * plotH }

        doc.rect(left, top, plotW, plotH, fill: "white", stroke: "#444")
        // Quality grid and ticks.
        let qStep = niceStep(qMax - qMin, targetTicks: 6)
        var q = ceil(qMin / qStep) * qStep
        while q <= qMax {
            doc.line(left, py(q), left + plotW, py(q), stroke: "#e3e3e3")
            doc.text(qStep < 1 ? String(format: "%.1f", q) : String(format: "%.0f", q), left - 8, py(q) + 4, size: 11, anchor: "end")
            q += qStep
        }
        // Rate grid at 1-2-5 steps of each decade (finer when the range spans about one decade).
        var decade = pow(10, floor(lx0))
        let multipliers: [Double] = lx1 - lx0 < 1.2 ? [1, 1.5, 2, 3, 4, 5, 7] : [1, 2, 5]
        while decade <= kMax {
            for m in multipliers {
                let k = decade * m
                guard k >= kMin && k <= kMax else { continue }
                doc.line(px(k), top, px(k), top + plotH, stroke: m == 1 ? "#d5d5d5" : "#eeeeee")
                doc.text(String(format: "%g", k), px(k), top + plotH + 16, size: 11, anchor: "middle")
            }
            decade *= 10
        }
        doc.text("Bitrate (kbit/s, log scale)", left + plotW / 2, height - 18, size: 13, anchor: "middle")
        doc.text("\(report.metric.axisLabel) at \(report.width)x\(report.height)", 18, top + plotH / 2, size: 13, anchor: "middle", rotate: -90)
        let ratio = report.storageRatio.map { String(format: "storage ratio %.2f (x264)", $0) } ?? "storage ratio pending"
        let ratioH264 = report.storageRatioOpenH264.map { String(format: ", %.2f (OpenH264)", $0) } ?? ""
        doc.text("\(report.clip) (\(report.width)x\(report.height), \(report.frames) frames): \(ratio)\(ratioH264)", left, 28, size: 14, weight: "bold")

        doc.beginClippedGroup(id: "plot-area", left, top, plotW, plotH)
        for s in series where !s.inLegend {
            let pts = s.points.filter { $0.kbps > 0 && $0.quality.isFinite }.map { (px($0.kbps), py($0.quality)) }
            doc.polyline(pts, stroke: s.color, width: s.width, dash: s.dash, opacity: s.opacity)
        }
        doc.endGroup()
        for s in series where s.inLegend {
            let pts = s.points.filter { $0.kbps > 0 && $0.quality.isFinite }.map { (px($0.kbps), py($0.quality)) }
            doc.polyline(pts, stroke: s.color, width: s.width, dash: s.dash, opacity: s.opacity)
            if let marker = s.marker {
                for p in pts { doc.marker(marker, p.0, p.1, size: s.width >= 2 ? 9 : 7, fill: s.color) }
            }
            // Strata's labels above the points, the ladders' below, so coinciding points stay legible.
            let below = s.marker != .circle
            for (i, label) in s.pointLabels.enumerated() where i < pts.count {
                doc.text(label, pts[i].0 + 7, pts[i].1 + (below ? 15 : -7), size: 10, fill: s.color)
            }
        }
        // Legend in the corner holding the fewest points: usually the upper left, which a
        // rate-quality plot leaves empty (high quality at low rate).
        let entries = series.filter(\.inLegend).reversed()
        let rowH = 18.0, legendW = 390.0
        let legendH = Double(entries.count) * rowH + 10
        let corners = [(left + 8, top + 8), (left + plotW - legendW - 8, top + plotH - legendH - 8),
                       (left + plotW - legendW - 8, top + 8), (left + 8, top + plotH - legendH - 8)]
        let drawn = series.flatMap(\.points).filter { $0.kbps > 0 && $0.quality.isFinite }.map { (px($0.kbps), py($0.quality)) }
        func covered(_ c: (Double, Double)) -> Int {
            drawn.filter { $0.0 >= c.0 - 6 && $0.0 <= c.0 + legendW + 6 && $0.1 >= c.1 - 6 && $0.1 <= c.1 + legendH + 6 }.count
        }
        let (lx, ly) = corners.min { covered($0) < covered($1) }!
        doc.rect(lx, ly, legendW, legendH, fill: "white", stroke: "#999")
        for (i, s) in entries.enumerated() {
            let y = ly + 14 + Double(i) * rowH
            doc.line(lx + 8, y, lx + 36, y, stroke: s.color, width: s.width, dash: s.dash)
            if let marker = s.marker { doc.marker(marker, lx + 22, y, size: 8, fill: s.color) }
            doc.text(s.label, lx + 44, y + 4, size: 11)
        }
        return doc
    }
}
