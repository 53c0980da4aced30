import CFastScan

/// A half-open range of byte offsets into a buffer. The parsers return these
/// instead of copying bytes out: the hot path reads and splices in place.
public struct ByteRange: Sendable, Hashable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    @inline(__always) public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }

    @inline(__always) public var count: Int { end - start }
    @inline(__always) public var isEmpty: Bool { end <= start }

    public func shifted(by d: Int) -> ByteRange { ByteRange(start + d, end + d) }

    public var description: String { "\(start)..<\(end)" }
}

extension UnsafeRawBufferPointer {
    /// The bytes of a range as a String (logging, tests; not the hot path).
    public func string(_ r: ByteRange) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self[r.start..<r.end]), as: UTF8.self)
    }

    /// ASCII case-insensitive comparison of a range with a lowercase literal.
    @inline(__always)
    public func equalsLowercase(_ r: ByteRange, _ lower: StaticString) -> Bool {
        guard r.count == lower.utf8CodeUnitCount else { return false }
        let p = lower.utf8Start
        for i in 0..<r.count {
            var c = self[r.start + i]
            if c >= 0x41 && c <= 0x5a { c |= 0x20 }
            if c != p[i] { return false }
        }
        return true
    }

    @inline(__always)
    public func equals(_ r: ByteRange, _ literal: StaticString) -> Bool {
        guard r.count == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for i in 0..<r.count where self[r.start + i] != p[i] { return false }
        return true
    }

    /// Offset of the first `byte` in `from..<to`, or nil.
    @inline(__always)
    public func firstIndex(of byte: UInt8, from: Int, to: Int) -> Int? {
        guard from < to, let base = baseAddress else { return nil }
        let hit = fastscan_find_byte(base + from, to - from, byte)
        return hit >= 0 ? from + Int(hit) : nil
    }
}

extension UnsafeRawBufferPointer {
    /// Whether the bytes at `r` are exactly `bytes`.
    @inline(__always)
    func equalsBytes(_ r: ByteRange, _ bytes: [UInt8]) -> Bool {
        guard r.count == bytes.count else { return false }
        for i in 0..<bytes.count where self[r.start + i] != bytes[i] { return false }
        return true
    }
}
