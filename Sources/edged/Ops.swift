import IPC
import Lifecycle
import Shared

/// edged's whole IPC surface: op, who may call it, what answers it.
enum EdgeOps {
    static func table(host: DaemonHost, listener: EdgeListener, peers: Peers) -> [Op] {
        [
            Op(.status, .anyPeer) { _ in
                var s = host.baseStatus(waitingFor: peers.waitingFor)
                s["listen"] = .string(listener.address)
                s["ipc"] = ["authd": Peers.describe(peers.authd.status), "supervisord": Peers.describe(peers.supervisord.status)]
                s[BackendReport.statusKey] = peers.backendPublic
                return IPCReply(result: .object(s))
            },
        ]
    }
}
