import Glibc

/// Name resolution and outbound TCP connects by host name (getaddrinfo(3)).
/// Used off the hot path only: the outbound relay's tunnels to Factory,
/// WorkOS and configured proxies.
public enum Resolver {
    /// A resolution failure: getaddrinfo's own error code, not an errno.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let host: String
        public let code: Int32
        public var description: String { "getaddrinfo \(host): \(String(cString: gai_strerror(code)))" }
    }

    /// The host's addresses (numeric literals resolve to themselves), in getaddrinfo's order.
    public static func addresses(host: String, port: UInt16) throws(Failure) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        var r: Int32
        repeat { r = getaddrinfo(host, String(port), &hints, &list) } while r == EAI_SYSTEM && errno == EINTR
        guard r == 0 else { throw Failure(host: host, code: r) }
        defer { freeaddrinfo(list) }
        var out: [SocketAddress] = []
        var p = list
        while let a = p {
            if let addr = a.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(a.pointee.ai_addrlen)))
                }
                if let s = SocketAddress(storage: storage), !out.contains(s) { out.append(s) }
            }
            p = a.pointee.ai_next
        }
        return out
    }
}

extension Socket {
    public enum ConnectFailure: Error, Sendable, CustomStringConvertible {
        case resolve(Resolver.Failure)
        case connect(SystemError)
        public var description: String {
            switch self {
            case .resolve(let f): return f.description
            case .connect(let e): return e.description
            }
        }
    }

    /// A blocking TCP connection to `host:port`, trying each resolved address
    /// in turn. `timeoutSeconds` bounds each connect and the socket's later
    /// reads and writes (SO_SNDTIMEO also bounds connect(2) on Linux).
    public static func connectTCP(host: String, port: UInt16, timeoutSeconds: Double) throws(ConnectFailure) -> Socket {
        let addresses: [SocketAddress]
        do { addresses = try Resolver.addresses(host: host, port: port) } catch { throw .resolve(error) }
        var last = SystemError("connect", errno: EHOSTUNREACH, subject: "\(host):\(port)")
        for address in addresses {
            do throws(SystemError) {
                return try connectTCP(address, timeoutSeconds: timeoutSeconds)
            } catch {
                last = error
            }
        }
        throw .connect(last)
    }
}
