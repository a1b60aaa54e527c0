/// stream.mpd: a static MPEG-DASH MPD (ISO/IEC 23009-1) listing every layer as a Representation.
///
/// All layers sit in one video AdaptationSet; an upper layer names the layers it needs in
/// `@dependencyId` (space-separated, lowest first), as DASH prescribes for layered coding.
/// Addressing is `SegmentTemplate` with `$Number$` from 0 and an exact `SegmentTimeline`,
/// so the last, shorter segment is described exactly.
public enum DASHManifest {
    /// The MPD for `manifest`; the same manifest always gives the same text.
    public static func mpd(for manifest: StreamManifest) -> String {
        let duration = isoDuration(manifest.durationSeconds)
        let frameRate = manifest.source.fpsDen == 1 ? "\(manifest.source.fpsNum)" : "\(manifest.source.fpsNum)/\(manifest.source.fpsDen)"
        let maxWidth = manifest.layers.map(\.width).max() ?? 0
        let maxHeight = manifest.layers.map(\.height).max() ?? 0
        var x = """
        <?xml version="1.0" encoding="UTF-8"?>
        <MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" \
        mediaPresentationDuration="\(duration)" minBufferTime="PT\(DecimalFormatting.trimmed(manifest.segmentSeconds, maxPlaces: 3))S">
          <Period id="0" start="PT0S">
            <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" \
        maxWidth="\(maxWidth)" maxHeight="\(maxHeight)" maxFrameRate="\(frameRate)">

        """
        for layer in manifest.layers {
            var attributes = "id=\"\(layer.id.xmlEscaped)\""
            if !layer.dependsOn.isEmpty {
                attributes += " dependencyId=\"\(layer.dependsOn.joined(separator: " ").xmlEscaped)\""
            }
            let bandwidth = DecimalFormatting.clampedInt(layer.kbps * 1000, .up, in: 1...Int(UInt32.max))
            attributes += " codecs=\"\(layer.codec.xmlEscaped)\" bandwidth=\"\(bandwidth)\" width=\"\(layer.width)\" height=\"\(layer.height)\" frameRate=\"\(frameRate)\""
            x += "      <Representation \(attributes)>\n"
            x += "        <SegmentTemplate timescale=\"\(layer.timescale)\" initialization=\"\(layer.initSegment.xmlEscaped)\" media=\"\(mediaTemplate(layer).xmlEscaped)\" startNumber=\"0\">\n"
            x += "          <SegmentTimeline>\n"
            for run in timeline(manifest, timescale: layer.timescale) {
                x += "            <S t=\"\(run.start)\" d=\"\(run.duration)\"" + (run.repeats > 0 ? " r=\"\(run.repeats)\"" : "") + "/>\n"
            }
            x += "          </SegmentTimeline>\n"
            x += "        </SegmentTemplate>\n"
            x += "      </Representation>\n"
        }
        x += "    </AdaptationSet>\n  </Period>\n</MPD>\n"
        return x
    }

    /// The `$Number$` template of a layer, derived from its fragment paths (`L0/0.m4s` gives
    /// `L0/$Number$.m4s`); falls back to `<id>/$Number$.m4s` when the paths follow no pattern.
    static func mediaTemplate(_ layer: StreamManifest.Layer) -> String {
        let candidate = layer.fragments.first.map { p -> String in
            let dir = p.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            return (dir.isEmpty ? "" : dir + "/") + "$Number$.m4s"
        } ?? "\(layer.id)/$Number$.m4s"
        let matches = layer.fragments.enumerated().allSatisfy { i, p in p == candidate.replacingNumber(i) }
        return matches ? candidate : "\(layer.id)/$Number$.m4s"
    }

    /// Segment start times and durations in `timescale` ticks, run-length coded as `S` elements.
    static func timeline(_ manifest: StreamManifest, timescale: UInt32) -> [(start: UInt64, duration: UInt64, repeats: Int)] {
        func ticks(_ frame: Int) -> UInt64 {
            let num = UInt64(max(1, manifest.source.fpsNum)), den = UInt64(max(1, manifest.source.fpsDen))
            let (frameHigh, frameTicks) = UInt64(max(0, frame)).multipliedFullWidth(by: den)
            guard frameHigh == 0 else { return UInt64.max }
            let (hi, lo) = frameTicks.multipliedFullWidth(by: UInt64(timescale))
            guard hi < num else { return UInt64.max }
            let (q, r) = num.dividingFullWidth((hi, lo))
            return q &+ (r * 2 >= num ? 1 : 0)
        }
        var runs: [(start: UInt64, duration: UInt64, repeats: Int)] = []
        for s in manifest.segments {
            let start = ticks(s.firstFrame)
            let d = ticks(s.firstFrame &+ s.frames) &- start
            if let last = runs.last, last.duration == d, last.start &+ last.duration &* UInt64(last.repeats + 1) == start {
                runs[runs.count - 1].repeats += 1
            } else {
                runs.append((start, d, 0))
            }
        }
        return runs
    }

    /// `PT5.28S`-style ISO 8601 duration with millisecond precision.
    static func isoDuration(_ seconds: Double) -> String {
        "PT" + DecimalFormatting.trimmed(max(0, seconds), maxPlaces: 3) + "S"
    }

    // MARK: Reading

    /// What a client needs from an MPD: the layers, their dependencies and how to address their segments.
    public struct Presentation: Sendable, Hashable {
        /// `mediaPresentationDuration` in seconds, when given.
        public var durationSeconds: Double?
        /// The video Representations of the first Period, in document order.
        public var representations: [Representation]

        /// The representation whose id is `id`.
        public func representation(_ id: String) -> Representation? { representations.first { $0.id == id } }
    }

    /// One Representation with its inherited SegmentTemplate resolved.
    public struct Representation: Sendable, Hashable {
        /// `@id`, the layer id for a Strata stream.
        public var id: String
        /// `@dependencyId`: representations this one needs, lowest first.
        public var dependencyIds: [String]
        /// `@codecs`, from the Representation or its AdaptationSet.
        public var codecs: String?
        /// `@bandwidth` in bit/s.
        public var bandwidth: Int?
        /// `@width`.
        public var width: Int?
        /// `@height`.
        public var height: Int?
        /// Init segment path (template variables other than `$Number$`/`$Time$` resolved).
        public var initialization: String
        /// Media segment template, still containing `$Number$` or `$Time$`.
        public var mediaTemplate: String
        /// Number of the first segment.
        public var startNumber: Int
        /// Ticks per second of the timeline.
        public var timescale: UInt64
        /// Start time of each segment in ticks.
        public var segmentStartTimes: [UInt64]
        /// Duration of each segment in ticks.
        public var segmentDurations: [UInt64]

        /// Number of media segments.
        public var segmentCount: Int { segmentDurations.count }

        /// Path of segment `index` (0-based position in the timeline; `startNumber` is added).
        public func mediaPath(segment index: Int) -> String {
            let time = segmentStartTimes.indices.contains(index) ? segmentStartTimes[index] : 0
            return DASHManifest.expand(mediaTemplate, representationID: id, bandwidth: bandwidth,
                                       number: startNumber + index, time: time)
        }
    }

    /// Most segments read from one MPD, summed over its representations (bounds memory to about 64 MiB).
    static let maxTimelineEntries = 4_000_000

    /// Parses an MPD (static, one Period read) into its representations; `path` labels errors.
    public static func parse(_ xml: String, path: String = "stream.mpd") throws(ContainerError) -> Presentation {
        let root = try XMLReader.parse(xml, path: path)
        func fail(_ detail: String, _ offset: Int) -> ContainerError { .malformedMPD(path: path, offset: offset, detail: detail) }
        guard root.name == "MPD" else { throw fail("root element is <\(root.name)>, expected <MPD>", root.offset) }
        var duration: Double?
        if let d = root.attributes["mediaPresentationDuration"] {
            guard let seconds = parseISODuration(d) else { throw fail("mediaPresentationDuration \"\(d)\" is not an ISO 8601 duration", root.offset) }
            duration = seconds
        }
        guard let period = root.child(named: "Period") else { throw fail("no Period", root.offset) }
        var representations: [Representation] = []
        var timelineBudget = maxTimelineEntries
        for set in period.children(named: "AdaptationSet") {
            let setTemplate = set.child(named: "SegmentTemplate")
            for rep in set.children(named: "Representation") {
                guard let id = rep.attributes["id"], !id.isEmpty else { throw fail("Representation without @id", rep.offset) }
                guard representations.count < ContainerLimits.maxLayers else { throw fail("more than \(ContainerLimits.maxLayers) representations", rep.offset) }
                let repTemplate = rep.child(named: "SegmentTemplate")
                func templateAttribute(_ name: String) -> String? {
                    repTemplate?.attributes[name] ?? setTemplate?.attributes[name]
                }
                guard let media = templateAttribute("media") else { throw fail("Representation \(id) has no SegmentTemplate@media", rep.offset) }
                guard let initialization = templateAttribute("initialization") else {
                    throw fail("Representation \(id) has no SegmentTemplate@initialization", rep.offset)
                }
                let timescale = try integer(templateAttribute("timescale") ?? "1", "timescale", rep.offset, path: path)
                guard timescale > 0 else { throw fail("timescale is zero", rep.offset) }
                let startNumber = try integer(templateAttribute("startNumber") ?? "1", "startNumber", rep.offset, path: path)
                guard startNumber <= UInt64(Int32.max) else { throw fail("startNumber \(startNumber) too large", rep.offset) }
                let bandwidth = try rep.attributes["bandwidth"].map { (b: String) throws(ContainerError) -> Int in
                    Int(clamping: try integer(b, "bandwidth", rep.offset, path: path))
                }
                var starts: [UInt64] = []
                var durations: [UInt64] = []
                if let timeline = (repTemplate?.child(named: "SegmentTimeline") ?? setTemplate?.child(named: "SegmentTimeline")) {
                    var t: UInt64 = 0
                    for s in timeline.children(named: "S") {
                        if let st = s.attributes["t"] { t = try integer(st, "S@t", s.offset, path: path) }
                        guard let ds = s.attributes["d"] else { throw fail("S without @d", s.offset) }
                        let d = try integer(ds, "S@d", s.offset, path: path)
                        guard d > 0 else { throw fail("S@d is zero", s.offset) }
                        var repeats = 0
                        if let rs = s.attributes["r"] {
                            guard let r = Int(rs), r >= -1 else { throw fail("S@r \"\(rs)\" is not a repeat count", s.offset) }
                            if r == -1 {
                                guard let total = duration else { throw fail("S@r=-1 needs mediaPresentationDuration", s.offset) }
                                let end = total * Double(timescale)
                                let remaining = (end - Double(t)) / Double(d)
                                repeats = DecimalFormatting.clampedInt(remaining, .up, in: 1...ContainerLimits.maxSegments) - 1
                            } else {
                                repeats = r
                            }
                        }
                        guard repeats < ContainerLimits.maxSegments - durations.count, repeats < timelineBudget - durations.count else {
                            throw fail("more than \(ContainerLimits.maxSegments) segments in a representation or \(maxTimelineEntries) in all", s.offset)
                        }
                        for _ in 0...repeats {
                            starts.append(t)
                            durations.append(d)
                            let (next, overflow) = t.addingReportingOverflow(d)
                            guard !overflow else { throw fail("segment times overflow", s.offset) }
                            t = next
                        }
                    }
                } else if let ds = templateAttribute("duration") {
                    let d = try integer(ds, "SegmentTemplate@duration", rep.offset, path: path)
                    guard d > 0 else { throw fail("SegmentTemplate@duration is zero", rep.offset) }
                    guard let total = duration else { throw fail("SegmentTemplate@duration needs mediaPresentationDuration", rep.offset) }
                    let count = (total * Double(timescale) / Double(d)).rounded(.up)
                    guard count.isFinite, count <= Double(ContainerLimits.maxSegments) else { throw fail("more than \(ContainerLimits.maxSegments) segments", rep.offset) }
                    guard Int(count) <= timelineBudget - durations.count else { throw fail("more than \(maxTimelineEntries) segments in all", rep.offset) }
                    for k in 0..<Int(max(0, count)) {
                        let (start, overflow) = UInt64(k).multipliedReportingOverflow(by: d)
                        guard !overflow else { throw fail("segment times overflow", rep.offset) }
                        starts.append(start)
                        durations.append(d)
                    }
                } else {
                    throw fail("Representation \(id) has neither SegmentTimeline nor SegmentTemplate@duration", rep.offset)
                }
                func dimension(_ name: String) throws(ContainerError) -> Int? {
                    guard let v = rep.attributes[name] ?? set.attributes[name] else { return nil }
                    let n = try integer(v, name, rep.offset, path: path)
                    guard n <= UInt64(ContainerLimits.maxDimension) else { throw fail("\(name) \(n) beyond \(ContainerLimits.maxDimension)", rep.offset) }
                    return Int(n)
                }
                let dependencies = (rep.attributes["dependencyId"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
                timelineBudget -= durations.count
                representations.append(Representation(
                    id: id, dependencyIds: dependencies, codecs: rep.attributes["codecs"] ?? set.attributes["codecs"],
                    bandwidth: bandwidth, width: try dimension("width"), height: try dimension("height"),
                    initialization: expand(initialization, representationID: id, bandwidth: bandwidth, number: nil, time: nil),
                    mediaTemplate: media, startNumber: Int(startNumber), timescale: timescale,
                    segmentStartTimes: starts, segmentDurations: durations))
            }
        }
        guard !representations.isEmpty else { throw fail("no Representation in the first Period", period.offset) }
        let ids = Set(representations.map(\.id))
        for r in representations {
            for d in r.dependencyIds where !ids.contains(d) || d == r.id {
                throw fail("Representation \(r.id) depends on unknown representation \(d)", 0)
            }
        }
        return Presentation(durationSeconds: duration, representations: representations)
    }

    private static func integer(_ s: String, _ name: String, _ offset: Int, path: String) throws(ContainerError) -> UInt64 {
        guard let v = UInt64(s.trimmingSpaces()) else {
            throw .malformedMPD(path: path, offset: offset, detail: "\(name) \"\(s)\" is not a non-negative integer")
        }
        return v
    }

    /// Substitutes `$RepresentationID$`, `$Bandwidth$`, `$Number$`, `$Time$` (with optional
    /// `%0Nd` widths) and `$$`; identifiers whose value is nil are left as written.
    static func expand(_ template: String, representationID: String, bandwidth: Int?, number: Int?, time: UInt64?) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "$") {
            out += rest[rest.startIndex..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "$") else { out += rest[open...]; return out }
            let ident = rest[afterOpen..<close]
            rest = rest[rest.index(after: close)...]
            if ident.isEmpty { out += "$"; continue }
            let parts = ident.split(separator: "%", maxSplits: 1)
            let name = String(parts[0])
            var width = 0
            if parts.count == 2 {
                let format = parts[1]
                if format.hasPrefix("0"), format.hasSuffix("d"), let w = Int(format.dropFirst().dropLast()), w <= 32 { width = w }
            }
            func padded(_ s: String) -> String { s.count >= width ? s : String(repeating: "0", count: width - s.count) + s }
            switch name {
            case "RepresentationID": out += representationID
            case "Bandwidth" where bandwidth != nil: out += padded(String(bandwidth!))
            case "Number" where number != nil: out += padded(String(number!))
            case "Time" where time != nil: out += padded(String(time!))
            default: out += "$" + ident + "$"
            }
        }
        out += rest
        return out
    }

    /// Seconds of an ISO 8601 duration `PnDTnHnMnS` (years and months are refused: their length varies).
    static func parseISODuration(_ text: String) -> Double? {
        var s = Substring(text.trimmingSpaces())
        guard s.hasPrefix("P") else { return nil }
        s = s.dropFirst()
        var total = 0.0
        var inTime = false
        var number = ""
        var sawComponent = false
        for c in s {
            if c == "T" { guard !inTime, number.isEmpty else { return nil }; inTime = true; continue }
            if c.isNumber || c == "." { number.append(c); guard number.count <= 32 else { return nil }; continue }
            guard let v = Double(number), v.isFinite, v >= 0 else { return nil }
            number = ""
            sawComponent = true
            switch (c, inTime) {
            case ("D", false): total += v * 86_400
            case ("H", true): total += v * 3_600
            case ("M", true): total += v * 60
            case ("S", true): total += v
            default: return nil
            }
        }
        return number.isEmpty && sawComponent ? total : nil
    }
}

extension String {
    /// The `$Number$` template with the number substituted.
    func replacingNumber(_ n: Int) -> String {
        DASHManifest.expand(self, representationID: "", bandwidth: nil, number: n, time: nil)
    }
}
