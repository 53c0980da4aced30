import Glibc
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

    /// The passed sockets that may be client listeners: named "http" (one
    /// socket unit may carry a TCP and a Unix `ListenStream=`, both under its
    /// one FileDescriptorName=), "unix", or unnamed.
    static func passedListeners(_ passed: ListenFDs, unix: Bool) -> [FileDescriptor] {
        passed.entries.filter { ["http", "unix", "unknown"].contains($0.name) }.map(\.fd)
            .filter { (Socket(fd: $0).domain() == AF_UNIX) == unix }
    }

    static func acquire(config: Config, passed: ListenFDs) throws -> EdgeListener {
        let candidate = passedListeners(passed, unix: false).first
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

    /// The optional Unix-socket listener: passed in (the unit set's
    /// /run/droidgate/edge.sock, or a previous generation's), else bound at
    /// `clients.unixSocket` when that is set. Mode 0666: who may use it is
    /// decided per connection (SO_PEERCRED against clients.allowedUsers),
    /// as for the TCP listener, which every local user can reach too.
    static func acquireUnix(config: Config, passed: ListenFDs) throws -> EdgeListener? {
        if let fd = passedListeners(passed, unix: true).first {
            let s = Socket(fd: fd)
            guard s.isListeningStream() else {
                throw Refused(description: "the Unix socket passed as fd \(fd.rawValue) is not a listening stream socket")
            }
            return EdgeListener(socket: s, address: "passed Unix socket", inherited: true)
        }
        guard let path = config.clients.unixSocket else { return nil }
        return EdgeListener(socket: try Socket.listenUnix(path: path, mode: 0o666), address: path, inherited: false)
    }
}
