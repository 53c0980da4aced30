import Shared

/// A minimal blocking HTTP/1.1 client for one fake asking another (plain
/// http, numeric hosts or localhost; `Connection: close`, body read to the end).
public enum HTTPClient {
    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// `base` is like "http://127.0.0.1:8080" (a path on it is kept as a prefix).
    public static func get(_ base: String, path: String, timeoutSeconds: Double = 2) throws(Failure) -> Response {
        guard base.hasPrefix("http://") else { throw Failure(description: "only http:// URLs are supported: \(base)") }
        var rest = Substring(base.dropFirst("http://".count))
        var prefix = ""
        if let slash = rest.firstIndex(of: "/") {
            prefix = String(rest[slash...])
            rest = rest[..<slash]
        }
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var hostPort = String(rest)
        if !hostPort.contains(":") || (hostPort.hasPrefix("[") && !hostPort.contains("]:")) { hostPort += ":80" }
        let hostHeader = hostPort
        if hostPort.hasPrefix("localhost:") { hostPort = "127.0.0.1" + hostPort.dropFirst("localhost".count) }
        guard let address = SocketAddress(parsing: hostPort) else {
            throw Failure(description: "not a numeric host:port: \(hostPort)")
        }
        let socket: Socket
        do {
            socket = try Socket.connectTCP(address)
        } catch {
            throw Failure(description: "connect \(hostPort): \(error)")
        }
        defer { socket.close() }
        try? socket.setTimeouts(seconds: timeoutSeconds)
        let head = "GET \(prefix)\(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\nAccept: application/json\r\n\r\n"
        do {
            try Array(head.utf8).withBytes { (b) throws(SystemError) in try socket.sendAll(b) }
        } catch {
            throw Failure(description: "send: \(error)")
        }
        var data: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 16 << 10)
        while data.count < 16 << 20 {
            let n: Int
            do {
                n = try scratch.withMutableBytes { (b) throws(SystemError) in try socket.fd.read(into: b) }
            } catch {
                throw Failure(description: "read: \(error)")
            }
            if n == 0 { break }
            data.append(contentsOf: scratch[0..<n])
        }
        return try parse(data)
    }

    private static func parse(_ data: [UInt8]) throws(Failure) -> Response {
        var headEnd: Int?
        var i = 0
        while i + 3 < data.count {
            if data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 { headEnd = i; break }
            i += 1
        }
        guard let headEnd else { throw Failure(description: "truncated response head") }
        let head = String(decoding: data[0..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "malformed status line")
        }
        var chunked = false
        var length: Int?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimming(" \t")
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
            if name == "content-length" { length = Int(value) }
        }
        var body = Array(data[(headEnd + 4)...])
        if chunked {
            body = try dechunk(body)
        } else if let length {
            guard body.count >= length else { throw Failure(description: "truncated response body") }
            body = Array(body.prefix(length))
        }
        return Response(status: status, body: body)
    }

    private static func dechunk(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while true {
            var size = 0
            var sawDigit = false
            while i < bytes.count, let v = hexValue(bytes[i]) {
                size = size << 4 | Int(v)
                sawDigit = true
                i += 1
            }
            while i + 1 < bytes.count, !(bytes[i] == 13 && bytes[i + 1] == 10) { i += 1 }   // chunk extensions
            guard sawDigit, i + 1 < bytes.count else { throw Failure(description: "malformed chunked body") }
            i += 2
            if size == 0 { return out }
            guard i + size <= bytes.count else { throw Failure(description: "truncated chunk") }
            out.append(contentsOf: bytes[i..<i + size])
            i += size + 2
        }
    }
}
