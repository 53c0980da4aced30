import Glibc

/// The in-process relay that carries this daemon's outbound HTTPS calls
/// through the configured proxies.
///
/// Why a relay: URLSession on Linux (swift-corelibs-foundation, EasyHandle.swift)
/// never sets libcurl's proxy options — `connectionProxyDictionary` is ignored —
/// so libcurl only finds a proxy in the process's `https_proxy`/`http_proxy`.
/// Pointing those at one fixed upstream proxy would give neither round-robin,
/// nor `noProxy` by our rules, nor errors we can word. So the daemon points them
/// at this relay, a SOCKS5 server on a Unix socket (`socks5h://localhost/<path>`,
/// libcurl ≥ 7.84), and the relay opens each tunnel itself: CONNECT through the
/// next proxy, or a direct connection for a `noProxy` host.
///
/// Who may use it: only this process. The socket lives in a fresh 0700
/// directory and every accepted peer's SO_PEERCRED pid must be our own, so
/// another local user — or a child we start — cannot borrow the proxies'
/// credentials. A TCP listener could not be checked as well, and the units
/// forbid binding IP ports (SocketBindDeny=any).
public final class OutboundRelay: Sendable {
    public let socketPath: String
    public let routes: OutboundRoutes
    private let listener: Socket
    private let timeoutSeconds: Double
    private let ownPID: pid_t

    public init(routes: OutboundRoutes, socketPath: String, timeoutSeconds: Double = 30) throws(SystemError) {
        self.routes = routes
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
        self.ownPID = getpid()
        listener = try Socket.listenUnix(path: socketPath, mode: 0o600, backlog: 64)
    }

    /// The proxy URL libcurl is given.
    public var curlProxyURL: String { "socks5h://localhost" + socketPath }

    public func start() {
        startThread("outbound-relay") { [self] in
            while true {
                let c: Socket?
                do { c = try listener.accept() } catch {
                    Log.error("outbound relay: accept on \(socketPath) failed, outbound calls through proxies stop: \(error)")
                    return
                }
                guard let c else { continue }
                startThread("outbound-tunnel") { [self] in serve(c) }
            }
        }
    }

    private func serve(_ client: Socket) {
        defer { client.close() }
        guard let peer = try? client.peerCredentials(), peer.pid == ownPID else {
            let who = (try? client.peerCredentials()).map { "pid \($0.pid) uid \($0.uid)" } ?? "an unknown peer"
            Log.warning("outbound relay: refused \(who); only this process may use its relay")
            return
        }
        try? client.setTimeouts(seconds: timeoutSeconds)
        var buffer: [UInt8] = []
        guard case .done(let noAuthOffered, let used) = read(client, &buffer, Socks5.parseGreeting) else { return }
        buffer.removeFirst(used)
        guard noAuthOffered else {
            send(client, [Socks5.version, 0xff])
            return
        }
        send(client, [Socks5.version, 0])
        guard case .done(let request, _) = read(client, &buffer, Socks5.parseRequest) else { return }
        let target: Socks5.Target
        switch request {
        case .success(let t): target = t
        case .failure(.commandNotSupported):
            send(client, Socks5.reply(.commandNotSupported)); return
        case .failure(.addressTypeNotSupported):
            send(client, Socks5.reply(.addressTypeNotSupported)); return
        }
        guard let (upstream, leftover) = open(target) else {
            send(client, Socks5.reply(.hostUnreachable))
            return
        }
        defer { upstream.close() }
        send(client, Socks5.reply(.succeeded))
        if !leftover.isEmpty { send(client, leftover) }
        Splice.run(client, upstream)
    }

    private func open(_ t: Socks5.Target) -> (Socket, [UInt8])? {
        switch routes.route(host: t.host) {
        case .direct:
            do {
                let s = try Socket.connectTCP(host: t.host, port: t.port, timeoutSeconds: timeoutSeconds)
                Log.debug("outbound: \(t.host):\(t.port) directly")
                return (s, [])
            } catch {
                Log.warning("outbound: cannot reach \(t.host):\(t.port) directly: \(error)")
                return nil
            }
        case .proxy(let p):
            do {
                let (s, leftover) = try ConnectTunnel.open(through: p, to: t.host, port: t.port, timeoutSeconds: timeoutSeconds)
                Log.debug("outbound: \(t.host):\(t.port) through \(p)")
                return (s, leftover)
            } catch {
                Log.warning("outbound: cannot reach \(t.host):\(t.port): \(error)")
                return nil
            }
        }
    }

    private func read<T>(_ s: Socket, _ buffer: inout [UInt8], _ parse: ([UInt8]) -> Socks5.Parse<T>) -> Socks5.Parse<T>? {
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let p = parse(buffer)
            switch p {
            case .done: return p
            case .invalid(let why):
                Log.warning("outbound relay: bad SOCKS5 message from this process: \(why)")
                return nil
            case .needMore:
                let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try s.fd.read(into: b) }) ?? 0
                if n <= 0 || buffer.count > 600 { return nil }
                buffer.append(contentsOf: chunk[0..<n])
            }
        }
    }

    private func send(_ s: Socket, _ bytes: [UInt8]) {
        try? bytes.withBytes { (b) throws(SystemError) in try s.sendAll(b) }
    }
}

/// Copies bytes both ways between two blocking sockets until the tunnel is
/// done: the client (libcurl) closing ends it at once (libcurl never
/// half-closes); the far side closing is passed on as a half-close.
enum Splice {
    static func run(_ client: Socket, _ far: Socket) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var farOpen = true
        while true {
            let fds = farOpen ? [client.fd, far.fd] : [client.fd]
            guard let ready = try? Poll.anyReadable(fds, timeoutMs: -1) else { return }
            for fd in ready {
                let (from, to) = fd == client.fd ? (client, far) : (far, client)
                let n = (try? buffer.withMutableBytes { (b) throws(SystemError) in try from.fd.read(into: b) }) ?? -1
                if n <= 0 {
                    if from == client { return }
                    farOpen = false
                    client.shutdown(writing: true)
                    continue
                }
                do throws(SystemError) {
                    try buffer.withBytes { (b) throws(SystemError) in try to.sendAll(UnsafeRawBufferPointer(rebasing: b[0..<n])) }
                } catch {
                    return
                }
            }
        }
    }
}
