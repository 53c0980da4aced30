import Glibc

/// A failed system call: which call, on what, and the errno it left.
/// Every wrapper in this folder throws this and nothing else.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let call: String
    public let errno: Int32
    /// Optional subject (a path, an address) to make the message actionable.
    public let subject: String?

    public init(_ call: String, errno: Int32, subject: String? = nil) {
        self.call = call
        self.errno = errno
        self.subject = subject
    }

    public var errnoName: String { String(cString: strerror(errno)) }

    public var description: String {
        let on = subject.map { " \($0)" } ?? ""
        return "\(call)\(on): \(errnoName) (errno \(errno))"
    }
}
