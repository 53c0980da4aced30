import Glibc
import Shared

/// Waits that notice a vanished client, so a stream paced by
/// `x-fake-event-delay-ms` ends (and frees its connection) as soon as the
/// client hangs up rather than at the next write.
public enum PeerWatch {
    /// Sleeps `milliseconds`; returns false early if the peer closed its end.
    public static func pause(_ socket: Socket, milliseconds: Int) -> Bool {
        guard milliseconds > 0 else { return !peerClosed(socket) }
        let deadline = Monotonic.nanoseconds() + UInt64(milliseconds) * 1_000_000
        while true {
            let now = Monotonic.nanoseconds()
            if now >= deadline { return true }
            let left = Int32(min((deadline - now) / 1_000_000 + 1, 60_000))
            guard let readable = try? Poll.readable(socket.fd, timeoutMs: left) else { return false }
            if readable {
                if peerClosed(socket) { return false }
                // Bytes of a pipelined request are waiting: poll would keep
                // returning at once, so sleep out the rest instead.
                let rest = deadline > Monotonic.nanoseconds() ? deadline - Monotonic.nanoseconds() : 0
                sleepSeconds(Double(rest) / 1e9)
                return true
            }
        }
    }

    /// True when a non-blocking peek sees end of stream or a socket error.
    /// (No Shared wrapper peeks; this is the one direct recv in the fakes.)
    public static func peerClosed(_ socket: Socket) -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(socket.fd.rawValue, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
            if n > 0 { return false }
            if n == 0 { return true }
            let e = errno
            if e == EINTR { continue }
            return !(e == EAGAIN || e == EWOULDBLOCK)
        }
    }
}

/// `--hang-after-ms`: once the deadline passes, every request (and every
/// stream between events) stops here forever, with its socket left open.
public struct HangSwitch: Sendable {
    public let deadline: UInt64?

    public init(afterMilliseconds: Int?, start: UInt64 = Monotonic.nanoseconds()) {
        deadline = afterMilliseconds.map { start + UInt64(max($0, 0)) * 1_000_000 }
    }

    public var isHanging: Bool {
        guard let deadline else { return false }
        return Monotonic.nanoseconds() >= deadline
    }

    public func checkpoint() {
        guard isHanging else { return }
        while true { sleepSeconds(3600) }
    }
}
