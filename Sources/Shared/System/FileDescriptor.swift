import CSystem
import Glibc

/// An owned-by-convention file descriptor number with the operations the
/// daemons need. It does not close itself: whoever opens it closes it.
public struct FileDescriptor: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let standardInput = FileDescriptor(rawValue: 0)
    public static let standardOutput = FileDescriptor(rawValue: 1)
    public static let standardError = FileDescriptor(rawValue: 2)

    public var description: String { "fd \(rawValue)" }

    /// close(2). EINTR is not retried: on Linux the descriptor is gone either way.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Reads at most `count` bytes into `buffer`; 0 means end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try syscall("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// isatty(3): a terminal (someone who can answer a question), not a pipe or a file.
    public var isTerminal: Bool { Glibc.isatty(rawValue) == 1 }

    /// Reads until end of file or `maxBytes` (blocking descriptors); a read error ends it early.
    public func readAll(maxBytes: Int) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < maxBytes {
            let n = (try? chunk.withUnsafeMutableBytes { (b) throws(SystemError) in try read(into: b) }) ?? 0
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<min(n, maxBytes - out.count)])
        }
        return out
    }

    /// pread(2): at most `count` bytes from `offset`, the file position unchanged; 0 at end of file.
    public func pread(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SystemError) -> Int {
        try syscall("pread") { Glibc.pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Non-blocking read: nil when nothing is available yet.
    public func readNonBlocking(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try nonBlockingSyscall("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes the whole buffer, looping over partial writes (blocking descriptors).
    public func writeAll(_ buffer: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < buffer.count {
            let n = try syscall("write") {
                Glibc.write(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
            }
            offset += n
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        try bytes.withBytes { (b) throws(SystemError) in try writeAll(b) }
    }

    public func setNonBlocking(_ on: Bool = true) throws(SystemError) {
        let flags = try syscall("fcntl(F_GETFL)") { fcntl(rawValue, F_GETFL) }
        let new = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        _ = try syscall("fcntl(F_SETFL)") { fcntl(rawValue, F_SETFL, new) }
    }

    public func setCloseOnExec(_ on: Bool = true) throws(SystemError) {
        let flags = try syscall("fcntl(F_GETFD)") { fcntl(rawValue, F_GETFD) }
        let new = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC
        _ = try syscall("fcntl(F_SETFD)") { fcntl(rawValue, F_SETFD, new) }
    }

    public func duplicate() throws(SystemError) -> FileDescriptor {
        FileDescriptor(rawValue: try syscall("fcntl(F_DUPFD_CLOEXEC)") { fcntl(rawValue, F_DUPFD_CLOEXEC, 3) })
    }

    /// True when the descriptor number is open in this process.
    public var isOpen: Bool { fcntl(rawValue, F_GETFD) != -1 }

    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SystemError) -> FileDescriptor {
        FileDescriptor(rawValue: try syscall("open", subject: path) { Glibc.open(path, flags | O_CLOEXEC, mode) })
    }

    /// A pipe whose both ends are close-on-exec.
    public static func pipe() throws(SystemError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try syscall("pipe2") { csys_pipe2_cloexec(&fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    public func sync() throws(SystemError) {
        _ = try syscall("fsync") { fsync(rawValue) }
    }
}
