/// A request edged refuses, with the status the client gets and a message
/// that says what to fix. The connection is closed after the reply.
public struct HTTPError: Error, Sendable, Equatable {
    public let status: Int
    public let type: String
    public let message: String

    public init(_ status: Int, _ type: String, _ message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    public static func badRequest(_ m: String) -> HTTPError { HTTPError(400, "invalid_request", m) }
    public static let headersTooLarge = HTTPError(431, "request_header_fields_too_large",
        "request head exceeds \(RequestParser.maxHeadBytes / 1024) KiB or \(RequestParser.maxHeaderCount) header fields")
    public static func bodyTooLarge(_ limit: Int) -> HTTPError {
        HTTPError(413, "request_too_large", "request body exceeds the \(limit)-byte limit (limits.maxBodyBytes)")
    }
}
