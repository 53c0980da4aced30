import CSystem
import Glibc

/// The credentials of the process at the other end of a Unix socket (SO_PEERCRED).
public struct PeerCredentials: Sendable, Equatable {
    public let pid: pid_t
    public let uid: uid_t
    public let gid: gid_t
}

/// Socket calls on a descriptor. Stream sockets only: that is all droidgate uses,
/// apart from the sd_notify datagram in `Notify`.
public struct Socket: Sendable, Hashable {
    public let fd: FileDescriptor
    public init(fd: FileDescriptor) { self.fd = fd }

    public func close() { fd.close() }

    // MARK: Unix sockets

    /// Binds and listens on a Unix socket path, replacing a stale socket file,
    /// and sets the file's mode (the socket's first line of access control).
    public static func listenUnix(path: String, mode: mode_t = 0o660, backlog: Int32 = 512) throws(SystemError) -> Socket {
        let s = try makeSocket(AF_UNIX, subject: path)
        do throws(SystemError) {
            var addr = try UnixAddress(path: path)
            // A previous run may have left its socket file behind; a live
            // listener there would answer connect(), so only unlink a dead one.
            if Glibc.access(path, F_OK) == 0 {
                if let probe = try? connectUnix(path: path) {
                    probe.close()
                    throw SystemError("bind", errno: EADDRINUSE, subject: path)
                }
                _ = Glibc.unlink(path)
            }
            _ = try syscall("bind", subject: path) { addr.withSockaddr { Glibc.bind(s.fd.rawValue, $0, $1) } }
            _ = try syscall("chmod", subject: path) { Glibc.chmod(path, mode) }
            _ = try syscall("listen", subject: path) { Glibc.listen(s.fd.rawValue, backlog) }
            return s
        } catch {
            s.close()
            throw error
        }
    }

    /// A blocking connection to a Unix socket path.
    public static func connectUnix(path: String) throws(SystemError) -> Socket {
        let s = try makeSocket(AF_UNIX, subject: path)
        do throws(SystemError) {
            var addr = try UnixAddress(path: path)
            _ = try syscall("connect", subject: path) { addr.withSockaddr { Glibc.connect(s.fd.rawValue, $0, $1) } }
            return s
        } catch {
            s.close()
            throw error
        }
    }

    /// A connected pair of Unix stream sockets (tests, and parent/child links).
    public static func pair() throws(SystemError) -> (Socket, Socket) {
        var fds: [Int32] = [-1, -1]
        _ = try syscall("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (Socket(fd: FileDescriptor(rawValue: fds[0])), Socket(fd: FileDescriptor(rawValue: fds[1])))
    }

    public func peerCredentials() throws(SystemError) -> PeerCredentials {
        var pid: pid_t = 0, uid: uid_t = 0, gid: gid_t = 0
        _ = try syscall("getsockopt(SO_PEERCRED)") { csys_peercred(fd.rawValue, &pid, &uid, &gid) }
        return PeerCredentials(pid: pid, uid: uid, gid: gid)
    }

    /// Whether the peer is on this host: a Unix socket, 127.0.0.0/8, ::1, or
    /// an IPv4-mapped 127.x address (getpeername(2); false if it fails).
    public func peerIsLoopback() -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd.rawValue, $0, &length) }
        }
        guard r == 0 else { return false }
        if Int32(storage.ss_family) == AF_UNIX { return true }
        return SocketAddress(storage: storage)?.isLoopback ?? false
    }

    // MARK: TCP

    /// Binds and listens on a TCP address (IPv4 or IPv6 literal), SO_REUSEADDR on.
    public static func listenTCP(_ address: SocketAddress, backlog: Int32 = 4096) throws(SystemError) -> Socket {
        let s = try makeSocket(address.family, subject: address.description)
        do throws(SystemError) {
            try s.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            if address.family == AF_INET6 { try s.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            _ = try syscall("bind", subject: address.description) { address.withSockaddr { Glibc.bind(s.fd.rawValue, $0, $1) } }
            _ = try syscall("listen", subject: address.description) { Glibc.listen(s.fd.rawValue, backlog) }
            return s
        } catch {
            s.close()
            throw error
        }
    }

    /// A blocking TCP connection; with `timeoutSeconds`, SO_RCVTIMEO/SO_SNDTIMEO
    /// are set first, so the connect and later reads and writes are bounded.
    public static func connectTCP(_ address: SocketAddress, timeoutSeconds: Double? = nil) throws(SystemError) -> Socket {
        let s = try makeSocket(address.family, subject: address.description)
        do throws(SystemError) {
            if let timeoutSeconds { try s.setTimeouts(seconds: timeoutSeconds) }
            _ = try syscall("connect", subject: address.description) { address.withSockaddr { Glibc.connect(s.fd.rawValue, $0, $1) } }
            try? s.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return s
        } catch {
            s.close()
            throw error
        }
    }

    /// The address a socket is bound to (IPv4/IPv6 only; nil for others).
    public func localAddress() -> SocketAddress? { address(getsockname) }

    /// The peer's address (getpeername(2)); nil for a Unix socket or on failure.
    public func remoteAddress() -> SocketAddress? { address(getpeername) }

    private func address(_ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd.rawValue, $0, &len) }
        }
        guard r == 0 else { return nil }
        return SocketAddress(storage: storage)
    }

    /// The socket's type (SOCK_STREAM …) and whether it is listening.
    public func isListeningStream() -> Bool {
        var type: Int32 = 0, listening: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_TYPE, &type, &len) == 0 else { return false }
        len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 else { return false }
        return type == Int32(SOCK_STREAM.rawValue) && listening == 1
    }

    public func domain() -> Int32? {
        var domain: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 else { return nil }
        return domain
    }

    // MARK: Common

    /// accept4 with close-on-exec; `nonBlocking` also sets O_NONBLOCK.
    /// Returns nil on EAGAIN (non-blocking listener with nothing pending).
    public func accept(nonBlocking: Bool = false) throws(SystemError) -> Socket? {
        let flags = nonBlocking ? csys_accept_flags_nonblock_cloexec() : Int32(SOCK_CLOEXEC.rawValue)
        while true {
            let r = csys_accept4(fd.rawValue, flags)
            if r >= 0 { return Socket(fd: FileDescriptor(rawValue: r)) }
            let e = Glibc.errno
            switch e {
            case EINTR, ECONNABORTED: continue
            case EAGAIN: return nil
            default: throw SystemError("accept4", errno: e)
            }
        }
    }

    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var v = value
        _ = try syscall("setsockopt") {
            setsockopt(fd.rawValue, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Sets SO_RCVTIMEO / SO_SNDTIMEO (blocking sockets used by IPC and tools).
    public func setTimeouts(seconds: Double) throws(SystemError) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        for opt in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = try syscall("setsockopt(timeout)") {
                setsockopt(fd.rawValue, SOL_SOCKET, opt, &tv, socklen_t(MemoryLayout<timeval>.size))
            }
        }
    }

    public func shutdown(writing: Bool = true, reading: Bool = false) {
        let how: Int32 = writing && reading ? Int32(SHUT_RDWR) : (writing ? Int32(SHUT_WR) : Int32(SHUT_RD))
        _ = Glibc.shutdown(fd.rawValue, how)
    }

    /// send(2) of the whole buffer with MSG_NOSIGNAL (a vanished peer is an
    /// error, not a SIGPIPE), optionally passing descriptors with the first byte.
    public func sendAll(_ bytes: UnsafeRawBufferPointer, passing fds: [FileDescriptor] = []) throws(SystemError) {
        var offset = 0
        if !fds.isEmpty {
            let raw = fds.map(\.rawValue)
            let n = try syscall("sendmsg(SCM_RIGHTS)") {
                raw.withUnsafeBufferPointer { csys_send_with_fds(fd.rawValue, bytes.baseAddress, bytes.count, $0.baseAddress, Int32($0.count)) }
            }
            offset = n
        }
        while offset < bytes.count {
            let n = try syscall("send") { Glibc.send(fd.rawValue, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            offset += n
        }
    }

    /// recvmsg(2) that also collects passed descriptors. 0 bytes means the peer closed.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, fds: inout [FileDescriptor]) throws(SystemError) -> Int {
        var got = [Int32](repeating: -1, count: 16)
        var count: Int32 = 0, truncated: Int32 = 0
        let n = try syscall("recvmsg") {
            got.withUnsafeMutableBufferPointer {
                csys_recv_with_fds(fd.rawValue, buffer.baseAddress, buffer.count, $0.baseAddress, 16, &count, &truncated)
            }
        }
        for i in 0..<Int(count) { fds.append(FileDescriptor(rawValue: got[i])) }
        return n
    }

    /// socket(2) with the caller's three arguments (libcurl's, for its
    /// connections), close-on-exec added.
    public static func open(family: Int32, type: Int32, protocol proto: Int32) throws(SystemError) -> Socket {
        let fd = try syscall("socket") { Glibc.socket(family, type | Int32(SOCK_CLOEXEC.rawValue), proto) }
        return Socket(fd: FileDescriptor(rawValue: fd))
    }

    private static func makeSocket(_ family: Int32, subject: String) throws(SystemError) -> Socket {
        let fd = try syscall("socket", subject: subject) {
            Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        return Socket(fd: FileDescriptor(rawValue: fd))
    }
}

/// A Unix socket path in a sockaddr_un, length-checked.
public struct UnixAddress {
    private var storage = sockaddr_un()
    private let length: socklen_t

    public init(path: String) throws(SystemError) {
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw SystemError("bind", errno: ENAMETOOLONG, subject: path)
        }
        storage.sun_family = sa_family_t(AF_UNIX)
        // "@name" is Linux's abstract namespace: a leading NUL and no terminator.
        let abstract = bytes[0] == UInt8(ascii: "@")
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
            if abstract { raw[0] = 0 }
        }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    mutating func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        let len = length
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, len) } }
    }
}

extension Socket {
    /// The peer's supplementary groups (SO_PEERGROUPS), for group-based access.
    public func peerGroups() -> [gid_t] {
        var groups = [gid_t](repeating: 0, count: 256)
        let n = groups.withUnsafeMutableBufferPointer { csys_peergroups(fd.rawValue, $0.baseAddress, 256) }
        return n > 0 ? Array(groups[0..<Int(n)]) : []
    }

    /// Sends one datagram to a Unix socket path ("@name" for the abstract namespace).
    public static func sendDatagram(to path: String, _ bytes: [UInt8]) throws(SystemError) {
        _ = try syscall("sendto", subject: path) {
            bytes.withUnsafeBytes { csys_send_datagram(path, $0.baseAddress, $0.count) }
        }
    }
}

extension Socket {
    /// A bound Unix datagram socket (a NOTIFY_SOCKET for children, or tests).
    public static func bindDatagram(path: String) throws(SystemError) -> Socket {
        let fd = try syscall("socket", subject: path) {
            Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let s = Socket(fd: FileDescriptor(rawValue: fd))
        do throws(SystemError) {
            var addr = try UnixAddress(path: path)
            if !path.hasPrefix("@") { _ = Glibc.unlink(path) }
            _ = try syscall("bind", subject: path) { addr.withSockaddr { Glibc.bind(fd, $0, $1) } }
            return s
        } catch {
            s.close()
            throw error
        }
    }

    /// One datagram, or nil if none arrives within `timeoutMs`.
    public func receiveDatagram(timeoutMs: Int32) throws(SystemError) -> [UInt8]? {
        guard try Poll.readable(fd, timeoutMs: timeoutMs) else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = try buf.withMutableBytes { (b) throws(SystemError) in
            try syscall("recv") { Glibc.recv(fd.rawValue, b.baseAddress, b.count, 0) }
        }
        return Array(buf[0..<n])
    }
}

extension Socket {
    /// A datagram socket for sd_notify messages, told to report each sender's pid.
    public static func bindNotifySocket(path: String) throws(SystemError) -> Socket {
        let s = try bindDatagram(path: path)
        _ = try syscall("setsockopt(SO_PASSCRED)") { csys_enable_passcred(s.fd.rawValue) }
        return s
    }

    /// One datagram and the sender's pid (0 if unknown); nil on timeout.
    public func receiveWithSender(timeoutMs: Int32) throws(SystemError) -> (bytes: [UInt8], pid: pid_t)? {
        guard try Poll.readable(fd, timeoutMs: timeoutMs) else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        var pid: pid_t = 0
        let n = try buf.withMutableBytes { (b) throws(SystemError) in
            try syscall("recvmsg") { csys_recv_with_pid(fd.rawValue, b.baseAddress, b.count, &pid) }
        }
        return (Array(buf[0..<n]), pid)
    }
}


extension Socket {
    public enum PeekResult { case data, closed, nothing }

    /// Whether bytes (or an orderly close) are waiting, without consuming them.
    public func peek() -> PeekResult {
        var byte: UInt8 = 0
        let n = Glibc.recv(fd.rawValue, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if n > 0 { return .data }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EINTR ? .nothing : .closed
    }
}
