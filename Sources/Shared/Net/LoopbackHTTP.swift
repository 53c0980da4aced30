import Glibc

/// The one small blocking HTTP/1.1 client droidgate has, for control calls to
/// plain-http listeners on this host: supervisord's health probe, edged's and
/// the CLI's model lists, one fake asking another. `Connection: close`; the
/// answer is read to the end (or `maxBytes`) and parsed once, in linear time.
/// Not for the request path: edged's loops never block.
public enum LoopbackHTTP {
    public enum Outcome: Sendable {
        case response(status: Int, body: [UInt8])
        case refused
        case failed(String)
        /// Connected, but `beforeSending` refused the listener: nothing was sent.
        case withheld
    }

    /// GET `path` on 127.0.0.1:`port`.
    /// `beforeSending`: asked once the connection is established, before the
    /// first byte; false closes it unused (the listener is not the one we meant).
    public static func get(port: Int, path: String, headers: [(String, String)] = [], timeout: Double = 2, maxBytes: Int = 8 << 20,
                           beforeSending: (() -> Bool)? = nil) -> Outcome {
        let address = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(port))
        return get(address, hostHeader: "127.0.0.1:\(port)", path: path, headers: headers, timeout: timeout, maxBytes: maxBytes,
                   beforeSending: beforeSending)
    }

    /// GET `path` under `base`, an `http://host:port[/prefix]` URL with a numeric host or `localhost`.
    public static func get(url base: String, path: String, headers: [(String, String)] = [], timeout: Double = 2) -> Outcome {
        guard base.hasPrefix("http://") else { return .failed("only http:// URLs are supported: \(base)") }
        var rest = Substring(base.dropFirst("http://".count))
        var prefix = ""
        if let slash = rest.firstIndex(of: "/") {
            prefix = String(rest[slash...])
            rest = rest[..<slash]
        }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var hostPort = String(rest)
        if !hostPort.contains(":") || (hostPort.hasPrefix("[") && !hostPort.contains("]:")) { hostPort += ":80" }
        guard let address = SocketAddress(parsing: hostPort) else { return .failed("not a numeric host:port: \(hostPort)") }
        return get(address, hostHeader: String(rest), path: prefix + path, headers: headers, timeout: timeout, maxBytes: 16 << 20)
    }

    static func get(_ address: SocketAddress, hostHeader: String, path: String, headers: [(String, String)], timeout: Double,
                    maxBytes: Int, beforeSending: (() -> Bool)? = nil) -> Outcome {
        let s: Socket
        do { s = try Socket.connectTCP(address, timeoutSeconds: timeout) } catch {
            return error.errno == ECONNREFUSED ? .refused : .failed("connect \(address): \(error.errnoName)")
        }
        defer { s.close() }
        if let beforeSending, !beforeSending() { return .withheld }
        do {
            var request = "GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
            for (k, v) in headers { request += "\(k): \(v)\r\n" }
            request += "Connection: close\r\n\r\n"
            try Array(request.utf8).withBytes { (b) throws(SystemError) in try s.sendAll(b) }
            var data: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while data.count < maxBytes {
                let n = try chunk.withMutableBytes { (b) throws(SystemError) in try s.fd.read(into: b) }
                if n == 0 { break }
                data.append(contentsOf: chunk[0..<n])
            }
            return parse(data, timeout: timeout)
        } catch {
            if error.errno == EAGAIN { return .failed("no answer within \(Int(timeout)) s") }
            return .failed("\(error)")
        }
    }

    /// A whole response: status, and the body framed by chunking or Content-Length (else to the end).
    static func parse(_ data: [UInt8], timeout: Double) -> Outcome {
        guard let headEnd = index(of: [13, 10, 13, 10], in: data, from: 0) else {
            return .failed(data.isEmpty ? "no answer within \(Int(timeout)) s" : "not an HTTP answer")
        }
        let lines = String(decoding: data[0..<headEnd], as: UTF8.self).split(separator: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { return .failed("not an HTTP answer") }
        var chunked = false
        var length: Int? = nil
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimming(" \t")
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
            if name == "content-length" { length = Int(value) }
        }
        let body = Array(data[(headEnd + 4)...])
        if chunked {
            guard let decoded = dechunk(body) else { return .failed("malformed or truncated chunked body") }
            return .response(status: status, body: decoded)
        }
        if let length {
            guard body.count >= length else { return .failed("truncated body (\(body.count) of \(length) bytes)") }
            return .response(status: status, body: Array(body.prefix(length)))
        }
        return .response(status: status, body: body)
    }

    static func index(of needle: [UInt8], in data: [UInt8], from start: Int) -> Int? {
        guard data.count >= needle.count, start <= data.count - needle.count else { return nil }
        outer: for i in start...(data.count - needle.count) {
            for j in 0..<needle.count where data[i + j] != needle[j] { continue outer }
            return i
        }
        return nil
    }

    /// The chunks' data, in one pass; nil when the framing is broken or ends early.
    static func dechunk(_ b: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = index(of: [13, 10], in: b, from: i) else { return nil }
            let sizeText = String(decoding: b[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimming(" \t"), radix: 16), size >= 0 else { return nil }
            i = lineEnd + 2
            if size == 0 { return out }
            guard i + size <= b.count else { return nil }
            out.append(contentsOf: b[i..<(i + size)])
            i += size + 2
        }
    }
}
