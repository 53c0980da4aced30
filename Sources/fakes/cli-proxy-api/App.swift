import FakeKit
import Shared

/// Start-up: the order of output and exits mirrors the real binary closely
/// enough that droidgate's supervisor meets the same surprises.
enum App {
    static func main(_ arguments: [String]) -> Never {
        let options: Options
        switch Options.parse(arguments) {
        case .help:
            printOut(Options.usage)
            exitProcess(0)
        case .version:
            printOut("fake-cli-proxy-api (droidgate) \(Droidgate.version)")
            exitProcess(0)
        case .failure(let message):
            printError(message)
            printError(Options.usage)
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
        }
        let authDir = expandHome(config.authDir ?? "~/.cli-proxy-api")

        if let provider = options.login {
            exitProcess(Login.run(provider: provider, authDir: authDir, noBrowser: options.noBrowser))
        }
        if options.localModel {
            Log.info("Local model mode: using embedded model catalogs, remote model updates disabled")
        }

        var settings = ServerSettings()
        settings.apiKeys = config.apiKeys
        settings.record = options.record
        settings.failHealth = options.failHealth
        settings.defaults = options.defaults
        let backend = FakeBackend(settings: settings, hang: HangSwitch(afterMilliseconds: options.hangAfterMs))

        let signals = SignalHandlers { event in
            guard case .terminate(let sig) = event else { return }
            Log.notice("received \(SignalHandlers.name(sig)), shutting down")
            exitProcess(0)
        }

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
            + (settings.apiKeys.isEmpty ? "" : " (\(settings.apiKeys.count) api key(s) required)")
            + (settings.record ? ", recording requests" : ""))
        withExtendedLifetime(signals) {
            HTTPServer(listener: listener, service: backend).run()
        }
    }
}
