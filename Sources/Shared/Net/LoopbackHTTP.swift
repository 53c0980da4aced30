/// A tiny blocking HTTP/1.1 client for loopback control calls (health checks,
/// the backend's model list). Not for the request path: edged's loops never block.
public enum LoopbackHTTP {
    public enum Outcome: Sendable {
        case response(status: Int, body: [UInt8])
        case refused
        case failed(String)
        /// Connected, but `beforeSending` refused the listener: nothing was sent.
        case withheld
    }

    /// GET `path` on 127.0.0.1:`port`; reads the whole response (Connection: close).
    /// `beforeSending`: asked once the connection is established, before the
    /// first byte; false closes it unused (the listener is not the one we meant).
    public static func get(port: Int, path: String, headers: [(String, String)] = [], timeout: Double = 2, maxBytes: Int = 8 << 20,
                           beforeSending: (() -> Bool)? = nil) -> Outcome {
        let address = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(port))
        let s: Socket
        do { s = try Socket.connectTCP(address) } catch {
            return error.errno == 111 ? .refused : .failed("connect: \(error.errnoName)")
        }
        defer { s.close() }
        if let beforeSending, !beforeSending() { return .withheld }
        do {
            try s.setTimeouts(seconds: timeout)
            var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
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
            if !error.errnoName.isEmpty, error.errno == 11 { return .failed("no answer within \(Int(timeout)) s") }
            return .failed("\(error)")
        }
    }

    static func parse(_ data: [UInt8], timeout: Double) -> Outcome {
        guard let headEnd = find(data, [13, 10, 13, 10]) else {
            return .failed(data.isEmpty ? "no answer within \(Int(timeout)) s" : "not an HTTP answer")
        }
        let head = String(decoding: data[0..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { return .failed("not an HTTP answer") }
        var body = Array(data[(headEnd + 4)...])
        let chunked = lines.contains { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }
        if chunked { body = dechunk(body) }
        return .response(status: status, body: body)
    }

    static func find(_ data: [UInt8], _ needle: [UInt8]) -> Int? {
        guard data.count >= needle.count else { return nil }
        for i in 0...(data.count - needle.count) where data[i] == needle[0] && Array(data[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    static func dechunk(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < b.count, let lineEnd = find(Array(b[i...]), [13, 10]) {
            let size = Int(String(decoding: b[i..<(i + lineEnd)], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) ?? 0
            i += lineEnd + 2
            if size == 0 || i + size > b.count { break }
            out.append(contentsOf: b[i..<(i + size)])
            i += size + 2
        }
        return out
    }
}
