/// One parsed HTTP/1.1 request as the fake received it.
struct HTTPHeader: Sendable {
    let name: String
    let value: String
}

struct HTTPRequest: Sendable {
    let method: String
    let target: String
    let version: String
    /// In received order, names in received case.
    let headers: [HTTPHeader]
    /// The decoded body (chunked framing removed).
    let body: [UInt8]
    /// The exact bytes received for this request (head and body framing), only when recording.
    let raw: [UInt8]

    var path: String {
        guard let q = target.firstIndex(of: "?") else { return target }
        return String(target[..<q])
    }

    var query: String {
        guard let q = target.firstIndex(of: "?") else { return "" }
        return String(target[target.index(after: q)...])
    }

    /// The first header named `name` (ASCII case-insensitive).
    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The first query parameter named `key`, percent-decoded ('+' is a space).
    func queryValue(_ key: String) -> String? {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if percentDecode(parts[0]) == key {
                return parts.count > 1 ? percentDecode(parts[1]) : ""
            }
        }
        return nil
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only when asked.
    var wantsKeepAlive: Bool {
        let tokens = (header("Connection") ?? "").lowercased().split(separator: ",").map {
            $0.trimming(" \t")
        }
        if tokens.contains("close") { return false }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return true
    }
}

func percentDecode(_ s: Substring) -> String {
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

func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
    default: return nil
    }
}

extension StringProtocol {
    /// Drops the given characters from both ends.
    func trimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
