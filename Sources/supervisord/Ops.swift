import IPC
import Shared

/// supervisord's whole IPC surface: op, who may call it, what answers it.
enum SupervisorOps {
    static func table(host: DaemonHost, backend: Backend) -> [Op] {
        [
            Op("status", .anyPeer) { _ in
                var s = host.baseStatus(state: "running", waitingFor: backend.waitingFor)
                s["backend"] = backend.info
                return IPCReply(result: .object(s))
            },
            Op("backend.get", .edgeOrAdmin) { _ in
                IPCReply(result: backend.info)
            },
            Op("backend.subscribe", .edgeOrAdmin) { request in
                backend.changes.add(request)
                return IPCReply(result: backend.info)
            },
        ]
    }
}
