import Glibc
import Shared

/// Who may serve a daemon's socket, checked by the client (SO_PEERCRED)
/// before it sends a byte: a client that would hand a refresh token, an
/// auth.json or an OAuth callback to whoever listens at a path must first
/// know who that is.
///
/// A socket made by systemd (socket activation) reports root, the process
/// that called listen(2); a daemon that bound its own socket reports its
/// user: under the unit set, the daemon's own system user.
public enum ServerIdentity {
    /// The system user each daemon runs as under the unit set (systemd/sysusers.d).
    public static func systemUser(_ daemon: DaemonName) -> String {
        switch daemon {
        case .authd: return "droidgate-auth"
        case .supervisord: return "droidgate-backend"
        case .edged: return "droidgate-edge"
        }
    }

    /// A system socket: root, the daemon's own system user, or the caller
    /// itself (a stack it runs with its own config).
    public static func system(_ daemon: DaemonName) -> Set<uid_t> {
        var uids: Set<uid_t> = [0, geteuid()]
        if let u = Users.uid(named: systemUser(daemon)) { uids.insert(u) }
        return uids
    }

    /// A dev root's socket (`droidgate up`): only the invoking user.
    public static func devRoot() -> Set<uid_t> { [geteuid()] }

    /// Refuses a server whose uid is not in `allowed`; says who it is.
    static func verify(_ socket: Socket, path: String, allowed: Set<uid_t>) throws(IPCError) {
        let peer: PeerCredentials
        do { peer = try socket.peerCredentials() } catch { throw .system(error) }
        guard allowed.contains(peer.uid) else {
            let expected = allowed.sorted().map { Users.name(of: $0) }.joined(separator: " or ")
            throw .untrustedServer("\(path) is served by \(Users.name(of: peer.uid)) (uid \(peer.uid), pid \(peer.pid)), not by \(expected); nothing was sent")
        }
    }
}
