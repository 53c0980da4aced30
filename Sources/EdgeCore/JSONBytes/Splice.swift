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

    /// Two edits that overlap, or one outside the body: a bug in the rules that
    /// made them, never in the request. The request gets a 500 and the log names
    /// the rules; the process — every other connection — goes on.
    public struct Conflict: Error, Sendable, CustomStringConvertible {
        public let edit: ByteRange
        /// Where the previous edit ended (or the body's length, for an edit past it).
        public let boundary: Int
        public var description: String { "an edit of bytes \(edit.start)..<\(edit.end) overlaps the previous one or the body's end (\(boundary))" }
    }

    /// The edited body; throws when edits overlap or leave the body.
    public func apply(to body: UnsafeRawBufferPointer) throws(Conflict) -> [UInt8] {
        let ordered = sortedEdits
        var out: [UInt8] = []
        out.reserveCapacity(body.count + ordered.reduce(0) { $0 + $1.replacement.count })
        var at = 0
        for e in ordered {
            guard e.range.start >= at else { throw Conflict(edit: e.range, boundary: at) }
            guard e.range.end <= body.count, e.range.start <= e.range.end else { throw Conflict(edit: e.range, boundary: body.count) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[at..<e.range.start]))
            out.append(contentsOf: e.replacement)
            at = e.range.end
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[at...]))
        return out
    }
}
