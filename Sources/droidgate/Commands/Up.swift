import Glibc
import IPC
import Shared

/// `droidgate up`: the dev launcher. Creates the dev root, binds the edge
/// listener itself and hands it to edged the systemd way, runs the three
/// daemons as children (restarting any that dies), and stops them all on
/// Ctrl-C or SIGTERM.
enum UpCommand {
    static let help = """
    Usage: droidgate up [--config PATH] [--root DIR] [--demo]

    Runs authd, supervisord and edged locally, each as its own process, with
    their logs prefixed by name on this terminal. A daemon that dies is
    restarted; the backend (cli-proxy-api) keeps running across supervisord
    restarts, as under systemd. Stop with Ctrl-C: the daemons stop, then the
    backend, which gets backend.stopTimeoutSeconds to finish its streams.

      --config PATH   the droidgate config file (default: built-in defaults)
      --root DIR      the dev root holding run/ and state/ (default: .droidgate
                      beside the config file, or ./.droidgate)
      --demo          use droidgate's built-in fake cli-proxy-api as the backend,
                      for trying droidgate without installing cli-proxy-api

    The edge listener is the config's "listen" (default 127.0.0.1:8317, or
    DROIDGATE_LISTEN). `droidgate status` (with the same --config/--root) shows
    how each daemon is doing.
    """

    static func run(_ args: [String]) -> Never {
        let options = CommandOptions.parse(args, command: "up", help: help, switches: ["--demo"])
        let config = options.loadConfig(command: "up")
        let root = options.devRoot
        let binDir = locateDaemons()

        do {
            try Files.makeDirectory(root, mode: 0o755)
            try Files.makeDirectory(root + "/run", mode: 0o755)
            try Files.makeDirectory(root + "/state", mode: 0o755)
            try Files.makeDirectory(root + "/state/auth", mode: 0o700)
            try Files.makeDirectory(root + "/state/backend", mode: 0o700)
        } catch {
            fail("cannot create the dev root \(root): \(error)")
        }
        // Another user who could write the dev root (or a folder above it)
        // could plant sockets the CLI would talk to: refuse such a place.
        if case .failure(let why) = TrustedDirectory.check(root + "/run") {
            fail("the dev root's \(why)")
        }
        refuseIfRunning(root: root)

        if let problem = config.exposureProblem(listeningOn: config.listen) { fail(problem) }
        let listener: Socket
        do { listener = try Socket.listenTCP(config.listen) } catch {
            fail("cannot listen on \(config.listen): \(error)\(error.errno == EADDRINUSE ? " (is another droidgate or proxy running? set \"listen\" in the config or DROIDGATE_LISTEN)" : "")")
        }

        var env = Environment.all()
        for k in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                  "JOURNAL_STREAM", "DROIDGATE_RUNTIME_DIR", "STATE_DIRECTORY", "INVOCATION_ID"] {
            env.removeValue(forKey: k)
        }
        env["DROIDGATE_ROOT"] = root
        // Children report READY/STATUS/MAINPID here, as they would to systemd.
        let notifyPath = root + "/run/notify.sock"
        let notify: Socket?
        do { notify = try Socket.bindNotifySocket(path: notifyPath) } catch {
            Log.warning("droidgate up: no notify socket (\(error)); reloads of edged will restart it instead")
            notify = nil
        }
        if notify != nil { env["NOTIFY_SOCKET"] = notifyPath }
        // An edged reload leaves its successor orphaned; as subreaper we inherit and keep supervising it.
        try? Processes.becomeSubreaper()
        if options.switches.contains("--demo") {
            env["DROIDGATE_BACKEND_COMMAND"] = binDir + "/fake-cli-proxy-api"
            DemoAccounts.seed(authDir: root + "/state/backend/auth")
        }
        var daemonArgs: [String] = []
        if let c = options.configPath { daemonArgs = ["--config", Files.absolute(c)] }

        let children = DaemonName.allCases.map { d in
            ManagedChild(spec: .init(name: d.rawValue, executable: "\(binDir)/\(d.rawValue)",
                                     arguments: daemonArgs + (d == .supervisord ? [BackendKeeper.supervisordFlag] : []),
                                     environment: d == .authd ? env : env.filter { !Config.secretEnvironment.contains($0.key) },
                                     listener: d == .edged ? listener : nil))
        }
        let done = DispatchSemaphoreBox()
        let signals = SignalHandlers { event in
            if case .terminate(let sig) = event {
                Log.info("droidgate up: \(SignalHandlers.name(sig)) received, stopping the stack")
                done.signal()
            }
        }
        for c in children { c.start() }
        BackendKeeper.startReaping(managed: children)
        if let notify { NotifyListener.start(notify, children: children) }
        Log.info("droidgate up: dev root \(root), listening on \(config.listen)\(options.switches.contains("--demo") ? ", demo backend" : ""); `droidgate status --root \(root)` shows each daemon")

        while !done.wait(seconds: 3600) {}
        // Stop in reverse order: edged first (stops taking requests), then the
        // others; the backend, which outlives supervisord, last.
        for c in children.reversed() { c.stop(timeout: 10) }
        BackendKeeper.stop(identityFile: root + "/run/" + BackendIdentity.fileName, grace: config.backend.stopTimeoutSeconds)
        listener.close()
        Files.remove(notifyPath)
        withExtendedLifetime(signals) {}
        Log.info("droidgate up: stopped")
        exitProcess(0)
    }

    static func fail(_ message: String) -> Never {
        printError("droidgate up: \(message)")
        exitProcess(1)
    }

    /// The daemons live next to this executable (a build dir) or in /usr/libexec/droidgate.
    static func locateDaemons() -> String {
        var candidates: [String] = []
        if let me = Files.executablePath() { candidates.append(Files.directoryName(me)) }
        candidates.append("/usr/libexec/droidgate")
        for dir in candidates where DaemonName.allCases.allSatisfy({ Files.isExecutable("\(dir)/\($0.rawValue)") }) {
            return dir
        }
        fail("cannot find the authd, supervisord and edged executables in \(candidates.joined(separator: " or ")); build them with `swift build` first")
    }

    /// Two stacks on one dev root would fight over its sockets: refuse early.
    static func refuseIfRunning(root: String) {
        for d in DaemonName.allCases {
            let path = "\(root)/run/\(d.rawValue).sock"
            if let s = try? Socket.connectUnix(path: path) {
                s.close()
                fail("a droidgate stack is already running on the dev root \(root) (\(path) answers); stop it first or use --root")
            }
        }
    }
}
