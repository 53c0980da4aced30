import Shared

/// The client-facing listening socket: passed in by systemd or the launcher
/// (LISTEN_FDS, name "http"), or bound by edged itself.
struct EdgeListener: Sendable {
    let socket: Socket
    let address: String
    let inherited: Bool

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    static func acquire(config: Config, passed: ListenFDs) throws -> EdgeListener {
        let candidate = passed.first(named: "http")
            ?? passed.entries.first(where: { $0.name == "unknown" })?.fd
        if let fd = candidate {
            let s = Socket(fd: fd)
            guard s.isListeningStream() else {
                throw Refused(description: "the socket passed as fd \(fd.rawValue) is not a listening stream socket")
            }
            let addr = s.localAddress()
            try checkExposure(addr, config: config)
            return EdgeListener(socket: s, address: addr?.description ?? "passed socket", inherited: true)
        }
        try checkExposure(config.listen, config: config)
        do {
            return EdgeListener(socket: try Socket.listenTCP(config.listen), address: config.listen.description, inherited: false)
        } catch {
            // A custom address that cannot be bound falls back once to the safe
            // default, loopback, never to all interfaces.
            guard config.listen != Config.defaultListen else { throw error }
            Log.warning("edged: cannot listen on \(config.listen): \(error); falling back to \(Config.defaultListen)")
            return EdgeListener(socket: try Socket.listenTCP(Config.defaultListen), address: Config.defaultListen.description, inherited: false)
        }
    }

    /// A listener reachable from other hosts needs client API keys.
    static func checkExposure(_ address: SocketAddress?, config: Config) throws {
        if let address, let problem = config.exposureProblem(listeningOn: address) { throw Refused(description: problem) }
    }
}
