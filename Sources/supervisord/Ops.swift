import IPC
import Shared

/// supervisord's whole IPC surface: op, who may call it, what answers it.
enum SupervisorOps {
    static func table(host: DaemonHost, supervisor: Supervisor) -> [Op] {
        [
            Op("status", .anyPeer) { _ in
                var s = host.baseStatus(state: "running", waitingFor: supervisor.waitingFor)
                s["backend"] = supervisor.info(includeKey: false)
                return IPCReply(result: .object(s))
            },
            Op("backend.get", .edgeOrAdmin) { _ in
                IPCReply(result: supervisor.info(includeKey: true))
            },
            Op("backend.subscribe", .edgeOrAdmin) { request in
                supervisor.changes.add(request)
                return IPCReply(result: supervisor.info(includeKey: true))
            },
            Op("backend.restart", .admin) { _ in
                supervisor.post(.restart)
                return IPCReply(result: ["restarting": true])
            },
            Op("backend.log", .admin) { request in
                let n = max(1, min(request.args["lines"]?.intValue ?? 100, LogTail.capacity))
                return IPCReply(result: ["lines": .array(supervisor.logTail.lines.suffix(n).map { .string($0) })])
            },
            Op("reload", .admin) { _ in
                host.reload()
                return IPCReply(result: ["reloaded": true])
            },
        ]
    }
}
