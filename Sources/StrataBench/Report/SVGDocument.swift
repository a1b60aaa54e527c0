import Foundation

/// A minimal SVG writer: elements appended in drawing order, numbers with two decimals, text
/// escaped. Enough for line plots; no dependencies.
struct SVGDocument {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func number(_ v: Double) -> String { String(format: "%.2f", v) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        let n = SVGDocument.number
        elements.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double, dash: String? = nil, opacity: Double = 1) {
        guard points.count >= 2 else { return }
        let n = SVGDocument.number
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-opacity=\"\(n(opacity))\" stroke-linejoin=\"round\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
    }

    /// A marker of `shape` centred on (x, y).
    mutating func marker(_ shape: MarkerShape, _ x: Double, _ y: Double, size: Double, fill: String) {
        let n = SVGDocument.number
        switch shape {
        case .circle:
            elements.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(size / 2))\" fill=\"\(fill)\" stroke=\"white\" stroke-width=\"1\"/>")
        case .square:
            elements.append("<rect x=\"\(n(x - size / 2))\" y=\"\(n(y - size / 2))\" width=\"\(n(size))\" height=\"\(n(size))\" fill=\"\(fill)\" stroke=\"white\" stroke-width=\"1\"/>")
        case .triangle:
            let r = size * 0.62
            let pts = [(x, y - r), (x - r * 0.87, y + r * 0.5), (x + r * 0.87, y + r * 0.5)]
            elements.append("<polygon points=\"\(pts.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " "))\" fill=\"\(fill)\" stroke=\"white\" stroke-width=\"1\"/>")
        case .diamond:
            let r = size * 0.6
            let pts = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
            elements.append("<polygon points=\"\(pts.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " "))\" fill=\"\(fill)\" stroke=\"white\" stroke-width=\"1\"/>")
        }
    }

    /// Starts a group whose drawing is clipped to a rectangle (ends with ``endGroup()``).
    mutating func beginClippedGroup(id: String, _ x: Double, _ y: Double, _ w: Double, _ h: Double) {
        let n = SVGDocument.number
        elements.append("<clipPath id=\"\(id)\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\"/></clipPath>")
        elements.append("<g clip-path=\"url(#\(id))\">")
    }

    mutating func endGroup() { elements.append("</g>") }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) {
        let n = SVGDocument.number
        elements.append("<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill)\"\(stroke.map { " stroke=\"\($0)\" stroke-width=\"1\"" } ?? "")/>")
    }

    mutating func text(_ s: String, _ x: Double, _ y: Double, size: Double = 12, anchor: String = "start",
                       weight: String = "normal", rotate: Double? = nil, fill: String = "#222") {
        let n = SVGDocument.number
        let transform = rotate.map { " transform=\"rotate(\(n($0)) \(n(x)) \(n(y)))\"" } ?? ""
        elements.append("<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" fill=\"\(fill)\"\(transform)>\(SVGDocument.escape(s))</text>")
    }

    var rendered: String {
        let n = SVGDocument.number
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }
}

/// Marker shapes, one per series so the plot reads in black and white.
enum MarkerShape { case circle, square, triangle, diamond }
