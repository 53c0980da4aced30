import EdgeCore
import Glibc
import Shared

/// One client connection on one loop: the HTTP/1.1 server state machine.
/// Reads a request, has it planned (`RequestPlanner`), hands it to its route
/// (a local reply, `BackendForward`, or the Factory route), and once the
/// route's response has gone through the `ResponseSink`, takes the next
/// (pipelined or keep-alive) request. Lives on its loop's thread only.
final class ClientConnection: LoopHandler {
    enum State {
        case idle            // between requests, nothing buffered
        case readingHead
        case readingBody
        case forwarding      // a route is answering; the client is not read
        case closing         // flushing the last bytes, then close
        case closed
    }

    let socket: Socket
    // unowned(unsafe): never freed while the process runs (see EdgeServer.loops).
    unowned(unsafe) let loop: EventLoop
    unowned(unsafe) let server: LoopServer
    let context: EdgeContext
    var state: State = .idle

    var inBuf = ByteBuffer()
    var outBuf = ByteBuffer()
    /// The current request's head; its header storage is kept across requests.
    var head = RequestHead()
    /// How the current request's body is being read.
    var bodyRead = RequestBodyRead()
    /// Bytes of `inBuf` and the de-chunked body taken from the shared `BufferBudget`.
    private(set) var budgetHeld = 0
    var keepAlive = true
    /// The current request's CORS headers, when its Origin is allowed.
    var cors = RequestCORS()
    /// What the planner decided for the current request.
    var plan = RequestPlan()
    private var backendKey: [UInt8]? = nil
    /// The request being answered: what the access log and metrics need.
    var exchange = Exchange()
    /// The routes' shared way to the client, and the backend route (made on first use).
    private(set) lazy var sink = ResponseSink(connection: self)
    lazy var backend = BackendForward(connection: self, server: server, context: context)
    /// The route answering the current request, while it is out.
    var activeRoute: (any RequestRoute)? = nil

    /// Deadline for the current phase (header read, body read, idle, upstream), monotonic ns.
    var deadline: UInt64 = 0
    var slot = -1   // index in the server's connection list
    /// Requests answered on this connection (a drain closes only kept-alive idle ones).
    var requestsServed = 0
    /// Taken back from a failed handover: every answer says Connection: close.
    var closeMode = false
    /// Hand this connection over once the queued response bytes are written.
    var handOffAfterFlush = false
    var interest: UInt32 = 0
    var lingering = false
    /// `processInput` is on the stack; `inputWaiting`: a request ended inside it
    /// and the next one is due when it unwinds.
    private(set) var inProcessInput = false
    private var inputWaiting = false
    /// Between requests, waiting for the client to take queued answers
    /// (`finishRequest`); reading and answering resume in `flush`.
    var awaitingDrain = false

    static let readChunk = 64 * 1024

    init(socket: Socket, loop: EventLoop, server: LoopServer, context: EdgeContext) {
        self.socket = socket
        self.loop = loop
        self.server = server
        self.context = context
        deadline = loop.now + context.headerTimeoutNanos
    }

    deinit {
        inBuf.release()
        outBuf.release()
    }

    func start() throws(SystemError) {
        interest = Epoll.readable | Epoll.peerClosedWriting
        try loop.register(socket.fd, events: interest, handler: self)
    }

    // MARK: Events

    func handleEvent(_ mask: UInt32) {
        if mask & Epoll.writable != 0 { flush() }
        if state == .closed { return }
        if awaitingDrain {
            // Not reading until the queued answers are taken; a hang-up means the
            // client left. One that only stopped sending may still read: stop
            // watching for that (epoll is level-triggered), and go on writing.
            if mask & (Epoll.hangUp | Epoll.error) != 0 { return clientGone() }
            if mask & Epoll.peerClosedWriting != 0 { setInterest(interest & ~Epoll.peerClosedWriting) }
            return
        }
        if mask & (Epoll.readable | Epoll.peerClosedWriting | Epoll.hangUp | Epoll.error) != 0 {
            if state == .closing {
                if lingering { discardInput() }
                return
            }
            if state == .forwarding {
                // Not reading during forwarding: a hang-up means the client left.
                if mask & (Epoll.peerClosedWriting | Epoll.hangUp | Epoll.error) != 0 { clientGone(); return }
                // Readable while forwarding: the client pipelined its next request (or closed).
                // Stop watching for data until this response is done (level-triggered epoll
                // would otherwise wake us again and again); the bytes wait in the kernel.
                switch socket.peek() {
                case .closed: clientGone()
                case .data: setInterest(Epoll.peerClosedWriting)
                case .nothing: break
                }
                return
            }
            readAvailable()
        }
    }

    /// While another thread works on the response: only watch for the client leaving.
    func setInterestForWaiting() {
        deadline = UInt64.max
        setInterest(Epoll.peerClosedWriting)
    }

    func setInterest(_ events: UInt32) {
        guard events != interest, state != .closed else { return }
        interest = events
        loop.modify(socket.fd, events: events)
    }

    // MARK: Reading requests

    func readAvailable() {
        while state == .idle || state == .readingHead || state == .readingBody, !awaitingDrain {
            // With nothing buffered, read into the loop's scratch first: an idle
            // keep-alive connection then holds no buffer (a read that finds
            // nothing must not leave 64 KiB behind). Mid-request, read in place.
            let fresh = inBuf.isEmpty
            if !fresh {
                // A body of known length grows the buffer to its size and no further.
                var want = Self.readChunk, ceiling = Int.max
                if state == .readingBody, case .length(let n) = head.framing {
                    ceiling = head.headLength + n
                    want = max(1, min(want, ceiling - inBuf.readableCount))
                }
                guard reserveInput(want, ceiling: ceiling) else { return refuseOverBudget() }
            }
            let target = fresh ? UnsafeMutableRawBufferPointer(rebasing: loop.scratch[0..<Self.readChunk]) : inBuf.writable
            let n: Int?
            do { n = try socket.fd.readNonBlocking(into: target) } catch {
                close()
                return
            }
            guard let n else { break }
            if n == 0 {
                // The client closed its side. A partial request is abandoned; answers
                // still queued (a client that half-closed and reads) are written first.
                if queuedBytes > 0 { beginClosing() } else { close() }
                return
            }
            if fresh {
                inBuf.append(UnsafeRawBufferPointer(rebasing: target[0..<n]))
                guard settleBudget() else { return refuseOverBudget() }
            } else {
                inBuf.didWrite(n)
            }
            processInput()
            if n < Self.readChunk / 2 { break }
        }
    }

    /// Advances the request state machine with whatever is buffered.
    ///
    /// A request can end inside this call (answered on the spot, or a Factory
    /// transfer libcurl finished before returning) and `finishRequest` then
    /// asks for the next one: that is a note for the loop below, never a
    /// nested call. Nesting grew the stack by one request's frames per
    /// pipelined request, and a few hundred pipelined requests overflowed the
    /// loop thread's stack and took every connection of the process down.
    func processInput() {
        if inProcessInput {
            inputWaiting = true
            return
        }
        guard !awaitingDrain else { return }   // `flush` resumes
        inProcessInput = true
        defer { inProcessInput = false }
        repeat {
            inputWaiting = false
            advance()
        } while inputWaiting && state == .idle && !awaitingDrain
    }

    private func advance() {
        while true {
            switch state {
            case .idle:
                guard !inBuf.isEmpty else { return }
                state = .readingHead
                exchange.started = loop.now
                deadline = exchange.started + context.headerTimeoutNanos
            case .readingHead:
                switch RequestParser.parse(inBuf.readable, maxBody: context.config.limits.maxBodyBytes, into: &head) {
                case .incomplete:
                    return
                case .failed(let e):
                    head.reset()
                    reject(e)
                    return
                case .complete:
                    keepAlive = head.keepAlive
                    bodyRead.sentContinue = false
                    guard admit() else { return }
                    state = .readingBody
                    bodyRead.chunked = nil
                    bodyRead.dechunked.removeAll(keepingCapacity: true)
                    bodyRead.receivedFromChunks = 0
                    if case .chunked = head.framing { bodyRead.chunked = ChunkedDecoder(maxBody: context.config.limits.maxBodyBytes) }
                    // The body must keep coming: silence for headerTimeoutSeconds ends it, and
                    // the whole body must arrive within headerTimeoutSeconds + its length at
                    // limits.minBodyBytesPerSecond (a chunked one: what has come so far, at
                    // least 1 MiB, so its total stays bounded by maxBodyBytes at that rate).
                    bodyRead.started = loop.now
                    setBodyDeadline(expected: { if case .length(let n) = head.framing { return n }; return 1 << 20 }())
                    deadline = min(bodyRead.started + context.headerTimeoutNanos, bodyRead.deadline)
                }
            case .readingBody:
                guard bodyComplete() else {
                    // Never after an error answer (bodyComplete may have refused the body).
                    guard state == .readingBody else { return }
                    if head.expectContinue && !bodyRead.sentContinue {
                        bodyRead.sentContinue = true
                        send(LocalReply.continue100)
                    }
                    // Bytes arrived (or the head just completed): the silence clock restarts.
                    deadline = min(loop.now + context.headerTimeoutNanos, bodyRead.deadline)
                    return
                }
                dispatch()
                return
            case .forwarding, .closing, .closed:
                return
            }
        }
    }

    /// True once the whole body is buffered (decoding chunks as they come).
    private func bodyComplete() -> Bool {
        switch head.framing {
        case .none: return true
        case .length(let n): return inBuf.readableCount >= head.headLength + n
        case .chunked:
            let raw = inBuf.readable
            let start = head.headLength + bodyRead.receivedFromChunks
            guard raw.count > start else { return bodyRead.chunked!.isComplete }
            do {
                // One access to `bodyRead` at a time (a class property: exclusivity is checked as a whole).
                var decoder = bodyRead.chunked!
                var dechunked = bodyRead.dechunked
                bodyRead.dechunked = []   // the buffer moves out and back: no copy
                defer {
                    bodyRead.chunked = decoder
                    bodyRead.dechunked = dechunked
                }
                let used = try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[start...]), into: &dechunked)
                bodyRead.receivedFromChunks += used
            } catch {
                reject(error)
                return false
            }
            guard settleBudget() else {
                refuseOverBudget()
                return false
            }
            if bodyRead.receivedFromChunks > 1 << 20 { setBodyDeadline(expected: bodyRead.receivedFromChunks) }
            return bodyRead.chunked!.isComplete
        }
    }

    /// The body's deadline: `bodyRead.started` + headerTimeoutSeconds + `expected`
    /// bytes at limits.minBodyBytesPerSecond.
    private func setBodyDeadline(expected: Int) {
        let rate = UInt64(context.config.limits.minBodyBytesPerSecond)
        bodyRead.deadline = bodyRead.started + context.headerTimeoutNanos + UInt64(expected) * 1_000_000_000 / rate
    }

    // MARK: The buffer budget

    /// What a connection's buffers hold beyond this counts against the budget:
    /// a head (64 KiB at most) and a small body never do, so a plain request
    /// is not refused while others hold the budget; what connections hold
    /// below it is bounded by limits.maxConnections.
    static let unbudgetedBytes = readChunk

    /// The part of `bytes` of buffer that counts against the budget.
    static func budgeted(_ bytes: Int) -> Int { max(0, bytes - unbudgetedBytes) }

    /// Grows `inBuf` for `n` more bytes (up to `ceiling` in all) if the shared
    /// budget has the bytes the growth needs.
    func reserveInput(_ n: Int, ceiling: Int = .max) -> Bool {
        let grow = Self.budgeted(inBuf.capacityAfterReserve(n, ceiling: ceiling) + bodyRead.dechunked.capacity) - budgetHeld
        if grow > 0 {
            guard context.bufferBudget.take(grow) else { return false }
            budgetHeld += grow
        }
        inBuf.reserve(n, ceiling: ceiling)
        return true
    }

    /// Brings what this connection holds of the budget in line with its
    /// buffers' sizes after they grew on their own (an append, the chunk
    /// decoder) or were freed. False: they grew and the budget lacks the bytes.
    /// No atomic operation while the sizes stay the same (the usual request).
    @discardableResult
    func settleBudget() -> Bool {
        let actual = Self.budgeted(inBuf.capacity + bodyRead.dechunked.capacity)
        if actual < budgetHeld {
            context.bufferBudget.give(budgetHeld - actual)
            budgetHeld = actual
        } else if actual > budgetHeld {
            guard context.bufferBudget.take(actual - budgetHeld) else { return false }
            budgetHeld = actual
        }
        return true
    }

    /// Bytes of the request (head plus raw body) in `inBuf`.
    var requestWireLength: Int {
        switch head.framing {
        case .none: return head.headLength
        case .length(let n): return head.headLength + n
        case .chunked: return head.headLength + bodyRead.receivedFromChunks
        }
    }

    /// edged's CORS answer to the request being answered, when its Origin is allowed (see `cors.origin`).
    var corsAnswer: RelayedHead.CORS? {
        guard let r = cors.origin, r.end <= inBuf.readableCount else { return nil }
        let buf = inBuf.readable
        func value(_ r: ByteRange?) -> UnsafeRawBufferPointer? {
            guard let r, r.end <= buf.count else { return nil }
            return UnsafeRawBufferPointer(rebasing: buf[r.start..<r.end])
        }
        return RelayedHead.CORS(origin: value(r)!, requestMethod: value(cors.requestMethod), requestHeaders: value(cors.requestHeaders))
    }

    func requestMethodIs(_ method: StaticString) -> Bool { inBuf.readable.equals(head.method, method) }

    /// The request body as forwarded (de-chunked, with the rewrite rules' splices).
    func withBody<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let rewritten = plan.rewrite.body { return rewritten.withUnsafeBytes { body($0) } }
        return withOriginalBody(body)
    }

    /// The request body as received (de-chunked).
    func withOriginalBody<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch head.framing {
        case .none: return body(UnsafeRawBufferPointer(start: nil, count: 0))
        case .length(let n):
            return body(UnsafeRawBufferPointer(rebasing: inBuf.readable[head.headLength..<(head.headLength + n)]))
        case .chunked: return bodyRead.dechunked.withUnsafeBytes { body($0) }
        }
    }

    // MARK: Routing

    /// Decides from the head alone whether the request is read at all: a
    /// refused one (403, 401) or `/healthz` is answered before its body is
    /// read, and a connection whose body was left unread then closes.
    private func admit() -> Bool {
        let admission = RequestPlanner.admit(inBuf.readable, head, context.planSettings, peerIsLoopback: peerIsLoopback)
        // Past the guard, an Origin header is one clients.allowedOrigins lists.
        cors = RequestCORS()
        if case .forbidden = admission {} else {
            for h in head.headers {
                switch h.kind {
                case .origin: cors.origin = h.value
                case .accessControlRequestMethod: cors.requestMethod = h.value
                case .accessControlRequestHeaders: cors.requestHeaders = h.value
                default: continue
                }
            }
            // Only a preflight (OPTIONS) asks: elsewhere the headers mean nothing.
            if !requestMethodIs("OPTIONS") {
                cors.requestMethod = nil
                cors.requestHeaders = nil
            }
        }
        if case .proceed = admission { return true }
        server.metrics.requestStarted()
        exchange.begin(bodyBytes: 0)
        if closeMode || server.closeMode { keepAlive = false }
        if head.framing != .none { keepAlive = false }
        switch admission {
        case .proceed:
            return true
        case .health(let detailed):
            answer(status: 200, contentType: "application/json", body: server.healthBody(detailed: detailed), route: .local)
        case .unauthorized:
            answer(status: 401, contentType: "application/json", body: LocalReply.unauthorizedBody, route: .local)
        case .forbidden(let e):
            // A web page's connection is not kept for another try.
            keepAlive = false
            Log.info("edged: refused a request: \(e.status) \(e.message)")
            answer(status: e.status, contentType: "application/json", body: LocalReply.errorBody(type: e.type, message: e.message), route: .local)
        }
        return false
    }

    /// The connection comes from this host (asked once).
    private lazy var peerIsLoopback: Bool = socket.peerIsLoopback()

    private func dispatch() {
        server.metrics.requestStarted()
        exchange.begin(bodyBytes: withOriginalBody { $0.count })
        if closeMode || server.closeMode { keepAlive = false }
        let buf = inBuf.readable
        // Read once: supervisord may hand over a new key at any time.
        backendKey = context.peers.backendKey
        plan = withOriginalBody { RequestPlanner.plan(buf, head, body: $0, context.planSettings, hasBackendKey: backendKey != nil) }
        switch plan.route {
        case .metrics:
            answer(status: 200, contentType: "text/plain; version=0.0.4", body: Array(MetricsText.render(context.loopMetrics).utf8), route: .local)
        case .modelList:
            serveModelList()
        case .factory:
            routeToFactory()
        case .backend:
            forwardToBackend()
        }
    }

    /// A locally generated response; the connection continues if keep-alive.
    func answer(status: Int, contentType: String, body: [UInt8], route: Route, extraHeaders: String = "") {
        exchange.route = route
        exchange.status = status
        sink.complete(status: status, contentType: contentType, body: body, close: !keepAlive, extraHeaders: extraHeaders)
        finishRequest(reusable: keepAlive)
    }

    private func forwardToBackend() {
        let buf = inBuf.readable
        exchange.route = .backend
        if let conflict = plan.rewrite.conflict {
            // A rule's bug, not the client's: this request only, never the process.
            Log.error("edged: the rewrite rules made conflicting edits: \(conflict); answered 500, nothing forwarded")
            return fail(500, type: "internal_error", message: "edged could not apply its rewrite rules to this request (\(conflict)); it was not forwarded")
        }
        for rule in plan.rewrite.applied { server.metrics.rewriteApplied(rule.rawValue) }
        for note in plan.rewrite.notes { Log.info("edged: \(note)") }
        if Log.enabled(.debug) && buf.equals(head.method, "POST"), let line = withOriginalBody({ ReasoningLog.line($0) }) {
            Log.debug("REQUEST REASONING \(line)")
        }
        state = .forwarding   // reads stop here; the interest stays (see handleEvent) to spare an epoll_ctl
        exchange.beginForwarding(now: loop.now)
        activeRoute = backend
        sink.reset(producer: nil)
        backend.start(buf, head, plan, backendKey: backendKey)
    }

    /// The Factory route: the client is not read until the exchange answers.
    func beginFactory(_ exchange: FactoryExchange) {
        self.exchange.route = .factory
        activeRoute = exchange
        state = .forwarding
        self.exchange.beginForwarding(now: loop.now)
        deadline = UInt64.max
        sink.reset(producer: exchange)
        exchange.start()
    }

    var clientIsHTTP10: Bool { head.minorVersion == 0 }

    /// Whether the connection ends after this response.
    var closesAfterResponse: Bool { !keepAlive || clientIsHTTP10 }

    /// A relayed head must say `Connection: close` whenever the connection
    /// ends after the response — the client asked for it, close mode, a
    /// request edged will not read past — since the backend's head says
    /// nothing of our connection (RFC 9112 §9.6: the server SHOULD send it; a
    /// client that is not told writes its next request into a closed socket).
    var mustAnnounceClose: Bool { !keepAlive }

    func close() {
        guard state != .closed else { return }
        dropRoutes()
        endExchange()
        leaveLoop()
        socket.close()
        context.liveConnections.subtract(1, ordering: .relaxed)
    }

    /// This connection is done on this loop, its socket left open: unwatched, its
    /// buffers (and what they held of the budget) given back, out of the server's
    /// list. The caller closes the socket or hands it on.
    func leaveLoop() {
        state = .closed
        loop.unregister(socket.fd)
        inBuf.release()
        outBuf.release()
        bodyRead.dechunked = []
        settleBudget()
        server.remove(self)
    }
}
