import FakeKit
import Glibc
import Shared

/// Start-up: the order of output and exits mirrors the real binary closely
/// enough that droidgate's supervisor meets the same surprises.
enum App {
    static func main(_ arguments: [String]) -> Never {
        let options: Options
        switch Options.parse(arguments) {
        case .help:
            // As the real one: the version line (stdout, before flag parsing), then
            // Go's flag answer to -h/-help: the usage on stderr, exit 0. The fake's
            // own knobs follow.
            printOut("CLIProxyAPI Version: fake, Commit: none, BuiltAt: unknown")
            printError(RealFlags.usage(argv0: CommandLine.arguments.first ?? "cli-proxy-api",
                                       oldBuild: arguments.contains { $0.hasSuffix("-old-build") }))
            printError(Options.usage)
            exitProcess(0)
        case .version:
            printOut("fake-cli-proxy-api (droidgate) \(Droidgate.version)")
            exitProcess(0)
        case .failure(let message):
            // Go's flag package: the error, the program's usage (RealFlags), exit 2.
            printError(message)
            printError(RealFlags.usage(argv0: CommandLine.arguments.first ?? "cli-proxy-api",
                                       oldBuild: arguments.contains { $0.hasSuffix("-old-build") }))
            exitProcess(2)
        case .run(let o):
            options = o
        }

        printOut("CLIProxyAPI Version: fake, Commit: none, BuiltAt: unknown")
        if let code = options.exitImmediately {
            // The real binary logs a fatal error and returns from main, so it exits 0.
            Log.error("fatal: failed to start service (--exit-immediately \(code))")
            exitProcess(code)
        }

        var config = ConfigFile()
        if let path = options.configPath {
            do {
                config = try ConfigFile.load(path)
            } catch {
                // As the real one: log and return from main (status 0).
                Log.error("failed to load config: \(error)")
                exitProcess(0)
            }
            if !config.unknownKeys.isEmpty {
                Log.debug("config keys cli-proxy-api does not know (ignored): \(config.unknownKeys.joined(separator: ", "))")
            }
        }
        let authDir = expandHome(config.authDir ?? "~/.cli-proxy-api")

        if let login = options.login {
            exitProcess(Login.run(login, options: options, authDir: authDir))
        }
        if options.localModel {
            Log.info("Local model mode: using embedded model catalogs, remote model updates disabled")
        }

        var settings = ServerSettings()
        settings.record = options.record
        settings.failHealth = options.failHealth
        settings.defaults = options.defaults
        let live = LiveConfig(config, loads: options.configPath == nil ? 0 : 1)
        let backend = FakeBackend(settings: settings, hang: HangSwitch(afterMilliseconds: options.hangAfterMs), live: live)

        var host = options.host ?? config.host ?? "127.0.0.1"
        if host.isEmpty { host = "127.0.0.1" }
        let port = options.port ?? config.port ?? 8318
        let text = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let listener: Socket
        do {
            guard let address = SocketAddress(parsing: text) else {
                throw SystemError("listen", errno: 22, subject: text)   // EINVAL: not a numeric address
            }
            listener = try Socket.listenTCP(address)
        } catch {
            // The real binary announces success before it learns the bind failed.
            printOut("API server started successfully on: \(port)")
            Log.error("failed to start HTTP server: listen tcp \(text): \(error)")
            exitProcess(1)
        }
        let bound = listener.localAddress()
        printOut("API server started successfully on: \(bound?.port ?? UInt16(port))")
        Log.notice("fake-cli-proxy-api listening on \(bound?.description ?? text)"
            + (config.apiKeys.isEmpty ? "" : " (\(config.apiKeys.count) api key(s) required)")
            + (settings.record ? ", recording requests" : ""))

        let server = HTTPServer(listener: listener, service: backend)
        // The watcher starts after the server (sdk/cliproxy/service_lifecycle.go Run).
        let watcher = options.configPath.map { ConfigWatcher(path: $0, live: live) }
        // SIGINT/SIGTERM: a graceful shutdown (service_lifecycle.go Shutdown: the
        // watcher stops first, then the HTTP server's Shutdown, up to 30 s).
        // Installed before any thread starts: threads inherit the blocked mask.
        let signals = SignalHandlers { event in
            guard case .terminate(let sig) = event else {
                // internal/cmd/run.go only notifies SIGINT and SIGTERM: Go's default
                // for SIGHUP is to die of it (no reload, no graceful shutdown).
                Log.notice("received SIGHUP, which cli-proxy-api does not handle: dying of it")
                dieOfSIGHUP()
            }
            Log.notice("received \(SignalHandlers.name(sig)), shutting down")
            watcher?.stop()
            server.requestStop()
        }
        if let watcher {
            if options.watchDelayMs > 0 {
                let delay = options.watchDelayMs
                startThread("config-watch-delay") {
                    usleep(UInt32(delay) * 1000)
                    watcher.start()
                }
            } else {
                watcher.start()
            }
        }
        withExtendedLifetime(signals) {
            server.acceptUntilStopped()
            if !server.drain(graceMilliseconds: options.shutdownGraceMs) {
                Log.error("service shutdown returned error: error stopping API server: failed to shutdown HTTP server: context deadline exceeded")
            }
        }
        exitProcess(0)
    }

    private static func dieOfSIGHUP() -> Never {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGHUP, SIG_DFL)
        raise(SIGHUP)
        exitProcess(128 + SIGHUP)
    }
}
