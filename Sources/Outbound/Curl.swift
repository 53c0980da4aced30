import CCurl
import Shared

/// libcurl, once per process: `curl_global_init` is not thread-safe, so the
/// first use of the library goes through `Curl.ready`, a lazily initialised
/// global (Swift runs it exactly once, under a lock).
public enum Curl {
    /// True when libcurl initialised; false leaves every request failing with the reason.
    public static let ready: Bool = ccurl_global_init() == CCURLE_OK

    /// libcurl's words for a result code.
    static func describe(_ code: Int32) -> String {
        ccurl_easy_strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}

/// Why an outbound request got no complete answer, in words for the operator
/// and the client: the host, the cause, and the proxy it went through.
public struct OutboundError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case timedOut, unreachable, tls, limit, malformed, other
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// From libcurl's result: `detail` is its error buffer (more precise than the code's text).
    static func from(code: Int32, detail: String, host: String, route: OutboundRoutes.Route, idleTimeout: Double) -> OutboundError {
        let via: String
        switch route {
        case .direct: via = ""
        case .proxy(let p): via = " (through proxy \(p))"
        }
        var cause = detail.isEmpty ? Curl.describe(code) : detail
        if case .proxy = route, cause.contains("407") { cause += " (check the user name and password in network.proxies)" }
        switch code {
        case CCURLE_OPERATION_TIMEDOUT:
            return OutboundError(.timedOut, "no answer from \(host) within \(Int(idleTimeout)) s\(via): \(cause)")
        case CCURLE_COULDNT_RESOLVE_HOST, CCURLE_COULDNT_RESOLVE_PROXY, CCURLE_COULDNT_CONNECT:
            return OutboundError(.unreachable, "cannot reach \(host)\(via): \(cause)")
        case CCURLE_PEER_FAILED_VERIFICATION, CCURLE_SSL_CACERT_BADFILE:
            return OutboundError(.tls, "TLS to \(host) failed\(via): \(cause) (a private CA goes in network.caFile)")
        default:
            return OutboundError(.other, "\(host) failed\(via): \(cause)")
        }
    }
}
