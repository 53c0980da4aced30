import Shared

/// "Ready" means the backend answers HTTP: `GET /healthz` → 200, or (older
/// builds without /healthz) `GET /v1/models` with the key → 200. Its own
/// "started successfully" line is not trusted: it prints that even when the
/// bind failed.
enum HealthProbe {
    enum Result: Equatable {
        case healthy
        case refused          // nothing listening
        case failing(String)  // listening but not answering well
    }

    static func check(port: Int, apiKey: String, timeout: Double = 2) -> Result {
        switch get("/healthz", port: port, headers: "", timeout: timeout) {
        case .status(200): return .healthy
        case .status(404):
            if case .status(200) = get("/v1/models", port: port, headers: "Authorization: Bearer \(apiKey)\r\n", timeout: timeout) {
                return .healthy
            }
            return .failing("GET /healthz answered 404 and GET /v1/models did not answer 200")
        case .status(let s): return .failing("GET /healthz answered \(s)")
        case .refused: return .refused
        case .error(let why): return .failing(why)
        }
    }

    private enum Outcome { case status(Int), refused, error(String) }

    private static func get(_ path: String, port: Int, headers: String, timeout: Double) -> Outcome {
        let address = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(port))
        let s: Socket
        do { s = try Socket.connectTCP(address) } catch {
            return error.errno == 111 ? .refused : .error("connect: \(error.errnoName)")
        }
        defer { s.close() }
        do {
            try s.setTimeouts(seconds: timeout)
            let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(headers)Connection: close\r\n\r\n"
            try Array(request.utf8).withBytes { (b) throws(SystemError) in try s.sendAll(b) }
            var buf = [UInt8](repeating: 0, count: 512)
            var got = 0
            while got < 12 {
                let n = try buf.withMutableBytes { (b) throws(SystemError) in
                    try s.fd.read(into: UnsafeMutableRawBufferPointer(rebasing: b[got...]))
                }
                if n == 0 { break }
                got += n
            }
            let line = String(decoding: buf[0..<got], as: UTF8.self)
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
                return .error(got == 0 ? "no answer within \(Int(timeout)) s" : "not an HTTP answer")
            }
            return .status(code)
        } catch {
            return .error(error.errno == 11 ? "no answer within \(Int(timeout)) s" : "\(error)")
        }
    }
}
