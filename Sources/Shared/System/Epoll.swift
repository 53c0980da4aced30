import CSystem
import Glibc

/// epoll(7), for edged's event loops.
public struct Epoll: Sendable {
    public let fd: FileDescriptor

    // epoll_ctl(2) operations (<sys/epoll.h>, which Glibc's module map leaves out).
    static let ctlAdd: Int32 = 1
    static let ctlDelete: Int32 = 2
    static let ctlModify: Int32 = 3

    public static let readable: UInt32 = 0x001
    public static let writable: UInt32 = 0x004
    public static let error: UInt32 = 0x008
    public static let hangUp: UInt32 = 0x010
    public static let peerClosedWriting: UInt32 = 0x2000   // EPOLLRDHUP
    public static var exclusive: UInt32 { csys_epollexclusive() }

    public static func create() throws(SystemError) -> Epoll {
        Epoll(fd: FileDescriptor(rawValue: try syscall("epoll_create1") { csys_epoll_create() }))
    }

    public func add(_ target: FileDescriptor, events: UInt32, data: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl(ADD)") { csys_epoll_ctl(fd.rawValue, Epoll.ctlAdd, target.rawValue, events, data) }
    }

    public func modify(_ target: FileDescriptor, events: UInt32, data: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl(MOD)") { csys_epoll_ctl(fd.rawValue, Epoll.ctlModify, target.rawValue, events, data) }
    }

    public func remove(_ target: FileDescriptor) {
        _ = csys_epoll_ctl(fd.rawValue, Epoll.ctlDelete, target.rawValue, 0, 0)
    }

    /// Waits for events; fills `datas`/`masks` (same capacity) and returns how many.
    public func wait(datas: UnsafeMutablePointer<UInt64>, masks: UnsafeMutablePointer<UInt32>, capacity: Int, timeoutMs: Int32) throws(SystemError) -> Int {
        while true {
            let n = csys_epoll_wait(fd.rawValue, datas, masks, Int32(capacity), timeoutMs)
            if n >= 0 { return Int(n) }
            if errno == EINTR { return 0 }
            throw SystemError("epoll_wait", errno: errno)
        }
    }
}

/// An eventfd used to wake a loop from another thread.
public struct EventFD: Sendable {
    public let fd: FileDescriptor

    public static func create() throws(SystemError) -> EventFD {
        EventFD(fd: FileDescriptor(rawValue: try syscall("eventfd") { csys_eventfd() }))
    }

    public func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd.rawValue, &one, 8)
    }

    public func drain() {
        var v: UInt64 = 0
        _ = Glibc.read(fd.rawValue, &v, 8)
    }
}

extension Socket {
    /// Starts a non-blocking TCP connect. `inProgress` means wait for
    /// writability, then check `pendingError()`.
    public static func connectTCPNonBlocking(_ address: SocketAddress) throws(SystemError) -> (socket: Socket, inProgress: Bool) {
        let fd = try syscall("socket", subject: address.description) {
            Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        }
        let s = Socket(fd: FileDescriptor(rawValue: fd))
        try? s.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        while true {
            let r = address.withSockaddr { Glibc.connect(fd, $0, $1) }
            if r == 0 { return (s, false) }
            let e = errno
            if e == EINTR { continue }
            if e == EINPROGRESS { return (s, true) }
            s.close()
            throw SystemError("connect", errno: e, subject: address.description)
        }
    }

    /// SO_ERROR: the outcome of a non-blocking connect (0 = connected).
    public func pendingError() -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &err, &len) == 0 else { return errno }
        return err
    }
}

extension FileDescriptor {
    /// Non-blocking writev of two buffers (a request head and its body);
    /// nil when the socket buffer is full.
    public func writevNonBlocking(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        // A tuple, not an array: no array object set up and torn down per call.
        var iov = (iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count))
        let count: Int32 = b.count == 0 ? 1 : 2
        return try nonBlockingSyscall("writev") {
            withUnsafeMutablePointer(to: &iov) { $0.withMemoryRebound(to: iovec.self, capacity: 2) { Glibc.writev(rawValue, $0, count) } }
        }
    }

    /// Non-blocking send with MSG_NOSIGNAL (a gone peer is EPIPE, not SIGPIPE).
    public func sendNonBlocking(_ buffer: UnsafeRawBufferPointer) throws(SystemError) -> Int? {
        try nonBlockingSyscall("send") { Glibc.send(rawValue, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }
}

/// A timerfd (CLOCK_MONOTONIC, non-blocking): one deadline an epoll loop can
/// wait on with the precision of the clock, not of the loop's tick.
public struct TimerFD: Sendable {
    public let fd: FileDescriptor

    public static func create() throws(SystemError) -> TimerFD {
        TimerFD(fd: FileDescriptor(rawValue: try syscall("timerfd_create") { csys_timerfd() }))
    }

    /// Fires once after `nanoseconds` (at least 1 ns: 0 would disarm).
    public func arm(afterNanoseconds nanoseconds: UInt64) {
        _ = csys_timerfd_arm(fd.rawValue, max(1, nanoseconds))
    }

    public func disarm() { _ = csys_timerfd_arm(fd.rawValue, 0) }

    /// Reads the expiry count (so the descriptor stops being readable).
    public func drain() {
        var v: UInt64 = 0
        _ = Glibc.read(fd.rawValue, &v, 8)
    }
}
