import IPC
import Shared
import Synchronization

/// What every daemon does the same way: find or bind its IPC socket, serve
/// its op table, tell systemd (or the launcher) it is ready, ping the
/// watchdog, reload on SIGHUP, stop cleanly on SIGTERM/SIGINT.
public final class DaemonHost: Sendable {
    public let name: DaemonName
    public let arguments: DaemonArguments
    private let configBox: Mutex<Config>
    private let startedAt = Monotonic.seconds()
    public let listenFDs: ListenFDs
    private let server = Mutex<IPCServer?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphoreBox()
    /// The IPC listening socket once `run` opened it (handed to a successor on reload).
    public let ipcSocket = Locked<Socket?>(nil)
    /// Set when a successor took over our sockets: exit without removing them.
    private let handedOver = Atomic<Bool>(false)

    public init(name: DaemonName, arguments: DaemonArguments, config: Config, listenFDs: ListenFDs) {
        self.name = name
        self.arguments = arguments
        self.configBox = Mutex(config)
        self.listenFDs = listenFDs
    }

    public var config: Config { configBox.withLock { $0 } }
    public var uptime: Double { Monotonic.seconds() - startedAt }
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// The fields every daemon's `status` reply starts with.
    public func baseStatus(waitingFor: String?) -> JSONObject {
        DaemonStatus(daemon: name.rawValue, version: Droidgate.version, state: DaemonStatus.running,
                     pid: Int(Users.currentPID), uptimeSeconds: Int(uptime), waitingFor: waitingFor).members
    }

    /// The IPC listener: the socket named "ipc" that systemd passed, or one we bind.
    public func ipcListener() throws(SystemError) -> Socket {
        if let fd = listenFDs.first(named: "ipc") { return Socket(fd: fd) }
        let paths = config.paths
        if !Files.exists(paths.runtimeDir) { try Files.makeDirectory(paths.runtimeDir, mode: 0o755) }
        return try Socket.listenUnix(path: paths.socket(name), mode: 0o660)
    }

    /// Serves `ops`, reports READY, and blocks until a stop signal. `reload` gets
    /// the new config after SIGHUP (an invalid file is logged and the old config kept);
    /// `beforeStop` runs on a stop signal while IPC peers are still connected;
    /// `stop` runs after IPC has stopped, before the process exits.
    /// `reloadSignal`: what SIGHUP does instead of re-reading the config (edged
    /// starts a new generation); `ready`: called once READY has been sent.
    public func run(ops: [Op], readyStatus: String,
                    reload: @escaping @Sendable (Config) -> Void = { _ in },
                    beforeStop: @escaping @Sendable () -> Void = {},
                    stop: @escaping @Sendable () -> Void = {},
                    reloadSignal: (@Sendable () -> Void)? = nil,
                    ready: @escaping @Sendable () -> Void = {}) -> Never {
        let listener: Socket
        do { listener = try ipcListener() } catch {
            Log.error("\(name): cannot open the IPC socket: \(error)")
            exitProcess(1)
        }
        ipcSocket.value = listener
        let s = IPCServer(name: name.rawValue, listener: listener, policy: .standard(), ops: ops)
        server.withLock { $0 = s }
        s.start()

        reloadHandler.value = reload
        let signals = SignalHandlers { [self] event in
            switch event {
            case .reload:
                if let reloadSignal { reloadSignal() } else { reloadConfig(reload) }
            case .terminate(let sig):
                guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
                Log.info("\(name): \(SignalHandlers.name(sig)) received, stopping")
                Notify.stopping(status: "stopping")
                beforeStop()
                // A socket systemd passed in is systemd's too: shutting it down would break it for the next instance.
                s.stop(closeListener: !listenFDs.entries.contains { $0.name == "ipc" })
                stop()
                done.signal()
            }
        }
        startWatchdog()
        Log.info("\(name) \(Droidgate.version) ready: \(readyStatus)")
        Notify.ready(status: readyStatus)
        ready()
        while !done.wait(seconds: 3600) {}
        withExtendedLifetime(signals) {}
        if !handedOver.load(ordering: .acquiring) && !listenFDs.entries.contains(where: { $0.name == "ipc" }) {
            Files.remove(config.paths.socket(name))
        }
        Log.info("\(name): stopped")
        exitProcess(0)
    }

    private let reloadHandler = Locked<(@Sendable (Config) -> Void)?>(nil)

    /// Re-reads the config as SIGHUP does (for an IPC `reload` op).
    public func reload() {
        if let apply = reloadHandler.value { reloadConfig(apply) }
    }

    /// A successor now owns our sockets: stop serving IPC, run `drain`, exit 0
    /// (leaving the socket files to the successor).
    public func handOverAndExit(drain: @escaping @Sendable () -> Void) {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        handedOver.store(true, ordering: .releasing)
        server.withLock { $0 }?.stop(closeListener: false)
        drain()
        done.signal()
    }

    private func reloadConfig(_ apply: @Sendable (Config) -> Void) {
        Notify.reloading(status: "reloading config")
        do {
            let fresh = try ConfigLoader.load(path: arguments.configPath, environment: Environment.all())
            configBox.withLock { $0 = fresh }
            Log.setLevel(fresh.logLevel)
            apply(fresh)
            Log.info("\(name): config reloaded from \(fresh.file ?? "built-in defaults")")
        } catch {
            Log.error("\(name): reload refused, keeping the running config: \(error)")
        }
        Notify.send(["READY=1", "STATUS=running"])
    }

    /// Pings systemd's watchdog at half the interval it asked for.
    private func startWatchdog() {
        guard let interval = Notify.watchdogInterval(pid: Users.currentPID) else { return }
        startThread("watchdog") { [self] in
            while !isStopping {
                Notify.watchdog()
                sleepSeconds(interval / 2)
            }
        }
    }

    /// Updates the STATUS= line systemd shows.
    public func status(_ text: String) { Notify.status(text) }
}
