import EdgeCore
import Shared

/// Responses edged writes itself: errors (JSON bodies saying what to fix)
/// and its own endpoints.
enum LocalReply {
    /// The reason phrase for a status (RFC 9110 §15 and the common extensions),
    /// for every status edged writes or relays in a head of its own.
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 203: "Non-Authoritative Information"
        case 204: "No Content"
        case 206: "Partial Content"
        case 300: "Multiple Choices"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 421: "Misdirected Request"
        case 422: "Unprocessable Content"
        case 425: "Too Early"
        case 426: "Upgrade Required"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 451: "Unavailable For Legal Reasons"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 529: "Site Overloaded"
        default: "Status \(status)"
        }
    }

    /// A complete response with a body.
    static func make(status: Int, contentType: String, body: [UInt8], close: Bool, extraHeaders: String = "") -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        head += extraHeaders
        if close { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// `{"error":{"type":...,"message":...}}`
    static func errorBody(type: String, message: String) -> [UInt8] {
        JSONValue.object(["error": ["type": .string(type), "message": .string(message)]]).serialized()
    }

    static func error(_ status: Int, type: String, message: String, close: Bool) -> [UInt8] {
        make(status: status, contentType: "application/json", body: errorBody(type: type, message: message), close: close)
    }

    static func error(_ e: HTTPError) -> [UInt8] {
        error(e.status, type: e.type, message: e.message, close: true)
    }

    /// A 503 from one of edged's budgets: the client may try again in a second.
    static func overloaded(_ e: HTTPError) -> [UInt8] {
        make(status: e.status, contentType: "application/json", body: errorBody(type: e.type, message: e.message), close: true,
             extraHeaders: "Retry-After: 1\r\n")
    }

    static let unauthorizedBody = errorBody(
        type: "authentication_error",
        message: "missing or unknown API key: send one of the keys configured in clients.apiKeys as \"Authorization: Bearer <key>\", \"x-api-key\" or \"x-goog-api-key\"")

    static let continue100 = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
