/// A set of byte edits to a body, each an exact range of the original
/// replaced by new bytes (an insertion is an empty range). Applied in one
/// pass; bytes outside the edited ranges are copied unchanged.
public struct Splice: Sendable {
    public struct Edit: Sendable {
        public var range: ByteRange
        public var replacement: [UInt8]
    }

    public private(set) var edits: [Edit] = []

    public init() {}

    public var isEmpty: Bool { edits.isEmpty }

    public mutating func replace(_ range: ByteRange, with bytes: [UInt8]) {
        edits.append(Edit(range: range, replacement: bytes))
    }

    public mutating func insert(_ bytes: [UInt8], at offset: Int) {
        edits.append(Edit(range: ByteRange(offset, offset), replacement: bytes))
    }

    public mutating func delete(_ range: ByteRange) {
        edits.append(Edit(range: range, replacement: []))
    }

    /// Edits by position; at equal offsets, in the order they were added.
    public var sortedEdits: [Edit] {
        edits.enumerated().sorted {
            $0.element.range.start != $1.element.range.start ? $0.element.range.start < $1.element.range.start : $0.offset < $1.offset
        }.map(\.element)
    }

    /// The edited body. Edits must not overlap.
    public func apply(to body: UnsafeRawBufferPointer) -> [UInt8] {
        let ordered = sortedEdits
        var out: [UInt8] = []
        out.reserveCapacity(body.count + ordered.reduce(0) { $0 + $1.replacement.count })
        var at = 0
        for e in ordered {
            precondition(e.range.start >= at, "overlapping splice edits")
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[at..<e.range.start]))
            out.append(contentsOf: e.replacement)
            at = e.range.end
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[at...]))
        return out
    }
}
