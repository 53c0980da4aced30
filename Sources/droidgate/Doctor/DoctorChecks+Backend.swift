import Glibc
import IPC
import Shared

/// The backend's checks: its command and version, its state, its accounts.
extension Doctor {
    /// What it runs is derived only from the configuration the doctor read
    /// itself (`backend.command`, looked up on PATH), never from a daemon's
    /// report: supervisord's `backend.command` comes from a process that runs
    /// as the backend's user, and the doctor is often run as root. The
    /// reported command is shown as text, and only when it differs.
    func backendCommand(_ config: Config, _ backend: BackendReport?) -> DoctorCheck {
        let name = "backend command"
        let configured = config.backend.command
        let reported = backend?.command
        guard let executable = Files.which(configured) else {
            return .fail(name, "\(configured) (backend.command) is not found\(configured.contains("/") ? "" : " on PATH")"
                               + Self.reportedNote(reported, resolved: nil),
                         fix: "install cli-proxy-api (github.com/router-for-me/CLIProxyAPI), or set backend.command to its path, then `droidgate reload supervisord`")
        }
        let note = Self.reportedNote(reported, resolved: executable)
        switch BackendProbe.probe(executable) {
        case .failure(let why):
            return .fail(name, why.description + note, fix: "set backend.command to the cli-proxy-api executable, then `droidgate reload supervisord`")
        case .success(let p):
            var detail = "\(executable): CLIProxyAPI \(p.version ?? "?")"
            if let c = p.commit, c != "none" { detail += ", commit \(c)" }
            if let b = p.builtAt, b != "unknown" { detail += ", built \(b)" }
            guard p.localModel else {
                guard config.backend.localModel else {
                    return .pass(name, detail + "; no -local-model (not used: backend.localModel is false)" + note)
                }
                return .fail(name, detail + "; no -local-model, which backend.localModel asks for (a build older than 2026-03-18: its model list is updated from the network)" + note,
                             fix: "upgrade cli-proxy-api, or set backend.localModel to false, then `droidgate backend restart`")
            }
            return .pass(name, detail + ", supports -local-model" + note)
        }
    }

    /// supervisord's word for what runs, as text only (never opened or run).
    static func reportedNote(_ reported: String?, resolved: String?) -> String {
        guard let reported, reported != resolved else { return "" }
        return "; supervisord reports it runs \(String(reported.prefix(200)))"
    }

    /// A backend run by the user (backend.supervised false): its own /healthz.
    func unsupervisedBackend(_ config: Config) -> DoctorCheck {
        let name = "backend state", port = config.backend.port
        switch LoopbackHTTP.get(port: port, path: "/healthz", timeout: 5) {
        case .response(200, _): return .pass(name, "unsupervised backend on 127.0.0.1:\(port) answers /healthz")
        case .response(let status, _):
            return .fail(name, "the unsupervised backend on 127.0.0.1:\(port) answers /healthz with HTTP \(status)", fix: "check the backend you run on port \(port)")
        default:
            return .fail(name, "nothing answers on 127.0.0.1:\(port) (backend.supervised is false: droidgate does not start the backend)",
                         fix: "start your cli-proxy-api on port \(port), or set backend.supervised to true")
        }
    }

    func backendState(_ b: BackendReport?, up: Bool) -> DoctorCheck {
        let name = "backend state"
        guard up, let b else {
            return .fail(name, "unknown: supervisord does not answer", fix: "see supervisord above")
        }
        let state = b.phase
        var detail = b.state
        if let pid = b.pid { detail += ", pid \(pid)" }
        if let port = b.port { detail += ", port \(port)" }
        if let r = b.restarts, r > 0 { detail += ", \(r) restarts" }
        if let e = b.lastExit { detail += ", last exit: \(e)" }
        if state == .ready { return .pass(name, detail) }
        if let m = b.message, !m.isEmpty { detail += " (\(m))" }
        let fix: String
        switch state {
        case .missing: fix = "install cli-proxy-api or set backend.command, then `droidgate reload supervisord`"
        case .portTaken:
            let who = b.squatterPid.map { "pid \($0)" } ?? "another process"
            fix = "stop \(who), which holds port \(b.port.map(String.init) ?? "?"), or set backend.port to a free port"
        case .starting: fix = "wait a few seconds and run `droidgate doctor` again; if it stays, `droidgate backend log`"
        default: fix = "read `droidgate backend log`, then `droidgate backend restart`"
        }
        return .fail(name, detail, fix: fix)
    }

    func accounts(_ config: Config, up: Bool) -> DoctorCheck {
        let name = "backend accounts"
        guard up else { return .fail(name, "unknown: supervisord does not answer", fix: "see supervisord above") }
        let list: [AccountEntry]
        switch options.request(.supervisord, config, op: .backendAccounts) {
        case .failure(let e): return .fail(name, "cannot list them: \(e)", fix: "run as root or as a member of the droidgate-admin group")
        case .success(let r): list = AccountList(r).accounts
        }
        let now = WallClock.now()
        var perProvider: [(String, [String])] = []
        var usable = 0
        var expired: [String] = [], broken: [String] = []
        for a in list {
            let provider = a.provider ?? "unknown"
            let account = a.account
            var note: String? = nil
            if let problem = a.problem {
                note = "\(account) \(problem)"
                broken.append(account)
            } else if a.disabled {
                note = "\(account) disabled"
            } else if let e = a.expires, let t = Self.parseTime(e), t <= now {
                note = "\(account) expired \(e)"
                expired.append(account)
            } else {
                usable += 1
            }
            if let i = perProvider.firstIndex(where: { $0.0 == provider }) {
                perProvider[i].1.append(note ?? "")
            } else {
                perProvider.append((provider, [note ?? ""]))
            }
        }
        guard !list.isEmpty else {
            return .fail(name, "none", fix: "sign in to a provider: droidgate backend login claude|codex|antigravity|kimi|xai")
        }
        let detail = perProvider.map { p, notes in
            let flagged = notes.filter { !$0.isEmpty }
            return "\(p) \(notes.count)" + (flagged.isEmpty ? "" : " (\(flagged.joined(separator: "; ")))")
        }.joined(separator: ", ")
        if usable == 0 {
            return .fail(name, detail + "; none usable",
                         fix: "enable one (droidgate backend accounts --enable ACCOUNT) or sign in again (droidgate backend login PROVIDER)")
        }
        if !broken.isEmpty {
            return .fail(name, detail, fix: "remove the unreadable account files (droidgate backend accounts --remove ACCOUNT) and sign in again")
        }
        if !expired.isEmpty {
            return .fail(name, detail, fix: "sign in again to the expired accounts (droidgate backend login PROVIDER), or remove them (droidgate backend accounts --remove ACCOUNT)")
        }
        return .pass(name, detail)
    }
}
