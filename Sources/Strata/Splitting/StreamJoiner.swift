import Foundation
internal import StrataBase

/// The file a join writes.
public enum JoinedFileFormat: String, Sendable, Codable {
    /// H.264 Annex B (`.264`, `.h264`): the base plus OpenH264 spatial layers, readable by any
    /// H.264 decoder (decoders without SVC show the base).
    case annexB
    /// One fragmented MP4 (`.mp4`) holding a track per layer: a `moov` with every `trak`, then
    /// each segment's `moof`/`mdat` pairs, layer by layer.
    case mp4
}

/// What ``StreamJoiner/join(stream:layers:temporalId:output:)`` wrote.
public struct JoinSummary: Sendable {
    /// The file written.
    public var output: String
    /// How it was written.
    public var format: JoinedFileFormat
    /// The operating point it holds.
    public var operatingPoint: OperatingPoint
    /// Pictures (access units) written.
    public var frames: Int
    /// Picture size of the top layer written.
    public var width: Int, height: Int
    /// Size of the file in bytes.
    public var bytes: Int
}

/// Puts chosen layers of a stream back into one file: the inverse of ``StreamSplitter``.
///
/// Joining every layer of a split stream at the top temporal id gives the NAL units of the
/// split input back byte for byte and in their order (Annex B output). The base alone of a
/// stream with spatial layers is written as plain AVC, without SVC prefix units.
public enum StreamJoiner {
    /// Joins layers `0..<layers` of the stream directory `stream`, keeping temporal ids up to
    /// `temporalId`, into `output` in `format`, or, without one, the format its name ends with
    /// (`.264`/`.h264` for Annex B, `.mp4` for fragmented MP4). An `output` that is a device or a
    /// pipe (`/dev/stdout`) is written in place.
    @discardableResult
    public static func join(stream: String, layers: Int, temporalId: Int, output: String,
                            format: JoinedFileFormat? = nil) async throws -> JoinSummary {
        try await join(reader: try await StreamReader(directory: stream), layers: layers, temporalId: temporalId, output: output,
                       format: format)
    }

    /// Joins layers of a stream opened from any source (a directory, HTTP...).
    @discardableResult
    public static func join(reader: StreamReader, layers: Int, temporalId: Int, output: String,
                            format chosen: JoinedFileFormat? = nil) async throws -> JoinSummary {
        let manifest = reader.manifest
        guard (1...manifest.layers.count).contains(layers) else {
            throw SplitJoinError.invalidOperatingPoint("\(layers) layers asked, the stream has 1...\(manifest.layers.count)")
        }
        guard (0..<manifest.temporalLayers).contains(temporalId) else {
            throw SplitJoinError.invalidOperatingPoint("temporal id \(temporalId) asked, the stream has 0...\(manifest.temporalLayers - 1)")
        }
        let lower = output.lowercased()
        let format: JoinedFileFormat
        if let chosen {
            format = chosen
        } else if lower.hasSuffix(".264") || lower.hasSuffix(".h264") {
            format = .annexB
        } else if lower.hasSuffix(".mp4") {
            format = .mp4
        } else {
            throw SplitJoinError.unsupportedOutput(path: output)
        }
        guard reader.tracks.first?.codec.avcParameterSets != nil else {
            throw SplitJoinError.unsupportedLayer(layer: manifest.layers[0].id, detail: "the base is not an AVC track")
        }
        var out: [UInt8]
        var frames = 0
        switch format {
        case .annexB:
            for k in 1..<layers {
                guard case .svcSpatial = reader.tracks[k].codec else {
                    throw SplitJoinError.unsupportedLayer(layer: manifest.layers[k].id,
                                                          detail: "a Strata enhancement layer cannot go into an H.264 file; join to .mp4")
                }
            }
            out = []
            for segment in manifest.segments.indices {
                let fragments = try await parsedFragments(reader, segment: segment, layers: layers)
                let accessUnits = try JoinedAccessUnits.merge(fragments, tracks: Array(reader.tracks.prefix(layers)), manifest: manifest,
                                                              segment: segment, temporalId: temporalId,
                                                              outOfBandParameterSets: false)
                // The base alone of a layered stream is written as plain AVC: SVC prefix units
                // would make players' format probes (ffmpeg's) take the file for something else.
                let plainAVC = layers == 1 && manifest.layers.count > 1
                for units in accessUnits {
                    for unit in units where !(plainAVC && Self.isSVCUnit(unit)) {
                        out.append(contentsOf: AnnexB.startCode)
                        out.append(contentsOf: unit)
                    }
                }
                frames += accessUnits.count
            }
        case .mp4:
            let tracks = Array(reader.tracks.prefix(layers))
            out = CMAFWriter.initSegment(tracks: tracks)
            var sequence: UInt32 = 1
            for segment in manifest.segments.indices {
                let fragments = try await parsedFragments(reader, segment: segment, layers: layers)
                for (k, fragment) in fragments.enumerated() {
                    let samples = keptSamples(fragment.samples, temporalId: temporalId)
                    if k == 0 { frames += samples.count }
                    out += CMAFWriter.mediaSegment(tracks[k], sequenceNumber: sequence, baseMediaDecodeTime: fragment.baseMediaDecodeTime,
                                                   samples: samples)
                    sequence += 1
                }
            }
        }
        do { try AtomicFile.write(out, to: output) } catch {
            throw SplitJoinError.writeFailed(path: output, message: "\(error)")
        }
        let top = manifest.layers[layers - 1]
        return JoinSummary(output: output, format: format, operatingPoint: OperatingPoint(layers: layers, temporalId: temporalId),
                           frames: frames, width: top.width, height: top.height, bytes: out.count)
    }

    /// True for the NAL unit types only SVC decoders read: prefix (14), subset SPS (15) and
    /// coded slice extension (20).
    static func isSVCUnit(_ unit: [UInt8]) -> Bool {
        guard let header = unit.first else { return false }
        return [NALUnitType.prefix, NALUnitType.subsetSPS, NALUnitType.codedSliceExtension].contains(header & 0x1F)
    }

    /// Samples with temporal ids up to `temporalId`; each kept sample's duration grows by the
    /// durations of the dropped samples after it, so the timeline keeps its length.
    static func keptSamples(_ samples: [MediaSample], temporalId: Int) -> [MediaSample] {
        var kept: [MediaSample] = []
        for sample in samples {
            if sample.temporalId <= temporalId || kept.isEmpty {
                kept.append(sample)
            } else {
                kept[kept.count - 1].duration &+= sample.duration
            }
        }
        return kept
    }

    private static func parsedFragments(_ reader: StreamReader, segment: Int, layers: Int) async throws -> [ParsedFragment] {
        var fragments: [ParsedFragment] = []
        for k in 0..<layers {
            let layer = reader.manifest.layers[k]
            let path = layer.fragments[segment]
            do {
                let bytes = try await reader.fragment(layer: k, segment: segment)
                let fragment = try CMAFReader.parseMediaSegment(bytes, track: reader.tracks[k], path: path)
                guard fragment.samples.count == reader.manifest.segments[segment].frames else {
                    throw SplitJoinError.fragmentUnusable(segment: segment, layer: layer.id, path: path,
                                                          message: "\(fragment.samples.count) samples, the manifest says \(reader.manifest.segments[segment].frames)")
                }
                fragments.append(fragment)
            } catch let error as SplitJoinError {
                throw error
            } catch {
                throw SplitJoinError.fragmentUnusable(segment: segment, layer: layer.id, path: path, message: "\(error)")
            }
        }
        return fragments
    }
}

/// Rebuilds access units (NAL units in decoding order) from the base and spatial-layer samples of
/// one segment; shared by the joiner and the layered decoder.
enum JoinedAccessUnits {
    /// The access units of `segment` made of layers `0..<fragments.count`, dropping those above
    /// `temporalId`. With `outOfBandParameterSets` the sample entries' parameter sets (`avcC`,
    /// `stsC`) go before the segment's first unit so the segment decodes alone; a join asks for
    /// them only for an `avc1` base, whose samples carry none, so a split stream comes back as it was.
    static func merge(_ fragments: [ParsedFragment], tracks: [TrackDescription], manifest: StreamManifest, segment: Int,
                      temporalId: Int, outOfBandParameterSets: Bool) throws(SplitJoinError) -> [[[UInt8]]] {
        guard let base = fragments.first else { return [] }
        var result: [[[UInt8]]] = []
        for (i, sample) in base.samples.enumerated() where sample.temporalId <= temporalId {
            var units: [[UInt8]]
            do { units = try sample.nalUnits(path: manifest.layers[0].fragments[segment], sample: i) } catch {
                throw .fragmentUnusable(segment: segment, layer: manifest.layers[0].id, path: manifest.layers[0].fragments[segment],
                                        message: "\(error)")
            }
            for k in 1..<max(1, fragments.count) {
                let path = manifest.layers[k].fragments[segment]
                guard i < fragments[k].samples.count else {
                    throw .fragmentUnusable(segment: segment, layer: manifest.layers[k].id, path: path, message: "sample \(i) is missing")
                }
                do {
                    units = try SpatialLayerSample(parsing: fragments[k].samples[i].data).merged(into: units)
                } catch {
                    throw .fragmentUnusable(segment: segment, layer: manifest.layers[k].id, path: path, message: "sample \(i): \(error)")
                }
            }
            if result.isEmpty {
                var sets: [[UInt8]] = []
                if case let .avc(sps, pps) = tracks[0].codec {
                    sets = sps + pps
                } else if outOfBandParameterSets, let avc = tracks[0].codec.avcParameterSets {
                    sets = avc.sps + avc.pps
                }
                if outOfBandParameterSets {
                    for track in tracks.prefix(fragments.count).dropFirst() {
                        if case let .svcSpatial(layerSets, _, _) = track.codec { sets += layerSets }
                    }
                }
                units = sets + units
            }
            result.append(units)
        }
        return result
    }
}
