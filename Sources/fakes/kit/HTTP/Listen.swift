import Shared

public enum Listen {
    /// A listening TCP socket on `host:port` (numeric host, or "localhost").
    public static func tcp(host: String, port: Int) throws(SystemError) -> Socket {
        let h = host == "localhost" ? "127.0.0.1" : host
        let text = h.contains(":") && !h.hasPrefix("[") ? "[\(h)]:\(port)" : "\(h):\(port)"
        guard let address = SocketAddress(parsing: text) else {
            throw SystemError("listen", errno: 22, subject: text)   // EINVAL: not a numeric address
        }
        return try Socket.listenTCP(address)
    }
}
