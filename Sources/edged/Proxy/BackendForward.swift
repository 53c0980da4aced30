import EdgeCore
import Glibc
import Shared

/// Sends one client request to the backend and sees it through: passes the
/// gate (`BackendGate`: nothing, not even a connect, until supervisord has
/// verified who listens on the port), connects (a pooled connection or a new
/// one), holds the request while the backend comes back (the verdicts of
/// `BackendHold`), times the backend out, and gives the client the
/// 502/503/504 that names the cause. The response bytes
/// go to the connection's `ResponseSink`. One per client connection, reused
/// for each of its requests; lives on the connection's loop.
final class BackendForward {
    /// Unowned: the connection owns this. Entry points that write to the
    /// client hold it in a strong local (see `ResponseSink.connection`).
    unowned let connection: ClientConnection
    // unowned(unsafe): never freed while the process runs (see EdgeServer.loops).
    unowned(unsafe) let server: LoopServer
    let context: EdgeContext
    /// The head sent upstream, rebuilt per request in a reused array.
    private(set) var head: [UInt8] = []
    private var hold = BackendHold()
    private(set) var upstream: UpstreamConnection? = nil

    /// Why the request has not reached the backend yet.
    enum Obstacle {
        /// The connect failed, or the connection was reset unread.
        case refused(SystemError)
        /// The gate is closed: no verified backend listener, nothing was sent.
        case unverified
    }
    private var obstacle = Obstacle.unverified

    init(connection: ClientConnection, server: LoopServer, context: EdgeContext) {
        self.connection = connection
        self.server = server
        self.context = context
    }

    /// The upstream connection refers to us unowned: it must not outlive us carrying us.
    deinit {
        if let u = upstream, u.carries(self) { u.abort() }
    }

    /// Writes the forward head from the plan and starts the request.
    func start(_ buf: UnsafeRawBufferPointer, _ requestHead: RequestHead, _ plan: RequestPlan, backendKey: [UInt8]?) {
        ForwardHeadWriter.write(buf, requestHead, plan, host: context.backendHost, backendKey: backendKey, into: &head)
        hold.reset()
        connect()
    }

    /// The request's bytes for the upstream connection: the head, then the (rewritten) body.
    func withRequest<R>(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        head.withUnsafeBytes { h in connection.withBody { body(h, $0) } }
    }

    var requestIsHead: Bool { connection.requestMethodIs("HEAD") }

    /// The request is a WebSocket handshake edged forwarded as one.
    var requestIsUpgrade: Bool { connection.plan.upgrade }

    private func connect() {
        connection.deadline = server.loop.now + context.upstreamTimeoutNanos
        let gate = context.peers.gate
        guard let ticket = gate.admit() else { return held(.unverified) }
        if let u = server.pool.takeIdle(for: ticket) {
            upstream = u
            return u.send(for: self)
        }
        // A new connection: confirmed again once established, before its first byte.
        guard gate.confirm(ticket) else { return held(.unverified) }
        do throws(SystemError) {
            let u = try server.pool.open(ticket)
            upstream = u
            u.send(for: self)
        } catch {
            unreachable(error)
        }
    }

    // MARK: Verdicts (from the upstream connection)

    /// The backend could not be reached.
    func unreachable(_ error: SystemError) { held(.refused(error)) }

    /// Nothing reached the backend. Hold the request while it may be coming
    /// back, then fail with 503 naming the backend's state.
    func held(_ why: Obstacle) {
        let c = connection
        upstream = nil
        obstacle = why
        let backend = BackendState(context.peers.backend)
        switch hold.unreachable(now: server.loop.now, holdNanos: context.holdNanos, backendHopeless: backend.isHopeless) {
        case .giveUp:
            hold.reset()
            c.fail(503, type: "backend_unavailable", message: unavailableMessage(why, backend))
        case .retry:
            c.deadline = hold.holdUntil
        }
    }

    private func unavailableMessage(_ why: Obstacle, _ backend: BackendState) -> String {
        switch why {
        case .refused(let error):
            return "the backend at \(context.backend) is not reachable (\(error.errnoName)): \(backend.description)"
        case .unverified:
            let gate = context.peers.gate
            let state: String
            if let pid = gate.exitedListener {
                state = "the backend (pid \(pid)) has exited; supervisord is restarting it"
            } else if let port = backend.port, port != gate.port {
                state = "supervisord runs the backend on port \(port) but edged is configured for port \(gate.port) (reload edged)"
            } else {
                state = backend.description
            }
            return "the backend at \(context.backend) is not available: \(state)"
        }
    }

    /// A fresh connection was reset before the backend read the whole request
    /// (it was dying or restarting): hold and retry like a refused connect.
    func resetUnread(_ error: SystemError) -> Bool {
        guard hold.mayRetryAfterReset() else { return false }
        unreachable(error)
        return true
    }

    /// A pooled connection failed before the backend read the request: retry once on a fresh one.
    func staleConnection() -> Bool {
        guard hold.mayRetryStaleConnection() else { return false }
        upstream = nil
        connect()
        return true
    }

    /// The upstream failed. Before any response byte: 502. After: the client's
    /// response is cut off so it can tell it is incomplete.
    func failed(_ why: String) {
        let c = connection
        upstream = nil
        if !c.responseStarted {
            c.fail(502, type: "bad_gateway", message: "the backend at \(context.backend) failed: \(why)")
        } else {
            Log.warning("edged: backend response cut off mid-stream: \(why)")
            c.abortResponse(note: "aborted")
        }
    }

    // MARK: The response (from the upstream connection)

    /// A response head (`wire[0..<headCount]`) with the body bytes read along
    /// with it. Returns false when the producer should pause.
    func responseHead(status: Int, wire: UnsafeRawBufferPointer, headCount: Int, producer: ResponseProducer) -> Bool {
        let c = connection
        c.responseBegan(status: status)
        c.sink.reset(producer: producer)
        return c.sink.beginRelayed(wire, headCount: headCount, addClose: c.mustAnnounceClose)
    }

    /// Body bytes; false: pause (the client is slow or gone).
    func relay(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let c = connection
        c.deadline = server.loop.now + context.upstreamTimeoutNanos
        return c.sink.body(bytes)
    }

    /// The backend switched protocols: the client connection and `upstream`
    /// become a tunnel; `fromUpstream` came after the 101's head.
    func upgraded(head: UnsafeRawBufferPointer, upstream socket: Socket, fromUpstream: UnsafeRawBufferPointer) {
        let c = connection
        upstream = nil
        c.beginTunnel(head: head, upstream: socket, fromUpstream: fromUpstream)
    }

    /// The response ended cleanly. `closeClient`: it was delimited by the backend closing.
    func finished(closeClient: Bool) {
        let c = connection
        upstream = nil
        _ = c.sink.end(complete: true)
        c.responseFinished(closeAfter: closeClient)
    }

    // MARK: Time and teardown

    /// Called on the loop's tick while the request is out: a held retry that
    /// is due, or the backend's silence past `limits.upstreamTimeoutSeconds`.
    func tick(now: UInt64) {
        let c = connection
        if upstream == nil && hold.takeDueRetry(now: now) { return connect() }
        guard now >= c.deadline else { return }
        if upstream == nil && hold.isHolding {
            held(obstacle)
        } else if !connection.responseStarted {
            abort()
            c.fail(504, type: "upstream_timeout", message: "the backend sent no response within \(context.config.limits.upstreamTimeoutSeconds) s")
        } else {
            // Mid-stream silence past the upstream timeout: give up on both sides.
            abort()
            c.abortResponse(note: "aborted")
        }
    }

    /// The client is gone or the request is given up: drop the backend side.
    func abort() {
        hold.reset()
        if let u = upstream {
            upstream = nil
            u.abort()
        }
    }
}
