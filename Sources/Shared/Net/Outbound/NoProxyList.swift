/// `network.noProxy`: hosts droidgate reaches directly even when proxies are
/// set. An entry matches the host itself and, as curl's `no_proxy` does, every
/// subdomain (`corp.example` and `.corp.example` both cover `api.corp.example`);
/// `*` matches every host. Matching ignores case and IPv6 brackets; an address
/// matches only when written the same way (no CIDR ranges).
public struct NoProxyList: Sendable, Equatable {
    public let entries: [String]
    public let matchesEverything: Bool

    public init(_ entries: [String]) {
        matchesEverything = entries.contains("*")
        self.entries = entries.filter { $0 != "*" }.map(NoProxyList.normalized)
    }

    public func matches(host: String) -> Bool {
        if matchesEverything { return true }
        let h = NoProxyList.normalized(host)
        return entries.contains { h == $0 || h.hasSuffix("." + $0) }
    }

    public static func isValidEntry(_ s: String) -> Bool {
        if s == "*" { return true }
        let n = normalized(s)
        // One colon is "host:port", which never matches (entries name hosts); IPv6 has several.
        if n.utf8.filter({ $0 == 0x3a }).count == 1 { return false }
        return !n.isEmpty && n.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x3a
        }
    }

    private static func normalized(_ s: String) -> String {
        var t = Substring(s.lowercased())
        if t.hasPrefix("[") && t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        while t.hasPrefix(".") { t = t.dropFirst() }
        return String(t)
    }
}
