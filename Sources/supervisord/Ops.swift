import IPC
import Lifecycle
import Shared

/// supervisord's whole IPC surface: op, who may call it, what answers it.
enum SupervisorOps {
    static func table(host: DaemonHost, supervisor: Supervisor) -> [Op] {
        [
            Op(.status, .anyPeer) { _ in
                var s = host.baseStatus(state: "running", waitingFor: supervisor.waitingFor)
                s["backend"] = supervisor.info(includeKey: false)
                return IPCReply(result: .object(s))
            },
            Op(.backendGet, .anyPeer) { _ in
                IPCReply(result: supervisor.info(includeKey: true))
            },
            Op(.backendSubscribe, .anyPeer) { request in
                supervisor.changes.add(request)
                return IPCReply(result: supervisor.info(includeKey: true))
            },
            // A subscriber (edged) applied the report with this "seq": see Supervisor.fence.
            Op(.backendSeen, .anyPeer) { request in
                supervisor.changes.acknowledge(request.connection, seq: request.args["seq"]?.intValue ?? Int.min)
                return IPCReply(result: .null)
            },
            Op(.backendRestart, .admin) { _ in
                supervisor.post(.restart)
                return IPCReply(result: ["restarting": true])
            },
            Op(.backendLog, .admin) { request in
                let n = max(1, min(request.args["lines"]?.intValue ?? 100, LogTail.capacity))
                return IPCReply(result: ["lines": .array(LogTail.fitting(supervisor.logTail.lines.suffix(n)).map { .string($0) })])
            },
            Op(.backendAccounts, .admin) { _ in
                IPCReply(result: ["accounts": .array(Accounts(files: supervisor.files).list())])
            },
            Op(.backendAccount, .admin) { request throws(IPCError) in
                let accounts = Accounts(files: supervisor.files)
                guard let account = request.args["account"]?.stringValue, let action = request.args["action"]?.stringValue else {
                    throw .remote(code: .badRequest, message: "need \"account\" and \"action\" (enable, disable, remove)")
                }
                switch action {
                case "enable": try accounts.setDisabled(account, false)
                case "disable": try accounts.setDisabled(account, true)
                case "remove": try accounts.remove(account)
                default: throw .remote(code: .badRequest, message: "unknown action \"\(action)\" (enable, disable, remove)")
                }
                Log.info("supervisord: account \(account): \(action)")
                return IPCReply(result: ["accounts": .array(accounts.list())])
            },
            Op(.backendProviders, .admin) { request throws(IPCError) in
                var disabled = Set(supervisor.files.disabledProviders())
                for (key, on) in [("disable", true), ("enable", false)] {
                    for name in request.args[key]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                        guard Accounts.providers.contains(name) else {
                            throw .remote(code: .badRequest, message: "unknown provider \"\(name)\" (one of \(Accounts.providers.joined(separator: ", ")))")
                        }
                        if on { disabled.insert(name) } else { disabled.remove(name) }
                    }
                }
                do {
                    try supervisor.files.setDisabledProviders(Array(disabled))
                    try supervisor.renderConfig()   // hot-reloaded by the backend: no restart
                } catch {
                    throw .remote(code: .failed, message: "cannot update the backend config: \(error)")
                }
                return IPCReply(result: ["disabled": .array(disabled.sorted().map { .string($0) })])
            },
            Op(.backendLogin, .admin) { request throws(IPCError) in
                guard let provider = request.args["provider"]?.stringValue, Accounts.providers.contains(provider) else {
                    throw .remote(code: .badRequest, message: "need \"provider\": one of \(Accounts.providers.joined(separator: ", "))")
                }
                // The configured command (a wrapper script included), never what a running process reports.
                guard let executable = Files.which(supervisor.current.config.command) else {
                    throw .remote(code: .unavailable, message: "cli-proxy-api is not installed: \(supervisor.current.message)")
                }
                var callbackPort: Int? = nil
                if let p = request.args["callbackPort"] {
                    guard let n = p.intValue, (1...65535).contains(n) else {
                        throw .remote(code: .badRequest, message: "\"callbackPort\" must be a port number (1-65535)")
                    }
                    callbackPort = n
                }
                let session = try LoginFlow.start(provider: provider, executable: executable, files: supervisor.files,
                                                  callbackPort: callbackPort, request: request)
                return IPCReply(result: ["started": .string(provider), "login": .int(session.number),
                                         "pastesCallback": .bool(LoginFlow.browserProviders.contains(provider))])
            },
            // A pasted callback address for a running login, from the connection that started it.
            Op(.backendLoginInput, .admin) { request throws(IPCError) in
                guard let number = request.args["login"]?.intValue, let line = request.args["line"]?.stringValue else {
                    throw .remote(code: .badRequest, message: "need \"login\" (a number) and \"line\" (a string)")
                }
                try LoginSessions.find(number, from: request.connection).input(line)
                return IPCReply(result: ["sent": true])
            },
            Op(.reload, .admin) { _ in
                host.reload()
                return IPCReply(result: ["reloaded": true])
            },
        ]
    }
}
