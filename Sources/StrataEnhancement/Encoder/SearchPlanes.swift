/// A reference picture's luma as the motion search sees it: the whole-sample plane and its three
/// half-sample planes (horizontal, vertical and centre phases of the normative 6-tap filter),
/// interpolated once per reference picture instead of once per candidate vector.
///
/// Whole- and half-sample positions read the planes directly, so their costs are exactly those of
/// the normative prediction. A quarter-sample position is approximated by the rounded average of
/// its two nearest whole- or half-sample neighbours (H.264's quarter-sample rule), which is close to
/// the normative quarter-phase filter and costs one average instead of a 6-tap interpolation. The
/// approximation only steers the search: the chosen vector is predicted with the normative filter.
/// Encoder-only; never part of the bitstream.
final class SearchPlanes {
    /// The reference's whole-sample plane (not owned).
    private(set) var full: PicturePlane
    /// Phases (2, 0), (0, 2) and (2, 2), same geometry and stride as ``full``.
    private let half: [PicturePlane]
    /// Samples around the coded area that the half-sample planes hold (less than the reference's
    /// margin by the filter's reach and a little more; the search keeps vectors well inside).
    let reach: Int
    private let block: UnsafeMutablePointer<UInt8>
    private let temp = UnsafeMutablePointer<Int16>.allocate(capacity: 21 * 16)
    /// Origins of ``full`` and the three ``half`` planes, by phase (0 whole, 1 horizontal, 2 vertical,
    /// 3 centre), and their common row stride: the search reads them per candidate without touching
    /// (retaining and releasing) the plane objects.
    private let origins: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>
    let stride: Int

    init(like reference: PicturePlane) {
        full = reference
        reach = max(0, (reference.margin - 8) / 8 * 8)
        half = (0..<3).map { _ in PicturePlane(width: reference.width, height: reference.height, margin: reference.margin) }
        block = .allocate(capacity: 256)
        block.initialize(repeating: 0, count: 256)
        origins = .allocate(capacity: 4)
        origins.initialize(to: reference.origin)
        for i in 0..<3 { (origins + i + 1).initialize(to: half[i].origin) }
        stride = reference.stride
    }

    deinit {
        block.deallocate()
        temp.deallocate()
        origins.deallocate()
    }

    /// Interpolates the half-sample planes of `reference` (same geometry as at initialization, its
    /// margins already extended) over the coded area and ``reach`` samples around it.
    func fill(from reference: PicturePlane) {
        precondition(reference.width == full.width && reference.height == full.height && reference.stride == full.stride)
        full = reference
        origins[0] = reference.origin
        let r = reach
        for (plane, (fx, fy)) in zip(half, [(2, 0), (0, 2), (2, 2)]) {
            Interpolation.lumaSIMD(reference.origin - r * stride - r, stride, plane.origin - r * stride - r, stride,
                                   reference.width + 2 * r, reference.height + 2 * r, fx, fy, temp)
        }
    }

    /// The sample at whole position (x, y) plus the half-grid offset (gx, gy), each 0, 2 or 4 quarter
    /// samples (4 is the next whole sample).
    @inline(__always) private func sample(_ x: Int, _ y: Int, _ gx: Int, _ gy: Int) -> UnsafePointer<UInt8> {
        let px = x + (gx >> 2), py = y + (gy >> 2), phase = (gx & 2) >> 1 | (gy & 2)
        return UnsafePointer(origins[phase] + py * stride + px)
    }

    /// The search's prediction of the `width x height` block at (x, y) for the quarter-sample
    /// vector (mvx, mvy): a pointer and its row stride (into the planes, or into a block of stride 16
    /// owned by this object and valid until the next call).
    @inline(__always) func prediction(_ x: Int, _ y: Int, _ mvx: Int32, _ mvy: Int32, _ width: Int, _ height: Int,
                                      exact: Bool = false) -> (UnsafePointer<UInt8>, Int) {
        let ix = x + Int(mvx >> 2), iy = y + Int(mvy >> 2), fx = Int(mvx & 3), fy = Int(mvy & 3)
        if fx & 1 == 0 && fy & 1 == 0 { return (sample(ix, iy, fx, fy), stride) }
        if exact {
            Interpolation.lumaSIMD(UnsafePointer(origins[0] + iy * stride + ix), stride, block, 16, width, height, fx, fy, temp)
            return (UnsafePointer(block), 16)
        }
        let (a, b) = neighbours(ix, iy, fx, fy)
        Reconstruction.copyBlock(a, stride, block, 16, width, height)
        Reconstruction.averageSIMD(block, 16, b, stride, width, height)
        return (UnsafePointer(block), 16)
    }

    /// The sum of absolute differences between the `size x size` block `source` (rows `sourceStride`
    /// apart) and ``prediction(_:_:_:_:_:_:exact:)`` of the same block and vector, the same value
    /// without forming an approximated quarter-sample prediction: its average is compared as it is made
    /// (``BlockMetrics/sadToAverageSIMD(_:_:_:_:_:_:_:)``).
    @inline(__always) func sad(_ source: UnsafePointer<UInt8>, _ sourceStride: Int, _ x: Int, _ y: Int, _ mvx: Int32, _ mvy: Int32,
                               _ size: Int, exact: Bool = false) -> Int {
        let ix = x + Int(mvx >> 2), iy = y + Int(mvy >> 2), fx = Int(mvx & 3), fy = Int(mvy & 3)
        if exact || (fx & 1 == 0 && fy & 1 == 0) {
            let (prediction, predictionStride) = self.prediction(x, y, mvx, mvy, size, size, exact: exact)
            return BlockMetrics.sadSIMD(source, sourceStride, prediction, predictionStride, size, size)
        }
        let (a, b) = neighbours(ix, iy, fx, fy)
        return BlockMetrics.sadToAverageSIMD(source, sourceStride, a, b, stride, size, size)
    }

    /// The two whole- or half-sample positions whose rounded average approximates the quarter-sample
    /// phase (fx, fy) (one of them odd) at whole position (ix, iy): its horizontal or vertical neighbours
    /// on the half grid, or, diagonally, the nearest horizontal and vertical half-sample positions.
    @inline(__always) private func neighbours(_ ix: Int, _ iy: Int, _ fx: Int, _ fy: Int) -> (UnsafePointer<UInt8>, UnsafePointer<UInt8>) {
        if fy & 1 == 0 { return (sample(ix, iy, fx - 1, fy), sample(ix, iy, fx + 1, fy)) }
        if fx & 1 == 0 { return (sample(ix, iy, fx, fy - 1), sample(ix, iy, fx, fy + 1)) }
        return (sample(ix, iy, 2, fy == 1 ? 0 : 4), sample(ix, iy, fx == 1 ? 0 : 4, 2))
    }
}

/// The search planes of the last few reference pictures, recomputed only when a picture's samples
/// have changed since they were made.
final class SearchPlaneCache {
    private var entries: [(picture: ObjectIdentifier, version: Int, planes: SearchPlanes)] = []
    private let capacity: Int

    /// Keeps the planes of up to `capacity` pictures (the distinct references alive at once).
    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The search planes of `reference` (its borders extended), made now unless cached.
    func planes(for reference: Picture) -> SearchPlanes {
        let id = ObjectIdentifier(reference)
        if let i = entries.firstIndex(where: { $0.picture == id }) {
            let entry = entries.remove(at: i)
            if entry.version != reference.version { entry.planes.fill(from: reference.luma) }
            entries.append((id, reference.version, entry.planes))
            return entry.planes
        }
        let planes: SearchPlanes
        if entries.count >= capacity {
            planes = entries.removeFirst().planes
        } else {
            planes = SearchPlanes(like: reference.luma)
        }
        planes.fill(from: reference.luma)
        entries.append((id, reference.version, planes))
        return planes
    }
}
