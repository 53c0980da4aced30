import Shared

/// The one framing for all IPC: a 4-byte big-endian payload length, then the
/// payload, a UTF-8 JSON object. The length is checked against `maxPayload`
/// before anything is allocated for it.
public enum Frame {
    public static let maxPayload = 1 << 20
    public static let headerSize = 4

    /// Throws `.frameTooLarge` for a message over `maxPayload`: a reply built
    /// from what others sent (log lines, error strings) must end as an error
    /// reply, never as a crash of the daemon.
    public static func encode(_ message: JSONValue) throws(IPCError) -> [UInt8] {
        let payload = message.serialized()
        if payload.count > maxPayload { throw .frameTooLarge(payload.count) }
        let n = UInt32(payload.count)
        var out: [UInt8] = [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
        out.reserveCapacity(headerSize + payload.count)
        out.append(contentsOf: payload)
        return out
    }
}

/// Incremental decoder: feed it whatever the socket returned, take out whole
/// frames. Handles a frame split across reads and several frames in one read.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    /// Bytes received but not yet consumed as a frame.
    public var pendingByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame's JSON object, nil if more bytes are needed.
    /// Throws on an oversized or empty length, or a payload that is not a JSON object;
    /// after a throw the stream is unusable and the connection must be closed.
    public mutating func next() throws(IPCError) -> JSONObject? {
        guard pendingByteCount >= Frame.headerSize else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        if length > Frame.maxPayload { throw .frameTooLarge(length) }
        if length == 0 { throw .emptyFrame }
        guard pendingByteCount >= Frame.headerSize + length else { return nil }
        let from = start + Frame.headerSize
        start = from + length
        let value: JSONValue
        do {
            value = try JSONValue(parsing: buffer[from..<(from + length)], maxDepth: 64)
        } catch {
            throw .invalidJSON(error.description)
        }
        guard let object = value.objectValue else { throw .notAnObject }
        return object
    }

    private mutating func compactIfWorthIt() {
        if start > 0 && (start == buffer.count || start > 64 * 1024) {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}
