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
