/// One header field as received or sent, name in its original case.
public struct HTTPHeader: Sendable {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One parsed HTTP/1.1 request as a fake received it.
public struct HTTPRequest: Sendable {
    public let method: String
    public let target: String
    public let version: String
    /// In received order, names in received case.
    public let headers: [HTTPHeader]
    /// The decoded body (chunked framing removed).
    public let body: [UInt8]
    /// The exact bytes received for this request (head and body framing), only when recording.
    public let raw: [UInt8]

    public init(method: String, target: String, version: String, headers: [HTTPHeader], body: [UInt8], raw: [UInt8]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.raw = raw
    }

    public var path: String {
        guard let q = target.firstIndex(of: "?") else { return target }
        return String(target[..<q])
    }

    public var query: String {
        guard let q = target.firstIndex(of: "?") else { return "" }
        return String(target[target.index(after: q)...])
    }

    /// The first header named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The first query parameter named `key`, percent-decoded ('+' is a space).
    public func queryValue(_ key: String) -> String? {
        formValue(key, in: query)
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when asked.
    public var wantsKeepAlive: Bool {
        let tokens = (header("Connection") ?? "").lowercased().split(separator: ",").map {
            $0.trimming(" \t")
        }
        if tokens.contains("close") { return false }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return true
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any.
    public var bearerToken: String? {
        guard let value = header("Authorization"), let space = value.firstIndex(of: " ") else { return nil }
        guard value[..<space].lowercased() == "bearer" else { return nil }
        let token = value[value.index(after: space)...].trimming(" \t")
        return token.isEmpty ? nil : token
    }
}

/// The first `key` of an `application/x-www-form-urlencoded` text (or a query string).
public func formValue(_ key: String, in text: String) -> String? {
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        if percentDecode(parts[0]) == key {
            return parts.count > 1 ? percentDecode(parts[1]) : ""
        }
    }
    return nil
}

/// Every pair of an `application/x-www-form-urlencoded` text, in order.
public func formPairs(_ text: String) -> [(String, String)] {
    text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        return (percentDecode(parts[0]), parts.count > 1 ? percentDecode(parts[1]) : "")
    }
}

public func percentDecode(_ s: Substring) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count)
    var bytes = s.utf8.makeIterator()
    while let b = bytes.next() {
        if b == UInt8(ascii: "+") {
            out.append(UInt8(ascii: " "))
        } else if b == UInt8(ascii: "%"), let h = bytes.next(), let l = bytes.next(),
                  let hv = hexValue(h), let lv = hexValue(l) {
            out.append(hv << 4 | lv)
        } else {
            out.append(b)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

public func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
    default: return nil
    }
}
