import Shared

/// What every fake's main does the same way: the command-line outcomes
/// (--help, --version, a usage error) and serving on a TCP port until SIGTERM.
public enum FakeMain {
    public static func help(_ usage: String) -> Never {
        printOut(usage)
        exitProcess(0)
    }

    public static func version(_ name: String) -> Never {
        printOut("\(name) (droidgate) \(Droidgate.version)")
        exitProcess(0)
    }

    public static func usageError(_ message: String, _ usage: String) -> Never {
        printError(message)
        printError(usage)
        exitProcess(2)
    }

    /// Listens on host:port, prints "<name> listening on http://HOST:PORT", logs
    /// `describe(bound)`, and serves `makeService(bound)` until SIGTERM/SIGINT
    /// (then `beforeExit` runs and the process exits 0).
    public static func serve<Service: FakeService>(name: String, host: String, port: Int,
                                                   describe: (String) -> String,
                                                   beforeExit: @escaping @Sendable () -> Void = {},
                                                   makeService: (String) -> Service) -> Never {
        let listener: Socket
        do {
            listener = try Listen.tcp(host: host, port: port)
        } catch {
            printError("\(name): listen on \(host):\(port): \(error)")
            exitProcess(1)
        }
        let bound = listener.localAddress()?.description ?? "\(host):\(port)"
        let service = makeService(bound)
        let signals = SignalHandlers { event in
            guard case .terminate(let sig) = event else { return }
            Log.notice("received \(SignalHandlers.name(sig)), shutting down")
            beforeExit()
            exitProcess(0)
        }
        printOut("\(name) listening on http://\(bound)")
        Log.notice(describe(bound))
        withExtendedLifetime(signals) {
            HTTPServer(listener: listener, service: service).run()
        }
    }
}
