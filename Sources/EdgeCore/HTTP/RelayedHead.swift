/// The backend's response head as edged relays it. cli-proxy-api answers
/// every request with `Access-Control-Allow-Origin: *` and its other
/// `Access-Control-*` headers (gin's CORS middleware, internal/api/server.go
/// of router-for-me/CLIProxyAPI): relayed, they would let any web page read
/// the answers edged gives. edged's own policy (`BrowserGuard`,
/// `clients.allowedOrigins`) decides instead (issue 25): every
/// `Access-Control-*` header of the backend's is dropped, and a request that
/// came with an allowed `Origin` gets `Access-Control-Allow-Origin: <that
/// origin>` and `Vary: Origin` — and, for a preflight, the method and headers
/// it asked for (`Access-Control-Allow-Methods`/`-Headers`, echoed: the
/// origin is trusted, and the backend's answer to the same question was `*`).
/// Works on bytes, into a buffer the caller keeps: no allocation once the
/// buffer has grown to a head's size.
public enum RelayedHead {
    /// What edged answers a request from an allowed origin with: the request's
    /// `Origin` value, and a preflight's `Access-Control-Request-Method` and
    /// `-Headers` values (values the request parser accepted: no CR or LF).
    public struct CORS {
        public var origin: UnsafeRawBufferPointer
        public var requestMethod: UnsafeRawBufferPointer?
        public var requestHeaders: UnsafeRawBufferPointer?

        public init(origin: UnsafeRawBufferPointer, requestMethod: UnsafeRawBufferPointer? = nil, requestHeaders: UnsafeRawBufferPointer? = nil) {
            self.origin = origin
            self.requestMethod = requestMethod
            self.requestHeaders = requestHeaders
        }

        /// The header lines, each ending in CRLF.
        public func write(into out: inout [UInt8]) {
            RelayedHead.append("Access-Control-Allow-Origin: ", to: &out)
            out.append(contentsOf: origin)
            RelayedHead.append("\r\nVary: Origin\r\n", to: &out)
            if let m = requestMethod {
                RelayedHead.append("Access-Control-Allow-Methods: ", to: &out)
                out.append(contentsOf: m)
                RelayedHead.append("\r\n", to: &out)
            }
            if let h = requestHeaders {
                RelayedHead.append("Access-Control-Allow-Headers: ", to: &out)
                out.append(contentsOf: h)
                RelayedHead.append("\r\n", to: &out)
            }
        }
    }

    /// Whether `head` is relayed other than as it is: it has an
    /// `Access-Control-*` header, or edged adds headers of its own.
    public static func needsRewrite(_ head: UnsafeRawBufferPointer, allowOrigin: Bool, addClose: Bool) -> Bool {
        if allowOrigin || addClose { return true }
        var found = false
        forEachLine(head) { line, _, _ in
            if isAccessControl(line) { found = true }
            return !found
        }
        return found
    }

    /// Appends `head` (a complete response head, status line to the blank
    /// line) to `out`: without `Access-Control-*` headers when
    /// `dropAccessControl`; with `Access-Control-Allow-Origin: <allowOrigin>`
    /// and `Vary: Origin` when `allowOrigin` is given; and, when `addClose`,
    /// without `Connection` and `Keep-Alive` and with `Connection: close` last.
    public static func write(_ head: UnsafeRawBufferPointer, dropAccessControl: Bool = true, allowOrigin: UnsafeRawBufferPointer?,
                             addClose: Bool, into out: inout [UInt8]) {
        write(head, dropAccessControl: dropAccessControl, cors: allowOrigin.map { CORS(origin: $0) }, addClose: addClose, into: &out)
    }

    /// As above, with edged's whole CORS answer (`cors`: an allowed origin's request).
    public static func write(_ head: UnsafeRawBufferPointer, dropAccessControl: Bool = true, cors: CORS?,
                             addClose: Bool, into out: inout [UInt8]) {
        forEachLine(head) { line, whole, isFirst in
            if !isFirst && line.isEmpty {
                // The blank line that ends the head: ours go before it.
                cors?.write(into: &out)
                if addClose { append("Connection: close\r\n", to: &out) }
                out.append(contentsOf: whole)
                return false
            }
            let drop = !isFirst && ((dropAccessControl && isAccessControl(line))
                || (addClose && (isHeader(line, "connection") || isHeader(line, "keep-alive"))))
            if !drop { out.append(contentsOf: whole) }
            return true
        }
    }

    /// Calls `body(line without its line end, line with it, isFirst)` per line until it returns false.
    private static func forEachLine(_ head: UnsafeRawBufferPointer,
                                    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, Bool) -> Bool) {
        var lineStart = 0
        var first = true
        while lineStart < head.count {
            var lineEnd = lineStart
            while lineEnd < head.count && head[lineEnd] != 0x0a { lineEnd += 1 }
            let next = min(lineEnd + 1, head.count)
            var contentEnd = lineEnd
            if contentEnd > lineStart && head[contentEnd - 1] == 0x0d { contentEnd -= 1 }
            let goOn = body(UnsafeRawBufferPointer(rebasing: head[lineStart..<contentEnd]),
                            UnsafeRawBufferPointer(rebasing: head[lineStart..<next]), first)
            guard goOn else { return }
            first = false
            lineStart = next
        }
    }

    /// A header line whose name starts with `Access-Control-` (any case).
    static func isAccessControl(_ line: UnsafeRawBufferPointer) -> Bool {
        let prefix: StaticString = "access-control-"
        let n = prefix.utf8CodeUnitCount
        guard line.count > n, line.equalsLowercase(ByteRange(0, n), prefix) else { return false }
        // A name, not a value: the colon comes after the prefix, before any space.
        var j = n
        while j < line.count && line[j] != 0x3a {
            if line[j] == 0x20 || line[j] == 0x09 { return false }
            j += 1
        }
        return j < line.count
    }

    /// A header line named `lowerName` (any case).
    static func isHeader(_ line: UnsafeRawBufferPointer, _ lowerName: StaticString) -> Bool {
        let n = lowerName.utf8CodeUnitCount
        guard line.count > n else { return false }
        var j = n
        while j < line.count && (line[j] == 0x20 || line[j] == 0x09) { j += 1 }
        guard j < line.count, line[j] == 0x3a else { return false }
        return line.equalsLowercase(ByteRange(0, n), lowerName)
    }

    static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
