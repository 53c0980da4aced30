import Glibc

public enum Poll {
    /// Waits until `fd` is readable (or hung up). Returns false on timeout.
    /// `timeoutMs` < 0 waits forever.
    public static func readable(_ fd: FileDescriptor, timeoutMs: Int32) throws(SystemError) -> Bool {
        try wait(fd, events: Int16(POLLIN), timeoutMs: timeoutMs)
    }

    public static func writable(_ fd: FileDescriptor, timeoutMs: Int32) throws(SystemError) -> Bool {
        try wait(fd, events: Int16(POLLOUT), timeoutMs: timeoutMs)
    }

    private static func wait(_ fd: FileDescriptor, events: Int16, timeoutMs: Int32) throws(SystemError) -> Bool {
        var p = pollfd(fd: fd.rawValue, events: events, revents: 0)
        let n = try syscall("poll") { Glibc.poll(&p, 1, timeoutMs) }
        return n > 0
    }
}

extension Poll {
    /// Waits until any of `fds` is readable; returns the readable ones (empty on timeout).
    public static func anyReadable(_ fds: [FileDescriptor], timeoutMs: Int32) throws(SystemError) -> [FileDescriptor] {
        var set = fds.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        let n = try syscall("poll") { Glibc.poll(&set, nfds_t(set.count), timeoutMs) }
        guard n > 0 else { return [] }
        return set.filter { $0.revents != 0 }.map { FileDescriptor(rawValue: $0.fd) }
    }
}
