import Glibc

/// Runs a system call, retrying while it fails with EINTR, and turns -1 into
/// a `SystemError` carrying the call's name and errno.
@inline(__always)
public func syscall<T: FixedWidthInteger>(
    _ name: String, subject: String? = nil, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = Glibc.errno
        if e == EINTR { continue }
        throw SystemError(name, errno: e, subject: subject)
    }
}

/// Like `syscall`, but EAGAIN/EWOULDBLOCK yields nil instead of an error
/// (for non-blocking descriptors).
@inline(__always)
public func nonBlockingSyscall<T: FixedWidthInteger>(
    _ name: String, _ body: () -> T
) throws(SystemError) -> T? {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = Glibc.errno
        if e == EINTR { continue }
        if e == EAGAIN || e == EWOULDBLOCK { return nil }
        throw SystemError(name, errno: e)
    }
}

/// For calls that return an error number instead of setting errno
/// (posix_spawn and friends).
@inline(__always)
public func checkReturn(_ name: String, _ r: Int32, subject: String? = nil) throws(SystemError) {
    if r != 0 { throw SystemError(name, errno: r, subject: subject) }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps a typed error (the standard one is `rethrows`,
    /// which erases it to `any Error`).
    @inline(__always)
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let r: Result<R, E> = withUnsafeBytes { b in Result { () throws(E) in try body(b) } }
        return try r.get()
    }

    @inline(__always)
    public mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let r: Result<R, E> = withUnsafeMutableBytes { b in Result { () throws(E) in try body(b) } }
        return try r.get()
    }
}
