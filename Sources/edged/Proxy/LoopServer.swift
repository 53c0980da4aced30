import EdgeCore
import Glibc
import IPC
import Shared

/// Something a loop server keeps in a list, knowing its own index there.
protocol LoopSlotted: AnyObject {
    var slot: Int { get set }
}

extension ClientConnection: LoopSlotted {}
extension UpgradeTunnel: LoopSlotted {}

/// One loop's share of the server: accepts from the shared listeners (the
/// TCP one, and the optional Unix one; EPOLLEXCLUSIVE spreads accepts over
/// the loops), owns its client
/// connections and its upstream pool, and sweeps timeouts on each tick.
final class LoopServer {
    let loop: EventLoop
    let context: EdgeContext
    let pool: UpstreamPool
    let metrics: LoopMetrics
    /// Random ids for this loop's requests (request ids, Factory's session and message ids).
    let ids = RandomPool()
    /// The TCP listener first, then the optional Unix-socket one.
    private let listeners: [Socket]
    private var acceptors: [Acceptor] = []
    private var connections: [ClientConnection] = []
    /// libcurl on this loop, for the Factory route: made on first use (a
    /// backend-only edged never starts it); nil if it could not start.
    private(set) lazy var curl: CurlLoop? = {
        do { return try CurlLoop(loop: loop) } catch {
            Log.error("edged: libcurl could not start on loop \(loop.index); Factory requests get 502: \(error)")
            return nil
        }
    }()
    /// Client connections that became WebSocket tunnels (each still one of limits.maxConnections).
    private var tunnels: [UpgradeTunnel] = []
    private var accepting = true
    /// Accepting is paused until then (monotonic ns; 0: not paused): accept
    /// failed for want of descriptors or memory (see `acceptFailed`).
    private var acceptPausedUntil: UInt64 = 0
    /// How long a loop leaves the listener alone after EMFILE and the like.
    static let acceptPauseNanos: UInt64 = 500_000_000
    /// Set when edged is stopping: no new requests on kept-alive connections.
    private(set) var draining = false
    /// A reload is handing this loop's connections to the new generation.
    private(set) var handover: HandoverSender? = nil
    /// The new generation could not take them: answer with Connection: close.
    private(set) var closeMode = false

    /// One listener's events, for its loop: which listener is readable.
    final class Acceptor: LoopHandler {
        unowned(unsafe) let server: LoopServer
        let index: Int
        init(server: LoopServer, index: Int) {
            self.server = server
            self.index = index
        }
        func handleEvent(_ mask: UInt32) { server.acceptBatch(from: index) }
    }

    init(loop: EventLoop, listeners: [Socket], context: EdgeContext) {
        self.loop = loop
        self.listeners = listeners
        self.context = context
        self.pool = UpstreamPool(loop: loop, address: context.backend, gate: context.peers.gate)
        self.metrics = context.loopMetrics[loop.index]
    }

    func start() throws(SystemError) {
        acceptors = listeners.indices.map { Acceptor(server: self, index: $0) }
        try watchListeners()
        loop.onTick { [unowned self] in tick() }
    }

    /// A tunnel counts as a request in flight: a stop waits for it as for a stream.
    var activeRequests: Int { connections.reduce(0) { $0 + ($1.state == .idle ? 0 : 1) } + tunnels.count }

    private func watchListeners() throws(SystemError) {
        for (l, a) in zip(listeners, acceptors) { try loop.register(l.fd, events: Epoll.readable | Epoll.exclusive, handler: a) }
    }

    private func unwatchListeners() {
        for l in listeners { loop.unregister(l.fd) }
    }

    /// Accepts a batch of pending connections from listener `index` (0: TCP, 1: Unix).
    func acceptBatch(from index: Int) {
        guard accepting, acceptPausedUntil == 0 else { return }
        let listener = listeners[index]
        let isUnix = index > 0
        for _ in 0..<64 {
            let client: Socket?
            do { client = try listener.accept(nonBlocking: true) } catch {
                return acceptFailed(error)
            }
            guard let client else { return }
            if !isUnix { try? client.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
            if !context.allowedUIDs.isEmpty, let refused = userRefused(client, unix: isUnix) {
                if let c = add(client, counted: false) { refuseUser(c, refused) }
                continue
            }
            let full = context.liveConnections.load(ordering: .relaxed) >= context.config.limits.maxConnections
            guard let c = add(client, counted: false), full else { continue }
            refuseOverCapacity(c)
        }
    }

    /// limits.maxConnections is reached: this connection gets a 503 with
    /// Retry-After at once and closes (after a short linger, so the answer is
    /// not lost to a reset).
    private func refuseOverCapacity(_ c: ClientConnection) {
        let limit = context.config.limits.maxConnections
        c.refuseAtOnce(context.connectionsFullReply, log: context.connectionRefusals) { n in
            "edged: refused \(n) connection(s) since the last such line: limits.maxConnections (\(limit)) reached"
        }
    }

    /// clients.allowedUsers: who owns the client's end of this connection, by
    /// the kernel's word (one sock_diag lookup); nil when that user may use
    /// the edge, else what to say about the one refused.
    /// A Unix-socket peer's uid is its SO_PEERCRED.
    private func userRefused(_ client: Socket, unix: Bool) -> String? {
        do {
            let uid = unix ? try client.peerCredentials().uid : try SocketOwner.uidOfPeer(client)
            return context.allowedUIDs.contains(uid) ? nil : "uid \(uid) (\(Users.name(of: uid)))"
        } catch {
            return "a peer whose owner the kernel did not tell (\(error))"
        }
    }

    private func refuseUser(_ c: ClientConnection, _ who: String) {
        c.refuseAtOnce(context.userRefusedReply, status: 403, log: context.userRefusals) { n in
            "edged: refused a connection from \(who): not in clients.allowedUsers (\(n) such refusal(s) since the last such line)"
        }
    }

    /// accept(2) failed. Out of descriptors (EMFILE, ENFILE) or kernel memory
    /// (ENOBUFS, ENOMEM) the pending connection stays in the backlog and the
    /// listener stays readable: retrying at once would spin (issue 25: 282,929
    /// log lines in 9 s). So this loop stops watching the listener for
    /// `acceptPauseNanos` (as nginx disables its accept events), the tick puts
    /// it back, and one line a second at most says so, with the count.
    private func acceptFailed(_ error: SystemError) {
        let scarce = [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errno)
        if scarce {
            acceptPausedUntil = loop.now + Self.acceptPauseNanos
            unwatchListeners()
        }
        context.acceptFailures.warn(now: loop.now) { n in
            "edged: accept failed: \(error) (\(n) failed accept(s) since the last such line)"
                + (scarce ? "; pausing accepts for \(Self.acceptPauseNanos / 1_000_000) ms at a time until descriptors free up" : "")
        }
    }

    /// The tick: the accept pause is over.
    private func resumeAccepting(now: UInt64) {
        guard acceptPausedUntil != 0, now >= acceptPausedUntil else { return }
        acceptPausedUntil = 0
        guard accepting else { return }
        do { try watchListeners() } catch {
            Log.error("edged: could not watch the listener again after an accept pause: \(error)")
        }
    }

    /// `counted`: a connection this process already owned (taken back from a failed handover).
    private func add(_ socket: Socket, counted: Bool) -> ClientConnection? {
        let c = ClientConnection(socket: socket, loop: loop, server: self, context: context)
        if !counted { context.liveConnections.add(1, ordering: .relaxed) }
        do { try c.start() } catch {
            socket.close()
            context.liveConnections.subtract(1, ordering: .relaxed)
            return nil
        }
        c.slot = connections.count
        connections.append(c)
        metrics.connectionOpened()
        return c
    }

    /// A connection another generation (or our own failed handover) gives us,
    /// with the bytes already read from it; a WebSocket tunnel with both its sockets.
    func adopt(_ d: DetachedConnection, closeMode: Bool) {
        if let t = d.tunnel {
            if !closeMode { context.liveConnections.add(1, ordering: .relaxed) }
            return d.pending.withUnsafeBytes { up in
                t.toClient.withUnsafeBytes { down in startTunnel(client: d.socket, upstream: t.upstream, toClient: down, toUpstream: up) }
            }
        }
        guard let c = add(d.socket, counted: closeMode) else { return }
        c.resume(pending: d.pending, closeMode: closeMode)
    }

    /// A client connection (already counted in liveConnections, already out
    /// of `connections`) and its backend connection become a tunnel after a 101.
    func startTunnel(client: Socket, upstream: Socket, toClient: UnsafeRawBufferPointer, toUpstream: UnsafeRawBufferPointer) {
        let t = UpgradeTunnel(server: self, client: client, upstream: upstream, toClient: toClient, toUpstream: toUpstream)
        t.slot = tunnels.count
        tunnels.append(t)
        metrics.connectionOpened()
        do { try t.start() } catch {
            Log.warning("edged: could not watch a WebSocket tunnel's sockets: \(error)")
            t.finish(nil)
            return
        }
        // A reload under way: the tunnel goes to the new generation at once.
        if let handover, !t.closed { t.handOff(handover) }
    }

    /// A tunnel closed or went to the new generation.
    func tunnelEnded(_ t: UpgradeTunnel, handedOver: Bool) {
        guard Self.remove(t, from: &tunnels) else { return }
        metrics.connectionClosed()
        // Handed over: the sender's ack counts it out (`delivered`), as for a connection.
        if !handedOver { context.liveConnections.subtract(1, ordering: .relaxed) }
    }

    /// Reload: stop accepting and hand every connection to the new generation,
    /// idle ones now, busy ones when their exchange ends.
    func beginHandover(_ sender: HandoverSender) {
        draining = true
        if accepting {
            accepting = false
            if acceptPausedUntil == 0 { unwatchListeners() }
        }
        guard !sender.hasFailed else { return handoverFailed() }
        handover = sender
        for c in connections where c.state == .idle { c.handOff(sender) }
        for t in tunnels { t.handOff(sender) }
    }

    /// The new generation refused or died: keep what is left and close each after its answer.
    func handoverFailed() {
        handover = nil
        closeMode = true
    }

    func remove(_ c: ClientConnection) {
        guard Self.remove(c, from: &connections) else { return }
        metrics.connectionClosed()
    }

    /// Takes `item` out of `list` by its slot, the last element moving into its
    /// place (no search, no shifting); false when it was not there.
    private static func remove<T: LoopSlotted>(_ item: T, from list: inout [T]) -> Bool {
        let i = item.slot
        guard i >= 0, i < list.count, list[i] === item else { return false }
        let last = list.removeLast()
        if last !== item {
            list[i] = last
            last.slot = i
        }
        item.slot = -1
        return true
    }

    /// Stops accepting (the listener stays open for whoever takes over).
    func stopAccepting() {
        draining = true
        closeIdle()
        guard accepting else { return }
        accepting = false
        if acceptPausedUntil == 0 { unwatchListeners() }
    }

    /// Closes idle keep-alive connections (used when draining). A connection
    /// accepted but not yet used keeps its chance to send its first request
    /// (it is closed after that answer): closing it would reset a client that
    /// is about to write. One with answers still queued (a slow or pipelining
    /// client) closes once they are written.
    func closeIdle() {
        for c in connections where c.state == .idle && c.requestsServed > 0 {
            if c.queuedBytes == 0 { c.close() } else { c.beginClosing() }
        }
    }

    private func tick() {
        let now = loop.now
        resumeAccepting(now: now)
        var i = 0
        while i < connections.count {
            let c = connections[i]
            c.tick(now: now)
            if i < connections.count && connections[i] === c { i += 1 }
        }
        i = 0
        while i < tunnels.count {
            let t = tunnels[i]
            t.tick(now: now, timeoutNanos: context.upstreamTimeoutNanos)
            if i < tunnels.count && tunnels[i] === t { i += 1 }
        }
    }

    /// `detailed`: pids, peers and the backend's command and messages — for
    /// keyed clients, or loopback clients when no keys are set. Others learn
    /// only that edged answers and the backend's state.
    func healthBody(detailed: Bool) -> [UInt8] {
        let peers = context.peers
        guard detailed else {
            let state = peers.backend?.state ?? "unknown"
            return JSONValue.object(["status": "ok", BackendReport.statusKey: ["state": .string(state)]]).serialized()
        }
        let body: JSONValue = [
            "status": "ok",
            "edged": ["pid": .int(Int(Users.currentPID)), "uptimeSeconds": .int(Int(Monotonic.seconds() - context.startedAt))],
            "authd": Peers.describe(peers.authd.status),
            "supervisord": Peers.describe(peers.supervisord.status),
            BackendReport.statusKey: peers.backendPublic,
        ]
        return body.serialized()
    }
}
