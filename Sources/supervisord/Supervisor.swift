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
    enum Command: Sendable { case restart, reload(BackendConfig), stop }

    struct Snapshot: Sendable {
        var config: BackendConfig
        var state: BackendPhase = .stopped
        var message = ""
        var pid: pid_t? = nil
        var restarts = 0
        var lastExit: String? = nil
        var retryAt: Double? = nil      // monotonic seconds
        var executable: String? = nil
        var readySince: Double? = nil
        /// The last ownership check found `pid`'s own socket listening on
        /// 127.0.0.1:port, and nothing has since begun to let it go. Only
        /// then may edged send anything there (`listener` in the report).
        var listenerVerified = false
        /// Who holds the port, in state port-taken.
        var squatter: Squatter? = nil
        /// Bumped on every report, so subscribers can say which one they applied.
        var seq = 0
    }

    let files: BackendFiles
    let apiKey: String
    let changes = Subscribers(event: .backendState)
    let logTail: LogTail
    // Who writes what: the state machine's thread (`run`) owns the backend —
    // `child`, `portHold` and every change to `snapshot` — and IPC handler
    // threads only read snapshots and post commands. Each lock guards one
    // thing, stated with it; none is held across I/O except `publishing`,
    // whose whole point is to keep reports in order while they are sent.

    /// What the reports are made of. Invariant: `seq` grows by one with every
    /// change (`update`), so a subscriber's acknowledged `seq` names one report.
    private let snapshot: Locked<Snapshot>
    /// Commands posted by IPC handlers, taken (all at once) by the state machine; `wake` says there are some.
    private let commands = Locked<[Command]>([])
    let wake: EventFD
    /// The backend process run or adopted (nil: none). Invariant: when it is
    /// not nil, `snapshot.pid` is its pid; set and cleared by the state machine only.
    private let child = Locked<BackendProcess?>(nil)
    /// Held while a report is made and sent: subscribers see reports in `seq` order.
    private let publishing = Locked<Void>(())
    /// Set once, when supervisord stops the backend for good; from then on no
    /// report names a listener (edged sends nothing while the backend drains).
    private let backendStopping = Locked(false)
    /// Our duplicate of the child's listening socket (`ListenerHold`) and what
    /// the kernel said when we asked for one.
    private struct PortHold {
        /// A duplicate of the current child's listening sockets, or nil.
        var listener: ListenerHold? = nil
        /// A child whose socket the kernel refused: not asked again while it lives.
        var refusedFor: pid_t? = nil
        /// The refusal was logged (once per supervisord, not once per child).
        var refusalLogged = false
    }
    private let portHold = Locked(PortHold())
    /// How many times config.yaml was written (by the state machine and by
    /// the providers op): a child started at count N that reaches
    /// `configSettle` after ready with a higher count gets the file again.
    let configWrites = Locked(0)
    /// Held while config.yaml is rendered and written: the state machine and the
    /// providers op (an IPC thread) both write it, and two in-place rewrites at
    /// once could leave the tail of the longer one behind the shorter.
    private let configWriting = Locked<Void>(())
    /// cli-proxy-api reads config.yaml at start and watches it only once its
    /// server runs (sdk/cliproxy/service_lifecycle.go Run): a write in
    /// between is never seen. One this long after ready is.
    static let configSettle = 2.0

    static let firstBackoff = 0.5
    static let maxBackoff = 30.0
    /// A backend that served this long before it died is not in a crash loop:
    /// the next restart is quick again (a request held meanwhile waits
    /// `limits.backendHoldSeconds`, which the first backoff steps stay under).
    static let resetAfterHealthy = 10.0
    static let healthInterval = 3.0
    /// How often a running backend's hold on its port is checked (cheap:
    /// two /proc tables and the first few fds), so a backend that lets go
    /// of its listener while it lives stops being named the listener quickly.
    static let ownershipInterval = 0.25
    /// How often a starting backend is checked.
    static let startupPoll = 0.1
    /// How long edged gets to confirm it stopped sending before the backend
    /// is told to let go of the port.
    static let fenceTimeout = 1.0
    static let failuresBeforeRestart = 3
    static let startupTimeout = 60.0

    /// Where a restarted supervisord looks for the backend to re-adopt.
    let adoption: BackendAdoption.Source

    init(config: BackendConfig, files: BackendFiles, adoption: BackendAdoption.Source) throws {
        self.files = files
        self.adoption = adoption
        try files.prepare()
        self.apiKey = try files.apiKey()
        self.snapshot = Locked(Snapshot(config: config))
        self.wake = try EventFD.create()
        self.logTail = LogTail(path: files.logFile)
    }

    // MARK: Reading state

    var current: Snapshot { snapshot.value }

    /// The IPC view of the backend. `includeKey`: only for edged and admins.
    func info(includeKey: Bool) -> JSONValue { report(snapshot.value, includeKey: includeKey).json }

    private func report(_ s: Snapshot, includeKey: Bool) -> BackendReport {
        var r = BackendReport(phase: s.state)
        r.url = "http://127.0.0.1:\(s.config.port)"
        r.message = s.message
        r.restarts = s.restarts
        r.pid = s.pid.map { Int($0) }
        r.lastExit = s.lastExit
        r.retryInSeconds = s.retryAt.map { max(0, Int(($0 - Monotonic.seconds()).rounded(.up))) }
        r.command = s.executable
        r.port = s.config.port
        // The only listener edged may send to: the child's own, just verified.
        if s.listenerVerified, let pid = s.pid, !backendStopping.value {
            r.listener = .init(pid: Int(pid), port: s.config.port)
        }
        r.squatterPid = s.state == .portTaken ? s.squatter?.pid.map { Int($0) } : nil
        r.seq = s.seq
        if includeKey { r.apiKey = apiKey }
        return r
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
        case .portTaken: return "port \(s.config.port) to be freed (taken by \(s.squatter?.description ?? "another process"), not droidgate's backend)"
        }
    }

    // MARK: Commands

    func post(_ c: Command) {
        commands.withLock { $0.append(c) }
        wake.signal()
    }

    func takeCommands() -> [Command] {
        wake.drain()
        return commands.withLock { list in
            let l = list
            list.removeAll()
            return l
        }
    }

    func update(_ body: (inout Snapshot) -> Void) {
        publishing.withLock { _ in
            let (before, s) = snapshot.withLock { s -> (BackendPhase, Snapshot) in
                let b = s.state
                body(&s)
                s.seq += 1
                return (b, s)
            }
            if before != s.state {
                let level: Log.Level = s.state == .ready || s.state == .starting ? .info : .warning
                let line = "supervisord: backend \(before.rawValue) -> \(s.state.rawValue)\(s.message.isEmpty ? "" : ": \(s.message)")"
                level == .info ? Log.info(line) : Log.warning(line)
                Notify.status("backend \(s.state.rawValue)")
            }
            changes.publish(report(s, includeKey: true).json)
        }
    }

    /// Reports that edged must stop sending to the backend, then waits until
    /// edged confirms it applied that report (up to `fenceTimeout`): only
    /// then may the backend let go of the port (a SIGTERM makes it close its
    /// listener at once and drain for up to 30 s), so a squatter that binds
    /// the port at that moment is sent nothing.
    func withdrawListener(_ body: (inout Snapshot) -> Void = { _ in }) {
        update {
            $0.listenerVerified = false
            body(&$0)
        }
        fence()
    }

    /// The listening sockets supervisord holds a duplicate of.
    var heldListeners: Set<LoopbackListeners.Inode> { portHold.value.listener?.inodes ?? [] }

    /// Holds a duplicate of the child's listening sockets `inodes` (see
    /// `ListenerHold`), so the port stays ours even at the moment the child dies.
    /// Refused (Yama's ptrace restriction for an adopted backend, an old unit's
    /// syscall filter): said once, and the backend is served without it.
    func holdListener(_ inodes: Set<LoopbackListeners.Inode>, of p: BackendProcess) {
        let held = portHold.value
        guard held.listener?.inodes != inodes, held.refusedFor != p.pid else { return }
        do {
            // Taken without the lock (pidfd_getfd is a system call on another process).
            let new = try ListenerHold.take(inodes, from: p)
            portHold.withLock { h in
                h.listener?.release()
                h.listener = new
            }
        } catch {
            // A refusal stands for this child; a socket that moved (a race) is tried again.
            switch error {
            case .refused, .noPidfd: break
            case .notFound, .notTheListener: return
            }
            let firstRefusal = portHold.withLock { h -> Bool in
                h.refusedFor = p.pid
                defer { h.refusalLogged = true }
                return !h.refusalLogged
            }
            guard firstRefusal else { return }
            Log.warning("supervisord: cannot hold the backend's listening socket (pid \(p.pid)): \(error); should the backend die, its port is free for a moment before supervisord learns of it. Fix: let supervisord call pidfd_getfd (the shipped unit's SystemCallFilter= allows it; a container manager's own filter may not), and for a backend adopted after a supervisord restart, kernel.yama.ptrace_scope must be 0")
        }
    }

    /// Lets go of the held listening socket, once edged has confirmed it no
    /// longer sends to the port (so whoever binds the port next gets nothing).
    func releaseListener() {
        guard portHold.value.listener != nil else { return }
        if current.listenerVerified { update { $0.listenerVerified = false } }
        fence()
        portHold.withLock { h in
            h.listener?.release()
            h.listener = nil
        }
    }

    func fence() {
        let late = changes.awaitAcknowledged(snapshot.value.seq, timeout: Self.fenceTimeout)
        if !late.isEmpty {
            Log.warning("supervisord: edged (pid \(late.map(String.init).joined(separator: ", "))) did not confirm within \(Self.fenceTimeout) s that it stopped sending to the backend; going on")
        }
    }

    // MARK: The state machine

    func start() {
        logTail.start()
        // Re-adopt a running backend before the IPC socket is served (main.swift calls this
        // first): otherwise an edged that connects at once would read the initial "stopped", a
        // state it does not hold requests for, and answer them 503 while the backend runs on.
        if let pid = BackendAdoption.find(adoption, port: current.config.port), let adopted = BackendProcess.adopt(pid: pid) {
            child.value = adopted
            Log.info("supervisord: re-adopted the running backend (pid \(adopted.pid), running \(adopted.executable))")
            update { $0.pid = adopted.pid; $0.executable = adopted.executable; $0.state = .starting; $0.message = "re-adopted pid \(adopted.pid)"; $0.listenerVerified = false }
        }
        startThread("supervisor") { [self] in run() }
    }

    private func run() {
        if let adopted = child.value {
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
            // A port already taken by someone else is reported, never fought over, and sent nothing.
            if let squatter = PortOwner.squatter(port: config.port) {
                let wait = portTaken(by: squatter, port: config.port)
                if waitForCommand(seconds: wait) == .stop { return stopped() }
                continue
            }

            do {
                try renderConfig()
                let writesAtStart = configWrites.value
                let p = try BackendProcess.spawn(executable: executable, files: files,
                                                 localModel: config.localModel && !refusedLocalModel.value)
                child.value = p
                Log.info("supervisord: started \(executable) (pid \(p.pid))")
                recordIdentity(of: p)
                update { $0.pid = p.pid; $0.executable = executable; $0.state = .starting; $0.message = "waiting for GET /healthz"; $0.retryAt = nil; $0.squatter = nil }
                if awaitReady(p) { superviseReady(p, configWritesAtStart: writesAtStart) }
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

    enum Woken: Equatable { case timeout, stop, restartRequested, other }
    private let stopRequested = Locked(false)
    private var pendingStop: Bool { stopRequested.value }

    /// Sleeps up to `seconds` or until a command arrives; applies it.
    private func waitForCommand(seconds: Double) -> Woken {
        let ready = (try? Poll.anyReadable([wake.fd], timeoutMs: Int32(max(0, seconds) * 1000))) ?? []
        guard !ready.isEmpty else { return .timeout }
        return apply(takeCommands())
    }

    func apply(_ list: [Command]) -> Woken {
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
                // A new port is not where the running child listens: it is named the listener no more.
                update {
                    $0.config = config
                    if old.port != config.port { $0.listenerVerified = false }
                }
                do { try renderConfig() } catch { Log.error("supervisord: cannot write \(files.configYAML): \(error)") }
                // The backend hot-reloads its file; only a new address needs a restart.
                if old.port != config.port { result = .restartRequested }
            }
        }
        return result
    }

    /// backend.localModel asked for `-local-model` and this build refused it:
    /// it is started without the flag from then on.
    private let refusedLocalModel = Locked(false)

    func crashed(_ p: BackendProcess, status: ExitStatus?, during phase: String, reason: String? = nil) {
        if phase == "start-up", current.config.localModel, !refusedLocalModel.value, p.refusedLocalModel(status: status, files: files) {
            // Retried once, at once, without the flag; not a crash, no backoff.
            refusedLocalModel.value = true
            Log.notice("supervisord: \(p.executable) does not know -local-model (backend.localModel), so it is a cli-proxy-api build older than 2026-03-18; starting it without that flag (its model list is then updated from the network). Upgrading cli-proxy-api is recommended.")
            p.close()
            child.value = nil
            forgetIdentity()
            update { $0.state = .backoff; $0.pid = nil; $0.listenerVerified = false; $0.retryAt = Monotonic.seconds(); $0.message = "restarting without -local-model (build older than 2026-03-18)" }
            releaseListener()
            return
        }
        let why = reason ?? status.map { "\($0)" } ?? "exited (status unknown: adopted process)"
        Log.warning("supervisord: backend pid \(p.pid) \(why) during \(phase)")
        p.close()
        child.value = nil
        forgetIdentity()
        // 0.5 s doubling to 30 s; back to 0.5 s after 60 s of health.
        if snapshot.value.readySince.map({ Monotonic.seconds() - $0 >= Self.resetAfterHealthy }) == true { nextBackoff = Self.firstBackoff }
        let b = takeBackoff()
        update {
            $0.state = .backoff
            $0.pid = nil
            $0.listenerVerified = false
            $0.restarts += 1
            $0.lastExit = why
            $0.readySince = nil
            $0.retryAt = Monotonic.seconds() + b
            $0.message = "backend \(why); restarting in \(String(format: "%.1f", b)) s"
        }
        releaseListener()
    }

    /// The current wait, doubling the next one (up to `maxBackoff`).
    private func takeBackoff() -> Double {
        backoffBox.withLock { b in
            defer { b = min(b * 2, Self.maxBackoff) }
            return b
        }
    }

    private let backoffBox = Locked(Supervisor.firstBackoff)
    var nextBackoff: Double {
        get { backoffBox.value }
        set { backoffBox.value = newValue }
    }

    /// Enters port-taken: `squatter` listens on the port. Returns the wait
    /// before the next look (the backoff's, doubling to 30 s).
    func portTaken(by squatter: Squatter, port: Int) -> Double {
        let b = takeBackoff()
        update {
            $0.state = .portTaken
            $0.squatter = squatter
            $0.listenerVerified = false
            $0.readySince = nil
            $0.retryAt = Monotonic.seconds() + b
            $0.message = "port \(port) is already taken by \(squatter.description), which is not droidgate's backend; nothing is sent to it; stop it or set backend.port"
        }
        return b
    }

    /// Writes the child's identity where the next supervisord looks (under
    /// `droidgate up` only: see `BackendAdoption`). Called when it starts
    /// (so the launcher can stop it) and again once it answered its first
    /// health check: by then a wrapper script has exec'd the real program.
    func recordIdentity(of p: BackendProcess) {
        guard case .identityFile(let path) = adoption, let id = BackendIdentity.observe(p.pid) else { return }
        do { try id.write(path) } catch {
            Log.warning("supervisord: cannot write \(path): \(error) (a restarted supervisord will not re-adopt the backend)")
        }
    }

    func forgetIdentity() {
        if case .identityFile(let path) = adoption { Files.remove(path) }
    }

    /// The child is gone (or being let go): drop it and its recorded identity.
    func forget(_ p: BackendProcess) {
        p.close()
        child.value = nil
        forgetIdentity()
        update { $0.pid = nil; $0.listenerVerified = false }
        releaseListener()
    }

    /// Enters backoff for `reason`; returns the wait.
    private func scheduleRetry(reason: String) -> Double {
        let b = takeBackoff()
        update { $0.state = .backoff; $0.message = reason; $0.retryAt = Monotonic.seconds() + b }
        return b
    }

    private func stopped() {
        update { $0.state = .stopped; $0.message = "stopped"; $0.pid = nil; $0.listenerVerified = false }
        releaseListener()
    }

    // MARK: Config and shutdown

    /// Writes config.yaml from the current settings if it differs (`force`: even if not).
    func renderConfig(force: Bool = false) throws {
        try configWriting.withLock { _ in Result { try writeConfig(force: force) } }.get()
    }

    private func writeConfig(force: Bool) throws {
        let config = snapshot.value.config
        let yaml = BackendYAML.render(.init(port: config.port, authDir: files.authDir, apiKey: apiKey,
                                           extra: config.extraConfig, disabledProviders: files.disabledProviders(),
                                           proxyURL: config.proxyURL))
        // In place, never by rename: cli-proxy-api watches the file's inode.
        if try Files.rewriteInPlace(files.configYAML, Array(yaml.utf8), mode: 0o600, force: force) {
            configWrites.withLock { $0 += 1 }
        }
    }

    /// supervisord is about to exit (its IPC peers still connected). When the
    /// backend goes too, edged is told to stop sending to it first (and
    /// confirms) — the backend lets go of its port at the SIGTERM.
    func prepareStop(keepBackend: Bool) {
        guard !keepBackend, child.value != nil else { return }
        backendStopping.value = true
        withdrawListener { $0.message = "supervisord is stopping the backend" }
        releaseListener()
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
        forgetIdentity()
    }
}
