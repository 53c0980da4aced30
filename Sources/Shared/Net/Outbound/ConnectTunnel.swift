/// A tunnel opened through an HTTP proxy with CONNECT (RFC 9110 §9.3.6).
public enum ConnectTunnel {
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The proxy could not be reached (named without its credentials).
        case unreachable(proxy: String, Socket.ConnectFailure)
        /// The proxy answered, but not with 2xx.
        case refused(proxy: String, status: Int, reason: String)
        /// The proxy closed, timed out or sent something that is not an HTTP answer.
        case badAnswer(proxy: String, String)

        public var description: String {
            switch self {
            case .unreachable(let p, let e): return "proxy \(p) unreachable: \(e)"
            case .refused(let p, let status, let reason):
                let hint = status == 407 ? " (check the user name and password in network.proxies)" : ""
                return "proxy \(p) refused the tunnel: \(status) \(reason)\(hint)"
            case .badAnswer(let p, let why): return "proxy \(p): \(why)"
            }
        }
    }

    static let maxAnswerHead = 16 << 10

    /// Connects to `proxy`, asks for a tunnel to `host:port` and returns the
    /// socket once the proxy says 2xx, with any bytes that arrived after the
    /// proxy's answer head (the tunnel's first bytes).
    public static func open(through proxy: ProxyURL, to host: String, port: UInt16,
                            timeoutSeconds: Double) throws(Failure) -> (Socket, leftover: [UInt8]) {
        let name = proxy.description
        let s: Socket
        do { s = try Socket.connectTCP(host: proxy.host, port: proxy.port, timeoutSeconds: timeoutSeconds) } catch {
            throw .unreachable(proxy: name, error)
        }
        do throws(Failure) {
            let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            var head = "CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n"
            if let auth = proxy.authorization { head += "Proxy-Authorization: \(auth)\r\n" }
            head += "\r\n"
            do throws(SystemError) {
                try Array(head.utf8).withBytes { (b) throws(SystemError) in try s.sendAll(b) }
            } catch {
                throw .badAnswer(proxy: name, "sending CONNECT: \(error)")
            }
            let (answer, leftover) = try readHead(s, proxy: name)
            guard let (status, reason) = statusLine(answer) else {
                throw .badAnswer(proxy: name, "not an HTTP answer to CONNECT")
            }
            guard (200...299).contains(status) else { throw .refused(proxy: name, status: status, reason: reason) }
            return (s, leftover)
        } catch {
            s.close()
            throw error
        }
    }

    private static func readHead(_ s: Socket, proxy: String) throws(Failure) -> ([UInt8], [UInt8]) {
        var got: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while got.count < maxAnswerHead {
            let n: Int
            do throws(SystemError) {
                n = try chunk.withMutableBytes { (b) throws(SystemError) in try s.fd.read(into: b) }
            } catch {
                throw .badAnswer(proxy: proxy, "no answer to CONNECT: \(error)")
            }
            if n == 0 { throw .badAnswer(proxy: proxy, "closed the connection instead of answering CONNECT") }
            got.append(contentsOf: chunk[0..<n])
            if let end = headEnd(got) { return (Array(got[..<end]), Array(got[end...])) }
        }
        throw .badAnswer(proxy: proxy, "answer head longer than \(maxAnswerHead) bytes")
    }

    static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
        return nil
    }

    /// "HTTP/1.x NNN reason" → (NNN, reason).
    static func statusLine(_ head: [UInt8]) -> (Int, String)? {
        let line = head.prefix { $0 != 13 && $0 != 10 }
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]) else { return nil }
        let reason = parts.count == 3 ? Log.escapingControls(String(parts[2].prefix(100))) : ""
        return (status, reason)
    }
}
