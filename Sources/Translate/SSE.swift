// Incremental server-sent events parsing (the WHATWG event-stream grammar):
// bytes arrive in arbitrary pieces, complete events come out.

/// One dispatched event: its `event:` name (nil when unnamed) and its `data:` lines joined by "\n".
public struct SSEEvent: Sendable, Equatable {
    public var event: String?
    public var data: String

    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }
}

public struct SSEParser: Sendable {
    /// What one line, and one event's data, may hold: the stream comes from
    /// another party, and a line or an event without end must not take
    /// memory without end. Past either, `overflow` says which, and nothing
    /// more is parsed.
    public let maxLineBytes: Int
    public let maxEventBytes: Int
    public private(set) var overflow: String? = nil
    /// The current, not yet terminated line.
    private var line: [UInt8] = []
    /// The previous byte was a CR, so an LF right after it belongs to the same line break.
    private var afterCR = false
    /// Still at the very start of the stream (a UTF-8 BOM there is skipped).
    private var atStart = true
    private var eventName: String?
    private var data: [UInt8] = []
    private var hasData = false

    public init(maxLineBytes: Int = 8 << 20, maxEventBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
        self.maxEventBytes = maxEventBytes
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [SSEEvent] {
        var events: [SSEEvent] = []
        guard overflow == nil else { return events }
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }  // the LF of a CRLF
            }
            switch byte {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                afterCR = true
                endLine(into: &events)
            default:
                guard line.count < maxLineBytes else {
                    overflow = "an event-stream line longer than \(maxLineBytes) bytes"
                    line = []
                    return events
                }
                line.append(byte)
            }
            if data.count > maxEventBytes {
                overflow = "an event larger than \(maxEventBytes) bytes"
                data = []
                return events
            }
        }
        return events
    }

    /// Convenience for callers holding an array.
    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The stream ended: a last line without its terminator, and a last event without its
    /// blank line, are still delivered.
    public mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        guard overflow == nil else { return events }
        if !line.isEmpty { endLine(into: &events) }
        dispatch(into: &events)
        afterCR = false
        return events
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if atStart {
            atStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // comment
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = line[..<(colon ?? line.endIndex)]
        var valueStart = colon.map { $0 + 1 } ?? line.endIndex
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = line[valueStart...]
        if name.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            eventName = String(decoding: value, as: UTF8.self)
        }
        // "id", "retry" and unknown fields carry nothing the translators use.
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        defer {
            eventName = nil
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        guard hasData else { return }
        let name = eventName.flatMap { $0.isEmpty ? nil : $0 }
        events.append(SSEEvent(event: name, data: String(decoding: data, as: UTF8.self)))
    }
}
