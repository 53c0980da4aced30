/// HTTP/1.1 request-head parsing on raw bytes (RFC 9112), strict where
/// leniency enables request smuggling or header injection:
/// - lines end in CRLF; a bare CR or LF, NUL or other control byte in a header is refused;
/// - Content-Length must be digits; several that disagree are refused;
/// - Content-Length together with Transfer-Encoding is refused (the classic smuggling vector);
/// - Transfer-Encoding other than exactly `chunked` is refused (501);
/// - obsolete line folding is refused.
public enum RequestParser {
    public static let maxHeadBytes = 64 * 1024
    public static let maxHeaderCount = 128

    public enum Result: Sendable {
        case incomplete
        case complete(RequestHead)
        case failed(HTTPError)
    }

    /// Parses the head at the start of `buf`. `maxBody` bounds Content-Length.
    public static func parse(_ buf: UnsafeRawBufferPointer, maxBody: Int) -> Result {
        var head = RequestHead()
        switch parse(buf, maxBody: maxBody, into: &head) {
        case .incomplete: return .incomplete
        case .failed(let e): return .failed(e)
        case .complete: return .complete(head)
        }
    }

    public enum Outcome: Sendable {
        case incomplete
        case complete
        case failed(HTTPError)
    }

    /// Parses into `head`, reusing its header array's storage (a connection
    /// keeps one head for all its requests: no allocation per request).
    /// `head` is meaningful only on `.complete`.
    public static func parse(_ buf: UnsafeRawBufferPointer, maxBody: Int, into head: inout RequestHead) -> Outcome {
        guard let headEnd = findHeadEnd(buf) else {
            if buf.count >= maxHeadBytes { return .failed(.headersTooLarge) }
            // A line ended by a bare LF never makes a head: say so now, not at the header timeout.
            if hasBareLF(buf) { return .failed(.badRequest("request lines must end with CRLF (a bare LF was sent)")) }
            return .incomplete
        }
        if headEnd > maxHeadBytes { return .failed(.headersTooLarge) }
        head.reset()
        do {
            try parseHead(buf, headEnd: headEnd, maxBody: maxBody, into: &head)
            return .complete
        } catch {
            return .failed(error)
        }
    }

    /// Whether the bytes so far (up to the head limit) contain an LF not preceded by CR.
    static func hasBareLF(_ buf: UnsafeRawBufferPointer) -> Bool {
        let limit = min(buf.count, maxHeadBytes + 1)
        var i = 0
        while let lf = buf.firstIndex(of: 0x0a, from: i, to: limit) {
            if lf == 0 || buf[lf - 1] != 0x0d { return true }
            i = lf + 1
        }
        return false
    }

    /// Offset just past "\r\n\r\n", or nil. Leading empty lines (allowed before
    /// a request line by RFC 9112 §2.2) are not a head end.
    static func findHeadEnd(_ buf: UnsafeRawBufferPointer) -> Int? {
        var from = 0
        // Skip at most a few leading CRLFs left over from a previous request.
        while from + 1 < buf.count && buf[from] == 0x0d && buf[from + 1] == 0x0a && from < 8 { from += 2 }
        let limit = min(buf.count, maxHeadBytes + 1)
        var i = from
        while let lf = buf.firstIndex(of: 0x0a, from: i, to: limit) {
            if lf >= 3 && buf[lf - 1] == 0x0d && buf[lf - 2] == 0x0a && buf[lf - 3] == 0x0d && lf - 3 >= from {
                return lf + 1
            }
            i = lf + 1
        }
        return nil
    }

    private static func parseHead(_ buf: UnsafeRawBufferPointer, headEnd: Int, maxBody: Int, into head: inout RequestHead) throws(HTTPError) {
        head.headLength = headEnd
        var pos = 0
        while pos + 1 < headEnd && buf[pos] == 0x0d && buf[pos + 1] == 0x0a { pos += 2 }

        // Request line: method SP target SP HTTP/1.x CRLF
        guard let lineEnd = Self.lineEnd(buf, from: pos, to: headEnd) else { throw .badRequest("malformed request line") }
        head.requestLine = ByteRange(pos, lineEnd)
        guard let sp1 = buf.firstIndex(of: 0x20, from: pos, to: lineEnd), sp1 > pos else {
            throw .badRequest("malformed request line: expected \"METHOD /path HTTP/1.1\"")
        }
        for i in pos..<sp1 where !isTokenByte(buf[i]) { throw .badRequest("malformed request line: invalid method") }
        head.method = ByteRange(pos, sp1)
        guard let sp2 = buf.firstIndex(of: 0x20, from: sp1 + 1, to: lineEnd), sp2 > sp1 + 1 else {
            throw .badRequest("malformed request line: expected \"METHOD /path HTTP/1.1\"")
        }
        head.target = ByteRange(sp1 + 1, sp2)
        for i in head.target.start..<head.target.end where buf[i] <= 0x20 || buf[i] == 0x7f {
            throw .badRequest("malformed request target: control character or space")
        }
        let first = buf[head.target.start]
        let asterisk = head.target.count == 1 && first == UInt8(ascii: "*")
        guard first == UInt8(ascii: "/") || asterisk else {
            throw .badRequest("request target must be a path starting with \"/\"")
        }
        if hasDotSegment(buf, head.target) {
            throw .badRequest("request path contains a \".\" or \"..\" segment (also percent-encoded); send the normalized path")
        }
        let version = ByteRange(sp2 + 1, lineEnd)
        if buf.equals(version, "HTTP/1.1") {
            head.minorVersion = 1
        } else if buf.equals(version, "HTTP/1.0") {
            head.minorVersion = 0
        } else if version.count == 8 && buf.equals(ByteRange(version.start, version.start + 5), "HTTP/")
                    && isDigit(buf[version.start + 5]) && buf[version.start + 6] == UInt8(ascii: ".") && isDigit(buf[version.start + 7]) {
            throw HTTPError(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are supported")
        } else {
            throw .badRequest("malformed request line: bad HTTP version")
        }
        head.keepAlive = head.minorVersion == 1
        pos = lineEnd + 2

        // Header fields.
        var contentLength: Int? = nil
        var transferEncoding = false
        var chunked = false
        var hostCount = 0
        var connectionClose = false, connectionKeepAlive = false, connectionListsOthers = false
        var connectionUpgrade = false, upgradeWebSocket = false
        head.headers.reserveCapacity(16)
        while pos < headEnd - 2 {
            guard let end = Self.lineEnd(buf, from: pos, to: headEnd) else { throw .badRequest("malformed header line") }
            let c0 = buf[pos]
            if c0 == 0x20 || c0 == 0x09 { throw .badRequest("obsolete header line folding is not accepted") }
            guard let colon = buf.firstIndex(of: UInt8(ascii: ":"), from: pos, to: end), colon > pos else {
                throw .badRequest("malformed header line: missing \":\"")
            }
            for i in pos..<colon where !isTokenByte(buf[i]) {
                throw .badRequest("malformed header name (invalid character \(byteName(buf[i])))")
            }
            var vs = colon + 1, ve = end
            while vs < ve && (buf[vs] == 0x20 || buf[vs] == 0x09) { vs += 1 }
            while ve > vs && (buf[ve - 1] == 0x20 || buf[ve - 1] == 0x09) { ve -= 1 }
            for i in vs..<ve {
                let c = buf[i]
                if (c < 0x20 && c != 0x09) || c == 0x7f {
                    throw .badRequest("header \(buf.string(ByteRange(pos, colon))) contains a control character (\(byteName(c)))")
                }
            }
            if head.headers.count >= maxHeaderCount { throw .headersTooLarge }
            let kind = HeaderKind.of(buf, ByteRange(pos, colon))
            let h = RequestHead.Header(name: ByteRange(pos, colon), value: ByteRange(vs, ve), line: ByteRange(pos, end + 2), kind: kind)
            head.headers.append(h)

            switch kind {
            case .contentLength:
                let n = try parseContentLength(buf, h.value)
                if let existing = contentLength, existing != n {
                    throw .badRequest("conflicting Content-Length headers")
                }
                contentLength = n
            case .transferEncoding:
                if transferEncoding || !buf.equalsLowercase(h.value, "chunked") {
                    throw HTTPError(501, "not_implemented", "only \"Transfer-Encoding: chunked\" is supported")
                }
                transferEncoding = true
                chunked = true
            case .host:
                hostCount += 1
            case .connection:
                forEachToken(buf, h.value) { t in
                    if buf.equalsLowercase(t, "close") { connectionClose = true }
                    else if buf.equalsLowercase(t, "keep-alive") { connectionKeepAlive = true }
                    else {
                        connectionListsOthers = true
                        if buf.equalsLowercase(t, "upgrade") { connectionUpgrade = true }
                    }
                }
            case .upgrade:
                forEachToken(buf, h.value) { t in
                    if buf.equalsLowercase(t, "websocket") { upgradeWebSocket = true }
                }
            case .expect:
                guard buf.equalsLowercase(h.value, "100-continue") else {
                    throw HTTPError(417, "expectation_failed", "only \"Expect: 100-continue\" is supported")
                }
                head.expectContinue = true
            default:
                break
            }
            pos = end + 2
        }

        if head.minorVersion == 1 && hostCount != 1 {
            throw .badRequest(hostCount == 0 ? "HTTP/1.1 request without a Host header" : "more than one Host header")
        }
        if transferEncoding && contentLength != nil {
            throw .badRequest("both Content-Length and Transfer-Encoding are present")
        }
        if chunked {
            head.framing = .chunked
        } else if let n = contentLength {
            if n > maxBody { throw .bodyTooLarge(maxBody) }
            head.framing = n > 0 ? .length(n) : .none
        }
        if connectionListsOthers { markConnectionListed(buf, &head) }
        if connectionClose { head.keepAlive = false }
        else if connectionKeepAlive { head.keepAlive = true }
        if head.minorVersion == 0 { head.expectContinue = false }
        head.upgradeToWebSocket = connectionUpgrade && upgradeWebSocket && head.minorVersion == 1
    }

    /// Whether the path (before `?`) has a `.` or `..` segment, literally or
    /// percent-encoded (`%2e`, `%2E`): the backend or a later hop may
    /// normalize it to a path edged never saw.
    static func hasDotSegment(_ buf: UnsafeRawBufferPointer, _ target: ByteRange) -> Bool {
        let end = buf.firstIndex(of: UInt8(ascii: "?"), from: target.start, to: target.end) ?? target.end
        var i = target.start
        while i < end {
            // At a segment start (just after a '/'): count its dots.
            guard buf[i] == UInt8(ascii: "/") else { i += 1; continue }
            var j = i + 1, dots = 0, other = false
            while j < end && buf[j] != UInt8(ascii: "/") {
                if buf[j] == UInt8(ascii: ".") {
                    dots += 1
                    j += 1
                } else if buf[j] == UInt8(ascii: "%") && j + 2 < end && buf[j + 1] == UInt8(ascii: "2") && (buf[j + 2] | 0x20) == UInt8(ascii: "e") {
                    dots += 1
                    j += 3
                } else {
                    other = true
                    j += 1
                }
            }
            if !other && (dots == 1 || dots == 2) { return true }
            i = j
        }
        return false
    }

    /// Marks the headers a `Connection` header names (RFC 9110 §7.6.1): they
    /// describe this hop only and are not forwarded.
    static func markConnectionListed(_ buf: UnsafeRawBufferPointer, _ head: inout RequestHead) {
        for c in head.headers where c.kind == .connection {
            forEachToken(buf, c.value) { t in
                for i in head.headers.indices where sameName(buf, t, head.headers[i].name) {
                    head.headers[i].listedInConnection = true
                }
            }
        }
    }

    /// Two ranges hold the same name, ASCII case-insensitively.
    static func sameName(_ buf: UnsafeRawBufferPointer, _ a: ByteRange, _ b: ByteRange) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            var x = buf[a.start + i], y = buf[b.start + i]
            if x >= 0x41 && x <= 0x5a { x |= 0x20 }
            if y >= 0x41 && y <= 0x5a { y |= 0x20 }
            if x != y { return false }
        }
        return true
    }

    /// Index of the CR of the CRLF ending the line starting at `from`.
    /// A bare LF or CR inside the line is an error (nil).
    @inline(__always)
    static func lineEnd(_ buf: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard let lf = buf.firstIndex(of: 0x0a, from: from, to: to), lf > from, buf[lf - 1] == 0x0d else { return nil }
        if buf.firstIndex(of: 0x0d, from: from, to: lf - 1) != nil { return nil }
        return lf - 1
    }

    static func parseContentLength(_ buf: UnsafeRawBufferPointer, _ r: ByteRange) throws(HTTPError) -> Int {
        guard !r.isEmpty, r.count <= 15 else { throw .badRequest("invalid Content-Length") }
        var n = 0
        for i in r.start..<r.end {
            let c = buf[i]
            guard isDigit(c) else { throw .badRequest("invalid Content-Length") }
            n = n * 10 + Int(c - 0x30)
        }
        return n
    }

    /// Calls `body` with each comma-separated, trimmed token of a header value.
    public static func forEachToken(_ buf: UnsafeRawBufferPointer, _ r: ByteRange, _ body: (ByteRange) -> Void) {
        var s = r.start
        while s < r.end {
            var e = buf.firstIndex(of: UInt8(ascii: ","), from: s, to: r.end) ?? r.end
            let next = e + 1
            var ts = s
            while ts < e && (buf[ts] == 0x20 || buf[ts] == 0x09) { ts += 1 }
            while e > ts && (buf[e - 1] == 0x20 || buf[e - 1] == 0x09) { e -= 1 }
            if e > ts { body(ByteRange(ts, e)) }
            s = next
        }
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// RFC 9110 tchar.
    /// A bit per byte value 0..<128: DIGIT, ALPHA and ``!#$%&'*+-.^_`|~``. Literal
    /// constants, not a lazily built table: no once-check on every byte of a head.
    @inline(__always) static func isTokenByte(_ c: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_6CFA_0000_0000, high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        guard c < 128 else { return false }
        return (c < 64 ? low : high) >> UInt64(c & 63) & 1 == 1
    }

    static func byteName(_ c: UInt8) -> String {
        switch c {
        case 0x0d: return "CR"
        case 0x0a: return "LF"
        case 0x00: return "NUL"
        default: return "0x" + String(c, radix: 16)
        }
    }
}
