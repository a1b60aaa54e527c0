/// One box found in a byte buffer: where its header starts, where its body starts and ends.
struct Box {
    let type: FourCC
    /// Offset of the size field.
    let start: Int
    /// Offset of the first body byte (after size, type and any largesize).
    let bodyStart: Int
    /// Offset one past the last byte of the box.
    let end: Int
}

/// Reads big-endian fields from a region of a buffer, never past `end`.
///
/// Every read checks what remains and throws ``ContainerError/truncated(path:offset:box:)``
/// naming the enclosing box, so malformed input is reported, never trapped on.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    let path: String
    let box: FourCC

    init(_ bytes: [UInt8], from start: Int, to end: Int, path: String, box: FourCC) {
        self.bytes = bytes
        self.position = start
        self.end = end
        self.path = path
        self.box = box
    }

    init(_ bytes: [UInt8], body b: Box, path: String) {
        self.init(bytes, from: b.bodyStart, to: b.end, path: path, box: b.type)
    }

    var remaining: Int { end - position }

    private mutating func need(_ n: Int) throws(ContainerError) {
        guard n >= 0, n <= end - position else {
            throw .truncated(path: path, offset: position, box: box.description)
        }
    }

    mutating func u8() throws(ContainerError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws(ContainerError) -> UInt16 {
        try need(2)
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u24() throws(ContainerError) -> UInt32 {
        try need(3)
        defer { position += 3 }
        return UInt32(bytes[position]) << 16 | UInt32(bytes[position + 1]) << 8 | UInt32(bytes[position + 2])
    }

    mutating func u32() throws(ContainerError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[position + i]) }
        position += 4
        return v
    }

    mutating func u64() throws(ContainerError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[position + i]) }
        position += 8
        return v
    }

    mutating func fourCC() throws(ContainerError) -> FourCC { FourCC(try u32()) }

    mutating func skip(_ n: Int) throws(ContainerError) {
        try need(n)
        position += n
    }

    /// Reads `n` bytes; the length is checked against what remains before anything is allocated.
    mutating func bytes(_ n: Int) throws(ContainerError) -> [UInt8] {
        try need(n)
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    /// Reads a FullBox's version and flags.
    mutating func versionAndFlags() throws(ContainerError) -> (version: UInt8, flags: UInt32) {
        let v = try u8()
        let f = try u24()
        return (v, f)
    }

    func malformed(_ detail: String, at offset: Int? = nil) -> ContainerError {
        .malformedBox(path: path, offset: offset ?? position, box: box.description, detail: detail)
    }
}

/// Splits a region of a buffer into its sequence of boxes.
enum BoxParser {
    /// Parses the boxes that exactly tile `start..<end`. `parent` names the enclosing box in errors.
    static func boxes(in bytes: [UInt8], from start: Int, to end: Int, path: String) throws(ContainerError) -> [Box] {
        var result: [Box] = []
        var offset = start
        while offset < end {
            guard end - offset >= 8 else {
                throw .truncated(path: path, offset: offset, box: "????")
            }
            var r = ByteReader(bytes, from: offset, to: end, path: path, box: "????")
            let size32 = try r.u32()
            let type = try r.fourCC()
            var size = UInt64(size32)
            if size32 == 1 {
                r = ByteReader(bytes, from: r.position, to: end, path: path, box: type)
                size = try r.u64()
                guard size >= 16 else {
                    throw .malformedBox(path: path, offset: offset, box: type.description, detail: "largesize \(size) is smaller than its header")
                }
            } else if size32 == 0 {
                size = UInt64(end - offset)
            } else if size < 8 {
                throw .malformedBox(path: path, offset: offset, box: type.description, detail: "size \(size) is smaller than its header")
            }
            guard size <= UInt64(end - offset) else {
                throw .truncated(path: path, offset: offset, box: type.description)
            }
            let boxEnd = offset + Int(size)
            result.append(Box(type: type, start: offset, bodyStart: r.position, end: boxEnd))
            offset = boxEnd
        }
        return result
    }

    /// Parses the children of `parent`, skipping `headerBytes` of fields that precede them.
    static func children(of parent: Box, in bytes: [UInt8], skipping headerBytes: Int = 0, path: String) throws(ContainerError) -> [Box] {
        guard parent.end - parent.bodyStart >= headerBytes else {
            throw .truncated(path: path, offset: parent.start, box: parent.type.description)
        }
        return try boxes(in: bytes, from: parent.bodyStart + headerBytes, to: parent.end, path: path)
    }

    /// The only box of `type` among `boxes`, or a typed error naming `parent`.
    static func required(_ type: FourCC, in boxes: [Box], parent: FourCC, path: String) throws(ContainerError) -> Box {
        let found = boxes.filter { $0.type == type }
        guard let first = found.first else {
            throw .missingBox(path: path, box: type.description, parent: parent.description)
        }
        guard found.count == 1 else {
            throw .malformedBox(path: path, offset: found[1].start, box: type.description, detail: "more than one '\(type)' in '\(parent)'")
        }
        return first
    }
}
