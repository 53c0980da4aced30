import Glibc
import Shared

/// Is the socket that would take a connection to 127.0.0.1:port the backend
/// child's own? Anyone on the host may bind that port while the backend is
/// not listening (down, backing off, restarting, or not yet bound), and
/// whoever listens there would get the operator's prompts and the backend's
/// key. So nothing is sent to the port until this says `.child`.
///
/// The check reads the child's own /proc/PID/net/tcp{,6} (the same namespace
/// as ours; /proc/net itself is hidden by `ProcSubset=pid`) and matches each
/// listener's inode against the sockets in the child's /proc/PID/fd (the
/// child runs as our user, so both are readable under `ProtectProc=invisible`).
enum ListenerOwnership: Equatable {
    /// Every listener for 127.0.0.1:port is a socket the child holds: their inodes.
    case child(Set<LoopbackListeners.Inode>)
    /// Nothing listens there (yet, or any more), or only supervisord's own
    /// duplicate of a socket the child has let go of (`ListenerHold`).
    case nobody
    /// Someone else listens there.
    case foreign(Squatter)
    /// The child's /proc entries could not be read (it just exited, say).
    case unknown(String)

    var isChild: Bool {
        if case .child = self { return true }
        return false
    }

    /// `held`: the listening sockets supervisord itself holds a duplicate of.
    /// One the child no longer holds is the child having let go, not a squatter.
    static func check(port: Int, child pid: pid_t, held ours: Set<LoopbackListeners.Inode> = []) -> ListenerOwnership {
        guard let listeners = LoopbackListeners.receiving(port: port, asSeenBy: String(pid)) else {
            return .unknown("cannot read /proc/\(pid)/net/tcp (the backend exited?)")
        }
        if listeners.isEmpty { return .nobody }
        guard let held = LoopbackListeners.held(Set(listeners), by: pid) else {
            return .unknown("cannot read /proc/\(pid)/fd (the backend exited?)")
        }
        if let other = listeners.first(where: { !held.contains($0) && !ours.contains($0) }) { return .foreign(Squatter(inode: other)) }
        if listeners.contains(where: { !held.contains($0) }) { return .nobody }
        return .child(Set(listeners))
    }
}

/// A listener on the backend's port that is not the backend: who it is, as
/// far as we may see (another user's process is hidden under systemd).
struct Squatter: Equatable {
    let inode: LoopbackListeners.Inode
    let pid: pid_t?
    let name: String?

    init(inode: LoopbackListeners.Inode) {
        self.inode = inode
        let owner = inode == 0 ? nil : LoopbackListeners.owner(of: inode)
        pid = owner?.pid
        name = owner?.name
    }

    /// "pid 1234 (python3)", or what we know when the process is hidden.
    var description: String {
        guard let pid else { return inode == 0 ? "an unknown process" : "a process droidgate cannot see (socket inode \(inode))" }
        return "pid \(pid) (\(name ?? "?"))"
    }
}
