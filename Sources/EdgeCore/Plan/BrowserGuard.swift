/// Keeps web pages out. The listener is on loopback and, by default, needs
/// no key, so any page the user visits could POST to it (a `text/plain`
/// POST needs no CORS preflight) and spend the user's accounts, and with DNS
/// rebinding (a name of the attacker's that resolves to 127.0.0.1) read the
/// answers too. Browsers always send `Origin` on such requests and the page's
/// own name as `Host`; SDKs and CLIs send no `Origin` and a loopback `Host`.
/// So a request is refused (403) when it carries an `Origin` that is not in
/// `clients.allowedOrigins`, or a `Host` that is not a loopback name or
/// address, the listen address, or in `clients.allowedHosts` — the way
/// Ollama's `OLLAMA_ORIGINS` and Jupyter's `allow_origin` do it.
public struct BrowserGuard: Sendable {
    /// Lowercased, exact: `scheme://host[:port]`.
    let origins: [[UInt8]]
    /// Lowercased host names or addresses (no port); IPv6 in brackets.
    let hosts: [[UInt8]]

    public init(allowedOrigins: [String] = [], allowedHosts: [String] = [], listenHost: String? = nil) {
        origins = allowedOrigins.map { Array($0.lowercased().utf8) }
        hosts = (allowedHosts + (listenHost.map { [$0] } ?? [])).map { Array($0.lowercased().utf8) }
    }

    /// nil: the request may pass; else the 403 to answer.
    public func check(_ buf: UnsafeRawBufferPointer, _ head: RequestHead) -> HTTPError? {
        for h in head.headers {
            switch h.kind {
            case .origin where !listed(buf.slice(h.value), in: origins):
                return HTTPError(403, "forbidden",
                                 "requests from web pages are refused: this one says Origin \(quoted(buf.slice(h.value))); to allow that page, add its origin to clients.allowedOrigins")
            case .host where !hostAllowed(buf.slice(h.value)):
                return HTTPError(403, "forbidden",
                                 "Host \(quoted(buf.slice(h.value))) is not a loopback name or address nor the listen address; to reach edged by that name, add it to clients.allowedHosts")
            default:
                continue
            }
        }
        return nil
    }

    /// `host[:port]` names loopback, the listen address, or an allowed host.
    func hostAllowed(_ value: UnsafeRawBufferPointer) -> Bool {
        let name = Self.hostPart(value)
        if Self.isLoopback(name) { return true }
        return listed(name, in: hosts)
    }

    /// The host without its port: `[v6]` keeps its brackets.
    static func hostPart(_ v: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if v.first == UInt8(ascii: "[") {
            guard let close = v.firstIndex(of: UInt8(ascii: "]"), from: 0, to: v.count) else { return v }
            return UnsafeRawBufferPointer(rebasing: v[0...close])
        }
        guard let colon = v.firstIndex(of: UInt8(ascii: ":"), from: 0, to: v.count) else { return v }
        return UnsafeRawBufferPointer(rebasing: v[0..<colon])
    }

    /// `localhost`, `[::1]`, or a dotted IPv4 address in 127.0.0.0/8.
    static func isLoopback(_ name: UnsafeRawBufferPointer) -> Bool {
        let all = ByteRange(0, name.count)
        if name.equalsLowercase(all, "localhost") || name.equalsLowercase(all, "[::1]") { return true }
        guard name.count >= 9, name.equals(ByteRange(0, 4), "127.") else { return false }
        var dots = 0, digits = 0
        for c in name.dropFirst(4) {
            if c == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                dots += 1
                digits = 0
            } else if c >= 0x30 && c <= 0x39 {
                digits += 1
                if digits > 3 { return false }
            } else {
                return false
            }
        }
        return dots == 2 && digits > 0
    }

    func listed(_ value: UnsafeRawBufferPointer, in list: [[UInt8]]) -> Bool {
        let all = ByteRange(0, value.count)
        return list.contains { entry in
            entry.count == value.count && entry.withUnsafeBytes { e in
                (0..<value.count).allSatisfy { i in
                    var c = value[all.start + i]
                    if c >= 0x41 && c <= 0x5a { c |= 0x20 }
                    return c == e[i]
                }
            }
        }
    }

    /// A client value for a message: at most 100 bytes, quoted (the log escapes control bytes).
    func quoted(_ v: UnsafeRawBufferPointer) -> String {
        "\"" + String(decoding: v.prefix(100), as: UTF8.self) + (v.count > 100 ? "…" : "") + "\""
    }
}
