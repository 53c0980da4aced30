import Foundation
import Glibc
import IPC
import Shared

/// Owns the backend's life: renders its config, starts it, decides when it
/// is ready (HTTP health, never its own log line), restarts it with capped
/// backoff when it exits (any exit, even 0, is a crash: it exits 0 on fatal
/// errors) or stops answering, and re-adopts it after a supervisord restart.
/// One thread runs the state machine; IPC handlers read snapshots and post commands.
final class Supervisor: Sendable {
    enum State: String, Sendable {
        case missing, starting, ready, unhealthy, backoff, stopped
    }

    enum Command: Sendable { case restart, reload(BackendConfig), stop }

    struct Snapshot: Sendable {
        var config: BackendConfig
        var state: State = .stopped
        var message = ""
        var pid: pid_t? = nil
        var restarts = 0
        var lastExit: String? = nil
        var retryAt: Double? = nil      // monotonic seconds
        var executable: String? = nil
        var readySince: Double? = nil
    }

    let files: BackendFiles
    let apiKey: String
    let changes = Subscribers(event: "backend.state")
    let logTail: LogTail
    private let snapshot: Locked<Snapshot>
    private let commands = Locked<[Command]>([])
    private let wake: EventFD
    private let child = Locked<BackendProcess?>(nil)

    static let firstBackoff = 0.5
    static let maxBackoff = 30.0
    /// A backend that served this long before it died is not in a crash loop:
    /// the next restart is quick again (a request held meanwhile waits
    /// `limits.backendHoldSeconds`, which the first backoff steps stay under).
    static let resetAfterHealthy = 10.0
    static let healthInterval = 3.0
    static let failuresBeforeRestart = 3
    static let startupTimeout = 60.0

    init(config: BackendConfig, files: BackendFiles) throws {
        self.files = files
        try files.prepare()
        self.apiKey = try files.apiKey()
        self.snapshot = Locked(Snapshot(config: config))
        self.wake = try EventFD.create()
        self.logTail = LogTail(path: files.logFile)
    }

    // MARK: Reading state

    var current: Snapshot { snapshot.value }

    /// The IPC view of the backend. `includeKey`: only for edged and admins.
    func info(includeKey: Bool) -> JSONValue {
        let s = snapshot.value
        var o: JSONObject = [
            "state": .string(s.state.rawValue),
            "url": .string("http://127.0.0.1:\(s.config.port)"),
            "message": .string(s.message),
            "restarts": .int(s.restarts),
        ]
        o["pid"] = s.pid.map { .int(Int($0)) } ?? .null
        o["lastExit"] = s.lastExit.map { .string($0) } ?? .null
        o["retryInSeconds"] = s.retryAt.map { .int(max(0, Int(($0 - Monotonic.seconds()).rounded(.up)))) } ?? .null
        o["command"] = s.executable.map { .string($0) } ?? .null
        if includeKey { o["apiKey"] = .string(apiKey) }
        return .object(o)
    }

    var waitingFor: String? {
        let s = snapshot.value
        switch s.state {
        case .ready: return nil
        case .missing: return "cli-proxy-api to be installed (or backend.command set)"
        case .starting: return "the backend to answer its health check"
        case .backoff: return "the restart backoff (\(s.message))"
        case .unhealthy: return "the unresponsive backend to be restarted"
        case .stopped: return "a start (the backend is stopped)"
        }
    }

    // MARK: Commands

    func post(_ c: Command) {
        commands.withLock { $0.append(c) }
        wake.signal()
    }

    private func takeCommands() -> [Command] {
        wake.drain()
        return commands.withLock { list in
            let l = list
            list.removeAll()
            return l
        }
    }

    private func update(_ body: (inout Snapshot) -> Void) {
        let (before, after) = snapshot.withLock { s -> (State, State) in
            let b = s.state
            body(&s)
            return (b, s.state)
        }
        if before != after {
            let s = snapshot.value
            let level: Log.Level = after == .ready || after == .starting ? .info : .warning
            let line = "supervisord: backend \(before.rawValue) -> \(after.rawValue)\(s.message.isEmpty ? "" : ": \(s.message)")"
            level == .info ? Log.info(line) : Log.warning(line)
            Notify.status("backend \(after.rawValue)")
        }
        changes.publish(info(includeKey: true))
    }

    // MARK: The state machine

    func start() {
        logTail.start()
        startThread("supervisor") { [self] in run() }
    }

    private func run() {
        if let adopted = BackendProcess.adopt(files: files) {
            child.value = adopted
            Log.info("supervisord: re-adopted the running backend (pid \(adopted.pid), \(adopted.executable))")
            update { $0.pid = adopted.pid; $0.executable = adopted.executable; $0.state = .starting; $0.message = "re-adopted pid \(adopted.pid)" }
            if awaitReady(adopted) { superviseReady(adopted) }
            if let c = child.value, !c.isAlive { c.close(); child.value = nil }
            if pendingStop { return stopped() }
        }
        while true {
            // Resolve the command; without it there is nothing to run.
            let config = snapshot.value.config
            guard let executable = Files.which(config.command) else {
                update {
                    $0.state = .missing
                    $0.executable = nil
                    $0.pid = nil
                    $0.message = "cli-proxy-api not found (looked for \"\(config.command)\"\(config.command.contains("/") ? "" : " on PATH")); install it from https://github.com/router-for-me/CLIProxyAPI or set backend.command in the droidgate config to its path; `droidgate up --demo` runs a built-in fake instead"
                }
                if waitForCommand(seconds: 5) == .stop { return stopped() }
                continue
            }
            // A port already taken by someone else is reported, never fought over.
            if PortOwner.isInUse(port: config.port) {
                let owner = PortOwner.describe(port: config.port)
                let wait = scheduleRetry(reason: "port \(config.port) is already taken by \(owner), which is not droidgate's backend; stop it or set backend.port")
                if waitForCommand(seconds: wait) == .stop { return stopped() }
                continue
            }

            do {
                try renderConfig()
                let p = try BackendProcess.spawn(executable: executable, files: files, localModel: localModel.value)
                child.value = p
                Log.info("supervisord: started \(executable) (pid \(p.pid))")
                update { $0.pid = p.pid; $0.executable = executable; $0.state = .starting; $0.message = "waiting for GET /healthz"; $0.retryAt = nil }
                if awaitReady(p) { superviseReady(p) }
            } catch {
                _ = scheduleRetry(reason: "cannot start \(executable): \(error)")
            }
            if let c = child.value, !c.isAlive { c.close(); child.value = nil }
            if pendingStop { return stopped() }
            let s = snapshot.value
            if s.state == .stopped { continue }
            if waitForCommand(seconds: max(0, (s.retryAt ?? 0) - Monotonic.seconds())) == .stop { return stopped() }
        }
    }

    private enum Woken: Equatable { case timeout, stop, restartRequested, other }
    private let stopRequested = Locked(false)
    private var pendingStop: Bool { stopRequested.value }

    /// Sleeps up to `seconds` or until a command arrives; applies it.
    private func waitForCommand(seconds: Double) -> Woken {
        let ready = (try? Poll.anyReadable([wake.fd], timeoutMs: Int32(max(0, seconds) * 1000))) ?? []
        guard !ready.isEmpty else { return .timeout }
        return apply(takeCommands())
    }

    private func apply(_ list: [Command]) -> Woken {
        var result = Woken.other
        for c in list {
            switch c {
            case .stop:
                stopRequested.value = true
                return .stop
            case .restart:
                result = .restartRequested
                update { if $0.state == .stopped { $0.message = "" } }
            case .reload(let config):
                let old = snapshot.value.config
                update { $0.config = config }
                do { try renderConfig() } catch { Log.error("supervisord: cannot write \(files.configYAML): \(error)") }
                // The backend hot-reloads its file; only a new address needs a restart.
                if old.port != config.port { result = .restartRequested }
            }
        }
        return result
    }

    /// Polls health until ready; false if the child died or never became ready.
    private func awaitReady(_ p: BackendProcess) -> Bool {
        let started = Monotonic.seconds()
        while true {
            let config = snapshot.value.config
            if case .healthy = HealthProbe.check(port: config.port, apiKey: apiKey) {
                update { $0.state = .ready; $0.message = "answering on 127.0.0.1:\(config.port)"; $0.readySince = Monotonic.seconds() }
                return true
            }
            let (exited, status, woken) = p.waitForExit(seconds: 0.25, alsoWatching: wake.fd)
            if exited {
                crashed(p, status: status, during: "start-up")
                return false
            }
            if woken {
                switch apply(takeCommands()) {
                case .stop: return false
                case .restartRequested:
                    p.stop(grace: config.stopTimeoutSeconds)
                    update { $0.state = .backoff; $0.message = "restarting by request"; $0.retryAt = Monotonic.seconds() }
                    return false
                default: break
                }
            }
            if Monotonic.seconds() - started > Self.startupTimeout {
                p.stop(grace: 2)
                crashed(p, status: nil, during: "start-up", reason: "did not answer GET /healthz within \(Int(Self.startupTimeout)) s")
                return false
            }
        }
    }

    /// Watches a ready backend: exit → crash; failed health checks → restart.
    private func superviseReady(_ p: BackendProcess) {
        var failures = 0
        while true {
            let (exited, status, woken) = p.waitForExit(seconds: Self.healthInterval, alsoWatching: wake.fd)
            let config = snapshot.value.config
            if exited {
                crashed(p, status: status, during: "operation")
                return
            }
            if woken {
                switch apply(takeCommands()) {
                case .stop: return
                case .restartRequested:
                    Log.info("supervisord: restarting the backend by request")
                    p.stop(grace: config.stopTimeoutSeconds)
                    update { $0.state = .backoff; $0.restarts += 1; $0.lastExit = "restarted by request"; $0.message = "restarting"; $0.retryAt = Monotonic.seconds() }
                    return
                default: continue
                }
            }
            if let since = snapshot.value.readySince, Monotonic.seconds() - since >= Self.resetAfterHealthy {
                nextBackoff = Self.firstBackoff
            }
            if case .healthy = HealthProbe.check(port: config.port, apiKey: apiKey) {
                if failures > 0 { update { $0.state = .ready; $0.message = "answering on 127.0.0.1:\(config.port)" } }
                failures = 0
                continue
            }
            failures += 1
            update { $0.state = .unhealthy; $0.message = "health check failed \(failures) time\(failures == 1 ? "" : "s")" }
            if failures >= Self.failuresBeforeRestart {
                Log.warning("supervisord: backend pid \(p.pid) stopped answering health checks; restarting it")
                p.stop(grace: 2)
                crashed(p, status: nil, during: "operation", reason: "stopped answering health checks")
                return
            }
        }
    }

    /// Start the backend with `-local-model` until a build refuses it.
    private let localModel = Locked(true)

    private func crashed(_ p: BackendProcess, status: ExitStatus?, during phase: String, reason: String? = nil) {
        if phase == "start-up", localModel.value, p.refusedLocalModel(status: status, files: files) {
            // Retried once, at once, without the flag; not a crash, no backoff.
            localModel.value = false
            Log.notice("supervisord: \(p.executable) does not know -local-model, so it is a cli-proxy-api build older than 2026-03-18; starting it without that flag (its model list may then be updated from the network). Upgrading cli-proxy-api is recommended.")
            p.close()
            child.value = nil
            Files.remove(files.pidFile)
            update { $0.state = .backoff; $0.pid = nil; $0.retryAt = Monotonic.seconds(); $0.message = "restarting without -local-model (build older than 2026-03-18)" }
            return
        }
        let why = reason ?? status.map { "\($0)" } ?? "exited (status unknown: adopted process)"
        Log.warning("supervisord: backend pid \(p.pid) \(why) during \(phase)")
        p.close()
        child.value = nil
        Files.remove(files.pidFile)
        // 0.5 s doubling to 30 s; back to 0.5 s after 60 s of health.
        if snapshot.value.readySince.map({ Monotonic.seconds() - $0 >= Self.resetAfterHealthy }) == true { nextBackoff = Self.firstBackoff }
        let b = nextBackoff
        nextBackoff = min(b * 2, Self.maxBackoff)
        update {
            $0.state = .backoff
            $0.pid = nil
            $0.restarts += 1
            $0.lastExit = why
            $0.readySince = nil
            $0.retryAt = Monotonic.seconds() + b
            $0.message = "backend \(why); restarting in \(String(format: "%.1f", b)) s"
        }
    }

    private let backoffBox = Locked(Supervisor.firstBackoff)
    private var nextBackoff: Double {
        get { backoffBox.value }
        set { backoffBox.value = newValue }
    }

    /// Enters backoff for `reason`; returns the wait.
    private func scheduleRetry(reason: String) -> Double {
        let b = nextBackoff
        nextBackoff = min(b * 2, Self.maxBackoff)
        update { $0.state = .backoff; $0.message = reason; $0.retryAt = Monotonic.seconds() + b }
        return b
    }

    private func stopped() {
        update { $0.state = .stopped; $0.message = "stopped"; $0.pid = nil }
    }

    // MARK: Config and shutdown

    func renderConfig() throws {
        let config = snapshot.value.config
        let yaml = BackendYAML.render(.init(port: config.port, authDir: files.authDir, apiKey: apiKey,
                                           extra: config.extraConfig, disabledProviders: files.disabledProviders()))
        // In place, never by rename: cli-proxy-api watches the file's inode.
        try Files.rewriteInPlace(files.configYAML, Array(yaml.utf8), mode: 0o600)
    }

    /// supervisord is exiting. `keepBackend`: leave the child running for the
    /// next supervisord to adopt; else stop it (SIGTERM, grace, SIGKILL).
    func shutdown(keepBackend: Bool) {
        post(.stop)
        guard let p = child.value else { return }
        if keepBackend {
            Log.info("supervisord: leaving the backend (pid \(p.pid)) running for the next supervisord to adopt")
            return
        }
        Log.info("supervisord: stopping the backend (pid \(p.pid))")
        p.stop(grace: snapshot.value.config.stopTimeoutSeconds)
        Files.remove(files.pidFile)
    }
}
