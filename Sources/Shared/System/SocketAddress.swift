import Glibc

/// An IPv4 or IPv6 address and port, parsed from "host:port" / "[v6]:port".
/// Only numeric hosts (and "localhost") are accepted: a listener address that
/// needs DNS is a configuration mistake.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Host: Sendable, Hashable {
        case v4(UInt32)          // network byte order
        case v6([UInt8])         // 16 bytes
    }
    public let host: Host
    public let port: UInt16

    public var family: Int32 { if case .v4 = host { return AF_INET } else { return AF_INET6 } }

    /// The address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
    public var hostBytes: [UInt8] {
        switch host {
        case .v4(let a): return withUnsafeBytes(of: a) { Array($0) }
        case .v6(let b): return b
        }
    }

    /// Parses "127.0.0.1:8317", "[::1]:8317", "localhost:8317".
    public init?(parsing text: String) {
        var hostPart: Substring, portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { return nil }   // bare IPv6 needs brackets
        }
        guard let port = UInt16(portPart), !portPart.isEmpty else { return nil }
        if hostPart == "localhost" { hostPart = "127.0.0.1" }
        guard let h = SocketAddress.parseHost(String(hostPart)) else { return nil }
        self.host = h
        self.port = port
    }

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    static func parseHost(_ s: String) -> Host? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return .v4(v4.s_addr) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            return .v6(withUnsafeBytes(of: &v6) { Array($0) })
        }
        return nil
    }

    init?(storage: sockaddr_storage) {
        var s = storage
        switch Int32(s.ss_family) {
        case AF_INET:
            let sin = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee } }
            host = .v4(sin.sin_addr.s_addr)
            port = UInt16(bigEndian: sin.sin_port)
        case AF_INET6:
            let sin6 = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee } }
            var a = sin6.sin6_addr
            host = .v6(withUnsafeBytes(of: &a) { Array($0) })
            port = UInt16(bigEndian: sin6.sin6_port)
        default:
            return nil
        }
    }

    /// True for 127.0.0.0/8 and ::1 (and v4-mapped loopback).
    public var isLoopback: Bool {
        switch host {
        case .v4(let a): return UInt32(bigEndian: a) >> 24 == 127
        case .v6(let b):
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return true }
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return b[12] == 127 }
            return false
        }
    }

    public var hostString: String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch host {
        case .v4(let a):
            var addr = in_addr(s_addr: a)
            inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
        case .v6(let b):
            var addr = in6_addr()
            withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: b) }
            inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
        }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The host as a `Host` header names it: IPv6 in brackets.
    public var hostForHeader: String {
        if case .v6 = host { return "[\(hostString)]" }
        return hostString
    }

    public var description: String {
        if case .v6 = host { return "[\(hostString)]:\(port)" }
        return "\(hostString):\(port)"
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch host {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = in_addr(s_addr: a)
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let b):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: b) }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}
