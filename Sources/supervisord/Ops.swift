import IPC
import Lifecycle
import Shared

/// supervisord's whole IPC surface: op, who may call it, what answers it.
enum SupervisorOps {
    static func table(host: DaemonHost, supervisor: Supervisor) -> [Op] {
        [
            Op(.status, .anyPeer) { _ in
                var s = host.baseStatus(waitingFor: supervisor.waitingFor)
                s[BackendReport.statusKey] = supervisor.info(includeKey: false)
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
                supervisor.changes.acknowledge(request.connection, seq: BackendSeen(request.args)?.seq ?? Int.min)
                return IPCReply(result: .null)
            },
            Op(.backendRestart, .admin) { _ in
                supervisor.post(.restart)
                return IPCReply(result: ["restarting": true])
            },
            Op(.backendLog, .admin) { request in
                let n = max(1, min(BackendLogArgs(request.args, fallback: 100).lines, LogTail.capacity))
                return IPCReply(result: BackendLogLines(LogTail.fitting(supervisor.logTail.lines.suffix(n))).json)
            },
            Op(.backendAccounts, .admin) { _ in
                IPCReply(result: AccountList(Accounts(files: supervisor.files).list()).json)
            },
            Op(.backendAccount, .admin) { request throws(IPCError) in
                let accounts = Accounts(files: supervisor.files)
                let change = try AccountAction.parse(request.args).get()
                switch change.action {
                case .enable: try accounts.setDisabled(change.account, false)
                case .disable: try accounts.setDisabled(change.account, true)
                case .remove: try accounts.remove(change.account)
                }
                Log.info("supervisord: account \(change.account): \(change.action.rawValue)")
                return IPCReply(result: AccountList(accounts.list()).json)
            },
            Op(.backendProviders, .admin) { request throws(IPCError) in
                var disabled = Set(supervisor.files.disabledProviders())
                let change = ProvidersChange(request.args)
                for (names, on) in [(change.disable, true), (change.enable, false)] {
                    for name in names {
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
                return IPCReply(result: DisabledProviders(disabled.sorted()).json)
            },
            Op(.backendLogin, .admin) { request throws(IPCError) in
                let login = try BackendLoginArgs.parse(request.args, providers: Accounts.providers).get()
                // The configured command (a wrapper script included), never what a running process reports.
                guard let executable = Files.which(supervisor.current.config.command) else {
                    throw .remote(code: .unavailable, message: "cli-proxy-api is not installed: \(supervisor.current.message)")
                }
                let session = try LoginFlow.start(provider: login.provider, executable: executable, files: supervisor.files,
                                                  callbackPort: login.callbackPort, request: request)
                return IPCReply(result: BackendLoginStarted(provider: login.provider, login: session.number,
                                                            pastesCallback: LoginFlow.browserProviders.contains(login.provider)).json)
            },
            // A pasted callback address for a running login, from the connection that started it.
            Op(.backendLoginInput, .admin) { request throws(IPCError) in
                guard let input = BackendLoginInput(request.args) else {
                    throw .remote(code: .badRequest, message: "need \"login\" (a number) and \"line\" (a string)")
                }
                try LoginSessions.find(input.login, from: request.connection).input(input.line)
                return IPCReply(result: ["sent": true])
            },
            Op(.reload, .admin) { _ in
                host.reload()
                return IPCReply(result: ["reloaded": true])
            },
        ]
    }
}
