import EdgeCore
import Glibc
import Shared

/// One client connection on one loop: reads a request, answers it locally or
/// forwards it upstream, relays the response as it arrives, then takes the
/// next (pipelined or keep-alive) request. Lives on its loop's thread only.
final class ClientConnection: LoopHandler {
    enum State {
        case idle            // between requests, nothing buffered
        case readingHead
        case readingBody
        case forwarding      // upstream request in progress
        case closing         // flushing the last bytes, then close
        case closed
    }

    let socket: Socket
    unowned let loop: EventLoop
    unowned let server: LoopServer
    let context: EdgeContext
    var state: State = .idle

    private var inBuf = ByteBuffer()
    private var outBuf = ByteBuffer()
    private(set) var head = RequestHead()
    private var chunkedBody: [UInt8] = []
    /// The body after the rewrite rules' splices (empty array unused when `rewritten` is false).
    private var rewrittenBody: [UInt8] = []
    private var rewritten = false
    private var chunked: ChunkedDecoder? = nil
    private var bodyReceivedFromChunks = 0
    private var sentContinue = false
    private var keepAlive = true

    /// The head sent upstream, rebuilt per request in a reused array.
    var upstreamHead: [UInt8] = []
    private var upstream: UpstreamConnection? = nil
    /// The request in flight on the Factory route, if any.
    var factoryExchange: FactoryExchange? = nil
    /// Streaming a Factory response with chunked framing (HTTP/1.1 clients).
    var factoryChunked = false
    /// Retry and hold decisions for the current backend request.
    private var hold = BackendHold()

    /// The request being answered: what the access log and metrics need.
    private var exchange = Exchange()
    /// Deadline for the current phase (header read, body read, idle, upstream), monotonic ns.
    var deadline: UInt64 = 0
    var slot = -1   // index in the server's connection list
    /// Requests answered on this connection (a drain closes only kept-alive idle ones).
    private(set) var requestsServed = 0
    /// Taken back from a failed handover: every answer says Connection: close.
    private var closeMode = false
    /// Hand this connection over once the queued response bytes are written.
    private var handOffAfterFlush = false
    private var interest: UInt32 = 0

    static let readChunk = 64 * 1024
    /// Stop reading the upstream while this much is queued for a slow client.
    static let outHighWater = 1 << 20

    init(socket: Socket, loop: EventLoop, server: LoopServer, context: EdgeContext) {
        self.socket = socket
        self.loop = loop
        self.server = server
        self.context = context
        deadline = Monotonic.nanoseconds() + context.headerTimeoutNanos
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

    private func setInterest(_ events: UInt32) {
        guard events != interest, state != .closed else { return }
        interest = events
        loop.modify(socket.fd, events: events)
    }

    // MARK: Reload handover

    /// An adopted connection: starts from the bytes the previous owner read.
    func resume(pending: [UInt8], closeMode: Bool) {
        self.closeMode = closeMode
        deadline = Monotonic.nanoseconds() + (pending.isEmpty ? context.idleTimeoutNanos : context.headerTimeoutNanos)
        if !pending.isEmpty {
            pending.withUnsafeBytes { inBuf.append($0) }
            processInput()
        }
        if state == .idle || state == .readingHead || state == .readingBody { readAvailable() }
    }

    /// Gives this idle connection, with anything read but not parsed, to the
    /// new generation; it stays open. Waits for queued response bytes first.
    func handOff(_ sender: HandoverSender) {
        guard state == .idle, upstream == nil, factoryExchange == nil else { return }
        guard !sender.hasFailed else {
            // The new generation takes nothing: stay, and close after the next answer.
            closeMode = true
            setInterest(Epoll.readable | Epoll.peerClosedWriting | (outBuf.isEmpty ? 0 : Epoll.writable))
            processInput()
            if state == .idle || state == .readingHead { readAvailable() }
            return
        }
        guard outBuf.isEmpty else {
            handOffAfterFlush = true
            setInterest(Epoll.writable | Epoll.peerClosedWriting)
            return
        }
        guard inBuf.readableCount <= ConnectionHandover.maxPendingBytes else {
            // Too much to carry: serve it here, closing after the answer.
            closeMode = true
            processInput()
            return
        }
        let pending = Array(inBuf.readable)
        state = .closed
        loop.unregister(socket.fd)
        inBuf.release()
        outBuf.release()
        server.remove(self)
        sender.enqueue(DetachedConnection(socket: socket, pending: pending))
    }

    // MARK: Reading requests

    private func readAvailable() {
        while state == .idle || state == .readingHead || state == .readingBody {
            // With nothing buffered, read into the loop's scratch first: an idle
            // keep-alive connection then holds no buffer (a read that finds
            // nothing must not leave 64 KiB behind). Mid-request, read in place.
            let fresh = inBuf.isEmpty
            if !fresh { inBuf.reserve(Self.readChunk) }
            let target = fresh ? UnsafeMutableRawBufferPointer(rebasing: loop.scratch[0..<Self.readChunk]) : inBuf.writable
            let n: Int?
            do { n = try socket.fd.readNonBlocking(into: target) } catch {
                close()
                return
            }
            guard let n else { break }
            if n == 0 {
                // The client closed its side. A partial request is abandoned.
                close()
                return
            }
            if fresh { inBuf.append(UnsafeRawBufferPointer(rebasing: target[0..<n])) } else { inBuf.didWrite(n) }
            processInput()
            if n < Self.readChunk / 2 { break }
        }
    }

    /// Advances the request state machine with whatever is buffered.
    private func processInput() {
        while true {
            switch state {
            case .idle:
                guard !inBuf.isEmpty else { return }
                state = .readingHead
                exchange.started = Monotonic.nanoseconds()
                deadline = exchange.started + context.headerTimeoutNanos
            case .readingHead:
                let result = RequestParser.parse(inBuf.readable, maxBody: context.config.limits.maxBodyBytes)
                switch result {
                case .incomplete:
                    return
                case .failed(let e):
                    reject(e)
                    return
                case .complete(let h):
                    head = h
                    keepAlive = h.keepAlive
                    sentContinue = false
                    state = .readingBody
                    chunked = nil
                    chunkedBody.removeAll(keepingCapacity: true)
                    bodyReceivedFromChunks = 0
                    if case .chunked = h.framing { chunked = ChunkedDecoder(maxBody: context.config.limits.maxBodyBytes) }
                    let expected: Int
                    if case .length(let n) = h.framing { expected = n } else { expected = 1 << 20 }
                    deadline = Monotonic.nanoseconds() + context.headerTimeoutNanos + UInt64(expected / 16384) * 1_000_000_000
                }
            case .readingBody:
                guard bodyComplete() else {
                    if head.expectContinue && !sentContinue {
                        sentContinue = true
                        send(Responses.continue100)
                    }
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
            let start = head.headLength + bodyReceivedFromChunks
            guard raw.count > start else { return chunked!.isComplete }
            do {
                let used = try chunked!.decode(UnsafeRawBufferPointer(rebasing: raw[start...]), into: &chunkedBody)
                bodyReceivedFromChunks += used
            } catch {
                reject(error)
                return false
            }
            return chunked!.isComplete
        }
    }

    /// Bytes of the request (head plus raw body) in `inBuf`.
    private var requestWireLength: Int {
        switch head.framing {
        case .none: return head.headLength
        case .length(let n): return head.headLength + n
        case .chunked: return head.headLength + bodyReceivedFromChunks
        }
    }

    func withHeadMethod(_ body: (UnsafeRawBufferPointer, ByteRange) -> Bool) -> Bool {
        body(inBuf.readable, head.method)
    }

    /// The request body as received (de-chunked when it was chunked).
    func withBody<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if rewritten { return rewrittenBody.withUnsafeBytes { body($0) } }
        return withOriginalBody(body)
    }

    private func withOriginalBody<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch head.framing {
        case .none: return body(UnsafeRawBufferPointer(start: nil, count: 0))
        case .length(let n):
            return body(UnsafeRawBufferPointer(rebasing: inBuf.readable[head.headLength..<(head.headLength + n)]))
        case .chunked: return chunkedBody.withUnsafeBytes { body($0) }
        }
    }

    // MARK: Routing

    private func dispatch() {
        server.metrics.requestStarted()
        exchange.begin(bodyBytes: withBody { $0.count })
        if closeMode || server.closeMode { keepAlive = false }
        let buf = inBuf.readable
        let path = head.path(in: buf)

        if buf.equals(head.method, "GET") && buf.equals(path, "/healthz") {
            answer(status: 200, contentType: "application/json", body: server.healthBody(), route: .local)
            return
        }
        if !context.clientKeyDigests.isEmpty && !ClientKeys.isAllowed(buf, head, digests: context.clientKeyDigests) {
            answer(status: 401, contentType: "application/json",
                   body: Responses.errorBody(type: "authentication_error",
                                             message: "missing or unknown API key: send one of the keys configured in clients.apiKeys as \"Authorization: Bearer <key>\", \"x-api-key\" or \"x-goog-api-key\""),
                   route: .local)
            return
        }
        if buf.equals(head.method, "GET") && buf.equals(path, "/metrics") {
            answer(status: 200, contentType: "text/plain; version=0.0.4", body: Array(MetricsText.render(context.loopMetrics).utf8), route: .local)
            return
        }
        let scan = withOriginalBody { $0.count > 0 ? RoutingScan.scan($0) : nil }
        if !context.factoryModels.isEmpty && routeToFactory(buf, path: path, scan: scan) { return }
        forwardToBackend(scan: scan)
    }

    /// A locally generated response; the connection continues if keep-alive.
    func answer(status: Int, contentType: String, body: [UInt8], route: Route) {
        exchange.route = route
        exchange.status = status
        let bytes = Responses.make(status: status, contentType: contentType, body: body, close: !keepAlive)
        send(bytes)
        finishRequest(reusable: keepAlive)
    }

    // MARK: Forwarding

    private func forwardToBackend(scan: RoutingScan?) {
        let buf = inBuf.readable
        let plan = withOriginalBody { RequestRewriter.plan(buf, head, body: $0, context.rewrites, scan: .some(scan)) }
        exchange.model = plan.model
        if let b = plan.body {
            rewrittenBody = b
            rewritten = true
        }
        for rule in plan.applied { server.metrics.rewriteApplied(rule.rawValue) }
        for note in plan.notes { Log.info("edged: \(note)") }
        if Log.enabled(.debug) && buf.equals(head.method, "POST"), let line = withOriginalBody({ ReasoningLog.line($0) }) {
            Log.debug("REQUEST REASONING \(line)")
        }

        var bodyLength: Int? = withBody { $0.count }
        if case .none = head.framing, head.header("content-length", in: buf) == nil { bodyLength = nil }
        var extra: [UInt8] = []
        let dropBetas: Bool
        if case .replace(let value) = plan.beta {
            dropBetas = true
            if let value { extra = Array("Anthropic-Beta: \(value)\r\n".utf8) }
        } else {
            dropBetas = false
        }
        // The backend wants its own key, not the client's.
        var replacements: [ForwardHead.Replacement] = []
        if let key = context.peers.backendKey {
            replacements = [.init("authorization", Array("Bearer ".utf8) + key), .init("x-api-key", key), .init("x-goog-api-key", key)]
            if ClientKeys.presented(buf, head) == nil && head.header("authorization", in: buf) == nil {
                extra = Array("Authorization: Bearer ".utf8) + key + [0x0d, 0x0a] + extra
            }
        }
        ForwardHead.build(buf, head, target: plan.target, host: context.backendHost, bodyLength: bodyLength, replacing: replacements,
                          omitting: { dropBetas && buf.equalsLowercase($0, "anthropic-beta") },
                          appending: extra, into: &upstreamHead)
        state = .forwarding   // reads stop here; the interest stays (see handleEvent) to spare an epoll_ctl
        exchange.beginForwarding(now: Monotonic.nanoseconds())
        hold.reset()
        startUpstream()
    }

    private func startUpstream() {
        deadline = Monotonic.nanoseconds() + context.upstreamTimeoutNanos
        do throws(SystemError) {
            let u = try server.pool.acquire()
            upstream = u
            u.send(request: self)
        } catch {
            upstreamUnreachable(error)
        }
    }

    /// The upstream could not be reached. Hold the request while the backend
    /// may be coming back, then fail with 503 naming the backend's state.
    func upstreamUnreachable(_ error: SystemError) {
        upstream = nil
        let backend = BackendState(context.peers.backend)
        switch hold.unreachable(now: Monotonic.nanoseconds(), holdNanos: context.holdNanos, backendHopeless: backend.isHopeless) {
        case .giveUp:
            fail(503, type: "backend_unavailable",
                 message: "the backend at \(context.backend) is not reachable (\(error.errnoName)): \(backend.description)")
        case .retry:
            deadline = hold.holdUntil
        }
    }

    /// A fresh connection was reset before the backend read the whole request
    /// (it was dying or restarting): hold and retry like a refused connect.
    func upstreamResetUnread(_ error: SystemError) -> Bool {
        guard hold.mayRetryAfterReset() else { return false }
        upstreamUnreachable(error)
        return true
    }

    /// A pooled connection failed before the backend read the request: retry once on a fresh one.
    func upstreamStaleConnection() -> Bool {
        guard hold.mayRetryStaleConnection() else { return false }
        upstream = nil
        startUpstream()
        return true
    }

    /// Called by the tick for requests waiting to retry the backend.
    func tick(now: UInt64) {
        if state == .forwarding && upstream == nil && hold.takeDueRetry(now: now) {
            startUpstream()
            return
        }
        guard now >= deadline else { return }
        switch state {
        case .idle:
            close()
        case .readingHead, .readingBody:
            let message = state == .readingHead ? "request head not received within \(context.config.limits.headerTimeoutSeconds) s" : "request body not received in time"
            reject(HTTPError(408, "request_timeout", message))
        case .forwarding:
            if factoryExchange != nil || deadline == UInt64.max { return }
            if upstream == nil && hold.isHolding {
                upstreamUnreachable(SystemError("connect", errno: ECONNREFUSED))
            } else if exchange.status == 0 {
                upstream?.abort()
                upstream = nil
                fail(504, type: "upstream_timeout", message: "the backend sent no response within \(context.config.limits.upstreamTimeoutSeconds) s")
            } else {
                // Mid-stream silence past the upstream timeout: give up on both sides.
                upstream?.abort()
                upstream = nil
                abortResponse()
            }
        case .closing:
            close()
        case .closed:
            break
        }
    }

    // MARK: Response relay (called by the upstream)

    /// The Factory route: mark the request as forwarding (not reading) until the exchange answers.
    func beginFactory(_ exchange: FactoryExchange, model: String) {
        self.exchange.model = model
        self.exchange.route = .factory
        factoryExchange = exchange
        state = .forwarding
        self.exchange.beginForwarding(now: Monotonic.nanoseconds())
        deadline = UInt64.max
        exchange.start()
    }

    var clientIsHTTP10: Bool { head.minorVersion == 0 }

    func recordUpstreamLatency(_ seconds: Double?) { exchange.upstreamLatency = seconds }

    /// Sends response bytes produced by the Factory route.
    func sendFactory(_ bytes: [UInt8]) {
        exchange.responseBytes += bytes.count
        send(bytes)
    }

    func setResponseStatus(_ s: Int) { exchange.status = s }

    func finishFactory(complete: Bool) {
        factoryExchange = nil
        if complete {
            finishRequest(reusable: keepAlive && !clientIsHTTP10)
        } else {
            logAccess(note: "aborted")
            endExchange()
            close()
        }
    }

    func upstreamResponseStarted(status: Int) {
        exchange.responseStarted(status: status, now: Monotonic.nanoseconds())
    }

    /// A backend response head, relayed as it is — unless this connection
    /// ends after the response (close mode): then it says Connection: close.
    func relayHead(_ head: UnsafeRawBufferPointer) -> Bool {
        guard !keepAlive && (closeMode || server.closeMode) else { return relay(head) }
        return ResponseHeadClose.apply(head).withUnsafeBytes { relay($0) }
    }

    /// Whether the connection ends after this response (the Factory route's framing).
    var closesAfterResponse: Bool { !keepAlive }

    /// Response bytes from the upstream, relayed as they are. Returns false
    /// when the upstream should pause (the client is slow).
    func relay(_ bytes: UnsafeRawBufferPointer) -> Bool {
        deadline = Monotonic.nanoseconds() + context.upstreamTimeoutNanos
        exchange.responseBytes += bytes.count
        send(bytes)
        return outBuf.readableCount < Self.outHighWater
    }

    /// The response ended cleanly. `reusable`: the upstream asked for no close.
    func upstreamFinished(closeClient: Bool) {
        upstream = nil
        if closeClient { keepAlive = false }
        finishRequest(reusable: keepAlive)
    }

    /// The upstream failed. Before any response byte: 502. After: the client's
    /// response is cut off so it can tell it is incomplete.
    func upstreamFailed(_ why: String) {
        upstream = nil
        if exchange.status == 0 {
            fail(502, type: "bad_gateway", message: "the backend at \(context.backend) failed: \(why)")
        } else {
            Log.warning("edged: backend response cut off mid-stream: \(why)")
            abortResponse()
        }
    }

    private func abortResponse() {
        logAccess(note: "aborted")
        endExchange()
        close()
    }

    private func clientGone() {
        if let u = upstream {
            u.abort()
            upstream = nil
        }
        factoryExchange?.cancel()
        factoryExchange = nil
        if exchange.inFlight {
            logAccess(note: "client closed")
            endExchange()
        }
        close()
    }

    // MARK: Finishing

    private func fail(_ status: Int, type: String, message: String) {
        exchange.status = status
        keepAlive = false
        send(Responses.error(status, type: type, message: message, close: true))
        finishRequest(reusable: false)
    }

    private func reject(_ e: HTTPError) {
        if !exchange.inFlight {
            server.metrics.requestStarted()
            exchange.begin(bodyBytes: 0)
        }
        exchange.route = .local
        exchange.status = e.status
        keepAlive = false
        send(Responses.error(e))
        Log.info("edged: refused a request: \(e.status) \(e.message)")
        endExchange()
        beginClosing()
    }

    func finishRequest(reusable: Bool) {
        requestsServed += 1
        logAccess(note: nil)
        endExchange()
        let handover = server.handover
        // Draining: a stop closes after the answer; a reload hands the connection
        // over; in close mode a connection whose answer did not say
        // Connection: close stays, so that its next answer can say it.
        let staysOpen = !server.draining || (handover != nil && !closeMode) || server.closeMode
        guard reusable, state != .closed, staysOpen else {
            beginClosing()
            return
        }
        if server.closeMode { closeMode = true }
        inBuf.consume(requestWireLength)
        head = RequestHead()
        chunked = nil
        chunkedBody.removeAll(keepingCapacity: false)
        rewrittenBody.removeAll(keepingCapacity: false)
        rewritten = false
        exchange.model = nil
        state = .idle
        deadline = Monotonic.nanoseconds() + context.idleTimeoutNanos
        if inBuf.isEmpty && outBuf.isEmpty {
            inBuf.release()
            outBuf.release()
        }
        if let handover {
            // A reload is under way: the next request goes to the new generation.
            return handOff(handover)
        }
        setInterest(Epoll.readable | Epoll.peerClosedWriting | (outBuf.isEmpty ? 0 : Epoll.writable))
        // A pipelined request may already be buffered; the kernel may hold more.
        processInput()
        if state == .idle || state == .readingHead { readAvailable() }
    }

    func endExchange() { exchange.finish(server.metrics) }

    func logAccess(note: String?) {
        guard Log.enabled(.info) else { return }
        let buf = inBuf.readable
        guard head.headLength > 0, head.headLength <= buf.count else { return }
        Log.info(exchange.accessLine(method: buf.string(head.method), path: buf.string(head.path(in: buf)),
                                     now: Monotonic.nanoseconds(), note: note))
    }

    // MARK: Writing

    /// Writes to the client now if possible; queues the rest.
    private func send(_ bytes: UnsafeRawBufferPointer) {
        guard state != .closed, bytes.count > 0 else { return }
        var offset = 0
        if outBuf.isEmpty {
            while offset < bytes.count {
                let n: Int?
                do { n = try socket.fd.sendNonBlocking(UnsafeRawBufferPointer(rebasing: bytes[offset...])) } catch {
                    clientGone()
                    return
                }
                guard let n else { break }
                offset += n
            }
        }
        if offset < bytes.count {
            outBuf.append(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            setInterest(interest | Epoll.writable)
        }
    }

    func send(_ bytes: [UInt8]) { bytes.withUnsafeBytes { send($0) } }

    private func flush() {
        while !outBuf.isEmpty {
            let n: Int?
            do { n = try socket.fd.sendNonBlocking(outBuf.readable) } catch {
                clientGone()
                return
            }
            guard let n else { return }
            outBuf.consume(n)
        }
        setInterest(interest & ~Epoll.writable)
        if state == .closing { linger(); return }
        if handOffAfterFlush, let h = server.handover {
            handOffAfterFlush = false
            return handOff(h)
        }
        upstream?.resume()
    }

    private func beginClosing() {
        state = .closing
        deadline = Monotonic.nanoseconds() + 5_000_000_000
        if outBuf.isEmpty { linger() } else { setInterest(Epoll.writable) }
    }

    /// After an error response: send FIN but keep reading (and discarding) for a
    /// moment, so a client still uploading sees our answer instead of a reset.
    private var lingering = false
    private func linger() {
        guard !lingering else { return }
        lingering = true
        socket.shutdown(writing: true)
        deadline = Monotonic.nanoseconds() + 1_000_000_000
        setInterest(Epoll.readable | Epoll.peerClosedWriting)
        discardInput()
    }

    private func discardInput() {
        let scratch = loop.scratch
        while true {
            let n: Int?
            do { n = try socket.fd.readNonBlocking(into: scratch) } catch { return close() }
            guard let n else { return }            // nothing more for now
            if n == 0 { return close() }           // the client finished too
        }
    }

    func close() {
        guard state != .closed else { return }
        if let u = upstream {
            u.abort()
            upstream = nil
        }
        factoryExchange?.cancel()
        factoryExchange = nil
        endExchange()
        state = .closed
        loop.unregister(socket.fd)
        socket.close()
        inBuf.release()
        outBuf.release()
        server.remove(self)
        context.liveConnections.subtract(1, ordering: .relaxed)
    }
}

extension Responses {
    static func errorBody(type: String, message: String) -> [UInt8] {
        JSONValue.object(["error": ["type": .string(type), "message": .string(message)]]).serialized()
    }
}
