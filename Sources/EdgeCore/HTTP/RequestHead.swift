/// A parsed request head: every field is a range into the buffer it was
/// parsed from, so nothing is copied.
public struct RequestHead: Sendable {
    public struct Header: Sendable {
        public var name: ByteRange
        public var value: ByteRange       // trimmed of surrounding spaces and tabs
        public var line: ByteRange        // the whole line including its CRLF
        /// What the name is, recognised once by the parser.
        public var kind: HeaderKind = .other
        /// Named by a `Connection` header: describes this connection only.
        public var listedInConnection = false

        public init(name: ByteRange, value: ByteRange, line: ByteRange, kind: HeaderKind = .other) {
            self.name = name
            self.value = value
            self.line = line
            self.kind = kind
        }

        /// Not forwarded as received (hop-by-hop, or a header edged sets itself).
        @inline(__always) public var isHopByHop: Bool { listedInConnection || kind.isHopByHopOrOwn }
    }

    public enum BodyFraming: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    public var method: ByteRange
    public var target: ByteRange
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: [Header]
    /// Offset just past the blank line that ends the head.
    public var headLength: Int
    public var framing: BodyFraming
    public var keepAlive: Bool
    public var expectContinue: Bool
    /// An HTTP/1.1 request that asks to become a WebSocket (RFC 6455 §4.1:
    /// `Connection` lists `upgrade` and `Upgrade` lists `websocket`).
    public var upgradeToWebSocket: Bool
    public var requestLine: ByteRange   // without its CRLF

    public init() {
        method = ByteRange(0, 0)
        target = ByteRange(0, 0)
        minorVersion = 1
        headers = []
        headLength = 0
        framing = .none
        keepAlive = true
        expectContinue = false
        upgradeToWebSocket = false
        requestLine = ByteRange(0, 0)
    }

    /// Back to the state of `init()`, keeping the header array's storage.
    public mutating func reset() {
        method = ByteRange(0, 0)
        target = ByteRange(0, 0)
        minorVersion = 1
        headers.removeAll(keepingCapacity: true)
        headLength = 0
        framing = .none
        keepAlive = true
        expectContinue = false
        upgradeToWebSocket = false
        requestLine = ByteRange(0, 0)
    }

    /// The target's path part (before `?`).
    public func path(in buf: UnsafeRawBufferPointer) -> ByteRange {
        if let q = buf.firstIndex(of: UInt8(ascii: "?"), from: target.start, to: target.end) {
            return ByteRange(target.start, q)
        }
        return target
    }

    /// First header with this (lowercase) name.
    public func header(_ lowercaseName: StaticString, in buf: UnsafeRawBufferPointer) -> Header? {
        headers.first { buf.equalsLowercase($0.name, lowercaseName) }
    }

    /// First header of a kind the parser recognised.
    @inline(__always)
    public func first(_ kind: HeaderKind) -> Header? {
        for h in headers where h.kind == kind { return h }
        return nil
    }

    /// Whether a header of this kind is present.
    @inline(__always)
    public func has(_ kind: HeaderKind) -> Bool { first(kind) != nil }
}
