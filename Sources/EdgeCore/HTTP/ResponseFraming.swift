/// How an upstream response ends, worked out from its head, and a tracker
/// that watches the relayed bytes (without changing them) to see when the
/// response is complete — so the upstream connection can be reused and the
/// client connection can carry its next request.
public enum ResponseFraming: Sendable, Equatable {
    case noBody
    case length(Int)
    case chunked
    case untilClose
}

public struct ResponseHead: Sendable {
    public var status: Int
    public var headLength: Int
    public var framing: ResponseFraming
    /// The upstream asked to close (Connection: close, or HTTP/1.0 without keep-alive).
    public var close: Bool
}

public enum ResponseParser {
    public enum Result: Sendable {
        case incomplete
        case complete(ResponseHead)
        case failed(String)
    }

    /// Parses a response head at the start of `buf`. `requestWasHead`: a reply to
    /// HEAD has no body whatever its headers say.
    public static func parse(_ buf: UnsafeRawBufferPointer, requestWasHead: Bool) -> Result {
        guard let headEnd = RequestParser.findHeadEnd(buf) else {
            return buf.count > RequestParser.maxHeadBytes ? .failed("response head too large") : .incomplete
        }
        guard let lineEnd = RequestParser.lineEnd(buf, from: 0, to: headEnd), lineEnd >= 12,
              buf.equals(ByteRange(0, 7), "HTTP/1."), buf[8] == 0x20 else {
            return .failed("malformed status line")
        }
        var status = 0
        for i in 9..<12 {
            let c = buf[i]
            guard RequestParser.isDigit(c) else { return .failed("malformed status code") }
            status = status * 10 + Int(c - 0x30)
        }
        let http10 = buf[7] == UInt8(ascii: "0")
        var close = http10
        var contentLength: Int? = nil
        var chunked = false
        var pos = lineEnd + 2
        while pos < headEnd - 2 {
            guard let end = RequestParser.lineEnd(buf, from: pos, to: headEnd),
                  let colon = buf.firstIndex(of: UInt8(ascii: ":"), from: pos, to: end) else {
                return .failed("malformed response header")
            }
            var vs = colon + 1, ve = end
            while vs < ve && (buf[vs] == 0x20 || buf[vs] == 0x09) { vs += 1 }
            while ve > vs && (buf[ve - 1] == 0x20 || buf[ve - 1] == 0x09) { ve -= 1 }
            let name = ByteRange(pos, colon), value = ByteRange(vs, ve)
            if buf.equalsLowercase(name, "content-length") {
                guard let n = try? RequestParser.parseContentLength(buf, value) else { return .failed("invalid Content-Length") }
                contentLength = n
            } else if buf.equalsLowercase(name, "transfer-encoding") {
                RequestParser.forEachToken(buf, value) { t in chunked = buf.equalsLowercase(t, "chunked") }
            } else if buf.equalsLowercase(name, "connection") {
                RequestParser.forEachToken(buf, value) { t in
                    if buf.equalsLowercase(t, "close") { close = true }
                    if buf.equalsLowercase(t, "keep-alive") && http10 { close = false }
                }
            }
            pos = end + 2
        }
        let framing: ResponseFraming
        if requestWasHead || (100...199).contains(status) || status == 204 || status == 304 {
            framing = .noBody
        } else if chunked {
            framing = .chunked
        } else if let n = contentLength {
            framing = n == 0 ? .noBody : .length(n)
        } else {
            framing = .untilClose
        }
        if framing == .untilClose { close = true }
        return .complete(ResponseHead(status: status, headLength: headEnd, framing: framing, close: close))
    }
}

/// Follows a chunked body as it streams by and reports where it ends.
public struct ChunkedEndTracker: Sendable {
    private var decoder = ChunkedDecoder(maxBody: Int.max, collectsPayload: false)
    private var unused: [UInt8] = []

    public init() {}

    public var isComplete: Bool { decoder.isComplete }

    /// Returns how many bytes of `input` belong to the body (all of them
    /// unless the body ended inside `input`). Throws on a malformed body.
    public mutating func consume(_ input: UnsafeRawBufferPointer) throws(HTTPError) -> Int {
        try decoder.decode(input, into: &unused)
    }
}
