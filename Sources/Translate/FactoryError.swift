// The client-facing body for an upstream (Factory) non-2xx answered before the first byte.

import Values

public enum FactoryError {
    /// `{"error":{"message":"Factory returned <status>","type":<from status>,"upstream":<body>}}`,
    /// with the upstream body as JSON when it parses, else as a string (lossily UTF-8 decoded).
    public static func body(status: Int, upstream: [UInt8]) -> [UInt8] {
        let upstreamValue: JSONValue
        if let parsed = try? JSONValue(parsing: upstream) {
            upstreamValue = parsed
        } else {
            upstreamValue = .string(String(decoding: upstream, as: UTF8.self))
        }
        let value: JSONValue = [
            "error": [
                "message": .string("Factory returned \(status)"), "type": .string(type(status: status)),
                "upstream": upstreamValue,
            ]
        ]
        return value.serialized()
    }

    /// The error type for a status, in Anthropic's vocabulary (which OpenAI's mostly shares).
    public static func type(status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 529: "overloaded_error"
        case 400..<500: "invalid_request_error"
        default: "api_error"
        }
    }
}
