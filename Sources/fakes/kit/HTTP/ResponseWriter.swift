import Shared

/// Writes HTTP/1.1 responses on one connection: whole bodies with
/// Content-Length, or chunked bodies written (and sent) one chunk at a time.
public final class ResponseWriter {
    public let socket: Socket
    /// Written first in every response head (e.g. the CORS headers a real server adds).
    public let baseHeaders: [HTTPHeader]
    /// HEAD requests get the head only.
    public var headOnly = false
    /// HTTP/1.0 clients know no chunked coding: their streams are raw bytes ended by closing.
    public var chunkedAllowed = true
    /// Asked before each head: true adds `Connection: close` whatever the
    /// handler chose (a server shutting down stops keep-alive, as Go's does).
    public var mustClose: (() -> Bool)?
    /// The status of the response head last written (for the access log).
    public private(set) var status = 0

    public init(socket: Socket, baseHeaders: [HTTPHeader] = []) {
        self.socket = socket
        self.baseHeaders = baseHeaders
    }

    public func sendContinue() throws(SystemError) {
        try send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }

    /// A complete response. `close` adds `Connection: close`.
    public func send(status: Int, contentType: String?, body: [UInt8], headers: [HTTPHeader] = [], close: Bool) throws(SystemError) {
        var all = headers
        if let contentType { all.append(HTTPHeader(name: "Content-Type", value: contentType)) }
        // 1xx, 204 and 304 responses carry no body and no Content-Length.
        if status >= 200 && status != 204 && status != 304 {
            all.append(HTTPHeader(name: "Content-Length", value: String(body.count)))
        }
        var bytes = head(status: status, headers: all, close: close)
        if !headOnly && status != 204 && status != 304 { bytes.append(contentsOf: body) }
        try send(bytes)
    }

    public func sendJSON(status: Int, _ value: JSONValue, headers: [HTTPHeader] = [], close: Bool) throws(SystemError) {
        try send(status: status, contentType: "application/json; charset=utf-8", body: value.serialized(),
                 headers: headers, close: close)
    }

    /// Starts a chunked response; follow with `writeChunk` calls and `endChunked`.
    public func beginChunked(status: Int, headers: [HTTPHeader], close: Bool) throws(SystemError) {
        var all = headers
        if chunkedAllowed { all.append(HTTPHeader(name: "Transfer-Encoding", value: "chunked")) }
        try send(head(status: status, headers: all, close: close || !chunkedAllowed))
    }

    public func writeChunk(_ data: [UInt8]) throws(SystemError) {
        guard !data.isEmpty else { return }
        guard chunkedAllowed else { return try send(data) }
        var bytes = Array(String(data.count, radix: 16).utf8)
        bytes.append(contentsOf: [13, 10])
        bytes.append(contentsOf: data)
        bytes.append(contentsOf: [13, 10])
        try send(bytes)
    }

    public func endChunked() throws(SystemError) {
        guard chunkedAllowed else { return }
        try send(Array("0\r\n\r\n".utf8))
    }

    private func head(status: Int, headers: [HTTPHeader], close: Bool) -> [UInt8] {
        self.status = status
        let closing = close || (mustClose?() ?? false)
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for h in baseHeaders + headers where !(closing && h.name.lowercased() == "connection") {
            text += "\(h.name): \(h.value)\r\n"
        }
        if closing { text += "Connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    private func send(_ bytes: [UInt8]) throws(SystemError) {
        try bytes.withBytes { (b) throws(SystemError) in try socket.sendAll(b) }
    }

    /// Go's net/http `StatusText` wording (the fakes stand in for Go and Node servers),
    /// kept apart from edged's RFC 9110 table on purpose: 413 is "Request Entity Too Large" here.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Request Entity Too Large"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
