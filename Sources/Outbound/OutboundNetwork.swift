import Shared

/// One process's way out (`network.*`): which proxy each request takes
/// (round-robin per request; `noProxy` hosts direct) and which CAs it trusts.
/// Requests are built here so that every one gets both.
public final class OutboundNetwork: Sendable {
    public let routes: OutboundRoutes
    public let caFile: String?

    public init(_ config: NetworkConfig) {
        routes = OutboundRoutes(config)
        caFile = config.caFile
    }

    /// Says once, at start, how this daemon reaches the outside, and that proxy
    /// variables in its environment are not used (libcurl would read them: every
    /// request sets its proxy, or none, explicitly).
    public static func start(_ config: Config, daemon: String) -> OutboundNetwork {
        let inherited = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]
            .filter { !(Environment.get($0) ?? "").isEmpty }
        if !inherited.isEmpty {
            Log.notice("\(daemon): ignoring \(inherited.joined(separator: ", ")) from the environment; outbound proxies are set with network.proxies in the config")
        }
        // libcurl opens the file SSLKEYLOGFILE names when it initialises and
        // appends every TLS session's secrets to it: the sessions that carry
        // WorkOS refresh tokens and Factory access tokens. A path this daemon
        // did not read from its config: removed before libcurl starts.
        if !(Environment.get("SSLKEYLOGFILE") ?? "").isEmpty {
            Environment.unset("SSLKEYLOGFILE")
            Log.notice("\(daemon): ignoring SSLKEYLOGFILE from the environment; TLS session secrets are never written out")
        }
        let n = config.network
        if !n.proxies.isEmpty {
            let direct = n.noProxy.matchesEverything ? "; every host direct (noProxy \"*\")"
                : (n.noProxy.entries.isEmpty ? "" : "; direct: \(n.noProxy.entries.joined(separator: ", "))")
            Log.info("\(daemon): outbound calls through \(n.proxies.map(\.description).joined(separator: ", ")), round-robin per request\(direct)")
        }
        return OutboundNetwork(n)
    }

    /// A request to `url`, its proxy chosen now.
    /// `host`: the URL's host when the caller knows it already.
    public func request(method: String, url: String, host: String? = nil, headers: [(String, String)] = [], body: [UInt8]? = nil,
                        connectTimeout: Double = 10, idleTimeout: Double, totalTimeout: Double? = nil) -> OutboundRequest {
        var r = OutboundRequest(method: method, url: url, headers: headers, body: body, caFile: caFile,
                                connectTimeout: connectTimeout, idleTimeout: idleTimeout, totalTimeout: totalTimeout)
        r.route = routes.route(host: Self.bareHost(host ?? r.host))
        return r
    }

    /// `host[:port]` or `[v6]:port` → the host alone, for `noProxy`.
    static func bareHost(_ authority: String) -> String {
        var h = Substring(authority)
        if let at = h.lastIndex(of: "@") { h = h[h.index(after: at)...] }
        if h.hasPrefix("["), let close = h.firstIndex(of: "]") { return String(h[h.index(after: h.startIndex)..<close]) }
        if let colon = h.lastIndex(of: ":") { h = h[..<colon] }
        return String(h)
    }
}
