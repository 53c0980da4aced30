import Foundation

/// One `network.proxies` entry: `http://` or `https://[user[:password]@]host:port[/]`,
/// a proxy that accepts CONNECT (as droid2api's `https-proxy-agent` uses one);
/// with `https://` the connection to the proxy itself is TLS too. The password
/// never appears in `description`, logs or errors; only `text` (rendered into
/// the backend's 0600 config) carries it, and libcurl gets it apart.
public struct ProxyURL: Sendable, Equatable, CustomStringConvertible {
    /// A host name, an IPv4 literal, or an IPv6 literal without brackets.
    public let host: String
    public let port: UInt16
    public let username: String?
    public let password: String?
    /// `http` or `https`: how droidgate talks to the proxy.
    public let scheme: String
    /// The URL as configured.
    public let text: String

    public struct ParseError: Error, Sendable {
        public let message: String
    }

    public init(parsing text: String) throws(ParseError) {
        func fail(_ m: String) -> ParseError { ParseError(message: m) }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f }) else {
            throw fail("must not contain spaces or control characters")
        }
        let lower = text.lowercased()
        if lower.hasPrefix("socks") {
            throw fail("only http:// and https:// proxies are supported (droidgate sends CONNECT to the proxy; the tunnel inside is TLS)")
        }
        let scheme = lower.hasPrefix("https://") ? "https" : "http"
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw fail("expected \"http://[user:password@]host:port\" or \"https://…\"")
        }
        var rest = Substring(text.dropFirst(scheme.count + 3))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("/") || rest.contains("?") || rest.contains("#") {
            throw fail("a proxy URL has no path or query: \"\(scheme)://[user:password@]host:port\"")
        }
        var user: String? = nil, pass: String? = nil
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = info.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let u = String(parts[0]).removingPercentEncoding, !u.isEmpty else {
                throw fail("the user name before \"@\" is empty or badly percent-encoded")
            }
            user = u
            if parts.count == 2 {
                guard let p = String(parts[1]).removingPercentEncoding else { throw fail("the password is badly percent-encoded") }
                pass = p
            }
        }
        let hostPart: Substring, portPart: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw fail("expected \"[IPv6]:port\" after \"\(scheme)://\"")
            }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            portPart = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw fail("the proxy's port is missing (\"\(scheme)://host:port\")") }
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw fail("the proxy's host is missing") }
        guard let port = UInt16(portPart), port > 0 else { throw fail("the proxy's port must be a number from 1 to 65535") }
        self.host = String(hostPart)
        self.port = port
        self.username = user
        self.password = pass
        self.scheme = scheme
        self.text = text
    }

    /// `host:port` as it goes into a CONNECT line or an error message.
    public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `scheme://host:port`, without credentials (libcurl gets those apart).
    public var endpoint: String { "\(scheme)://\(authority)" }

    /// The URL with the password replaced by `***`.
    public var description: String {
        guard let username else { return endpoint }
        return "\(scheme)://\(username)\(password == nil ? "" : ":***")@\(authority)"
    }
}
