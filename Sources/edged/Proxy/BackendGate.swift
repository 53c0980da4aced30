import Glibc
import IPC
import Shared
import Synchronization

/// Whether edged may connect to 127.0.0.1:backend.port and write to it.
///
/// Any local user may bind that port while the backend is not listening, and
/// whoever listens there would get the operator's prompts and the backend's
/// key and could forge answers. So edged sends a byte there only while
/// supervisord's latest report names a verified listener — the backend
/// child's own socket (`listener: {pid, port}`, see supervisord's
/// ListenerOwnership) on this port — and that process is still alive.
///
/// A request passes the gate twice:
/// 1. `admit()` before anything (a pooled connection or a new connect): the
///    report's ticket, one atomic load; closed → the request is held
///    (BackendHold) and nothing is connected.
/// 2. for a new connection, `confirm()` just before the connect and again once
///    it is established, before its first byte: the same report is still
///    the latest and the backend's pidfd has not fired. A pooled connection
///    was confirmed when it was opened and its peer cannot change; one
///    opened for another pid is not reused.
///
/// What remains (the window the checks cannot close):
/// - supervisord tells edged to stop sending before anything it does lets go
///   of the port (restart, unhealthy restart, stop) and waits for edged's
///   acknowledgement, so those are closed. A backend that dies on its own
///   closes its sockets in the kernel a little before its pidfd becomes
///   readable; supervisord's duplicate of the listening socket
///   (supervisord's ListenerHold) keeps the port taken through that moment and
///   until edged has acknowledged, so that is closed too — unless supervisord
///   could not take the duplicate (it says so in its log), when a squatter
///   would have to bind inside those microseconds and edged connect inside them.
/// - a backend that closes its listener while it lives without supervisord
///   asking (someone else sends it SIGTERM: it stops listening and drains)
///   is named the listener until supervisord's next ownership check, at most
///   `Supervisor.ownershipInterval` (0.25 s) later. supervisord's duplicate
///   keeps the socket listening meanwhile: a connection made then waits in
///   its queue, unanswered, and is reset when supervisord lets go of it.
/// - the pid is opened as a pidfd when the report arrives: a pid reused
///   between supervisord's check and that moment (the backend died and its
///   pid was recycled within that millisecond) would be watched instead.
final class BackendGate: Sendable {
    /// The report a request was admitted under.
    struct Ticket: Equatable, Sendable {
        let word: UInt64
        var pid: Int32 { Int32(truncatingIfNeeded: (word >> 1) & 0xFFFF_FFFF) }
    }

    let port: Int
    let supervised: Bool
    /// epoch (31 bits) << 33 | listener pid << 1 | open: bumped on every report.
    private let word = Atomic<UInt64>(0)
    private let watch = Mutex<Watch?>(nil)

    /// The backend process named by the report, watched through a pidfd.
    private final class Watch: Sendable {
        let pid: Int32
        let pidfd: Pidfd?
        init(pid: Int32) {
            self.pid = pid
            pidfd = try? Pidfd.open(pid)
        }
        /// Without a pidfd (the syscall refused), kill(pid, 0) tells existence.
        var alive: Bool {
            guard let pidfd else { return kill(pid, 0) == 0 || errno == EPERM }
            return (try? Poll.readable(pidfd.fd, timeoutMs: 0)) == false
        }
        deinit { pidfd?.close() }
    }

    init(port: Int, supervised: Bool) {
        self.port = port
        self.supervised = supervised
        if !supervised { word.store(1, ordering: .releasing) }
    }

    /// A report from supervisord (the IPC thread).
    func apply(_ report: BackendReport?) {
        guard supervised else { return }
        var pid: Int32 = 0
        if let l = report?.listener, l.port == port, l.pid > 0, l.pid <= Int(Int32.max) {
            pid = Int32(l.pid)
        }
        watch.withLock { w in
            if pid == 0 { w = nil } else if w?.pid != pid { w = Watch(pid: pid) }
        }
        let epoch = ((word.load(ordering: .acquiring) >> 33) + 1) & 0x7FFF_FFFF
        word.store(epoch << 33 | UInt64(UInt32(bitPattern: pid)) << 1 | (pid == 0 ? 0 : 1), ordering: .releasing)
    }

    /// The current report's ticket, or nil: no verified listener, send nothing.
    func admit() -> Ticket? {
        let w = word.load(ordering: .acquiring)
        return w & 1 == 1 ? Ticket(word: w) : nil
    }

    /// Still the latest report, and its backend still alive?
    func confirm(_ ticket: Ticket) -> Bool {
        guard supervised else { return true }
        guard word.load(ordering: .acquiring) == ticket.word, let w = watch.withLock({ $0 }), w.pid == ticket.pid else { return false }
        return w.alive
    }

    /// The report names a listener whose process has exited (supervisord has
    /// not said so yet): its pid, for the 503's words.
    var exitedListener: Int32? {
        guard let t = admit(), let w = watch.withLock({ $0 }), w.pid == t.pid, !w.alive else { return nil }
        return w.pid
    }
}
