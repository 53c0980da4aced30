import EdgeCore
import Glibc
import Shared

/// One connection to the backend. Carries one request at a time: writes the
/// request head and body, reads the response head to learn its framing, and
/// relays every byte to the client as it arrives. Kept alive in the loop's
/// pool between requests.
final class UpstreamConnection: LoopHandler, ResponseProducer {
    enum State { case connecting, writing, awaitingHead, relaying, idle, closed }

    let socket: Socket
    // unowned(unsafe): never freed while the process runs (see EdgeServer.loops).
    unowned(unsafe) let loop: EventLoop
    unowned(unsafe) let pool: UpstreamPool
    var state: State
    private(set) var reused = false
    /// The request being sent or answered. Unowned, not weak: a weak reference
    /// would move both objects' reference counts to a side table, the slow path
    /// for every retain and release. BackendForward detaches itself in its deinit.
    private unowned var forward: BackendForward?
    private var written = 0
    /// Every byte of the current request (head and body) was written.
    private var requestWritten = false
    private var headBuf = ByteBuffer()
    private var framing: ResponseFraming = .noBody
    private var remaining = 0
    private var chunks = ChunkedEndTracker()
    private var closeAfter = false
    private var requestWasHead = false
    private var paused = false
    private var interest: UInt32 = 0
    /// The gate's report this connection was opened under (BackendGate).
    let ticket: BackendGate.Ticket
    /// Established and found to reach the verified backend: may be written to.
    private var confirmed = false

    init(socket: Socket, loop: EventLoop, pool: UpstreamPool, connecting: Bool, ticket: BackendGate.Ticket) {
        self.socket = socket
        self.loop = loop
        self.pool = pool
        self.state = connecting ? .connecting : .writing
        self.ticket = ticket
    }

    deinit { headBuf.release() }

    func register() throws(SystemError) {
        interest = Epoll.writable | Epoll.readable | Epoll.peerClosedWriting
        try loop.register(socket.fd, events: interest, handler: self)
    }

    private func setInterest(_ e: UInt32) {
        guard e != interest, state != .closed else { return }
        interest = e
        loop.modify(socket.fd, events: e)
    }

    // MARK: Sending a request

    func send(for request: BackendForward) {
        forward = request
        written = 0
        requestWritten = false
        headBuf.clear()
        chunks = ChunkedEndTracker()
        closeAfter = false
        paused = false
        requestWasHead = request.requestIsHead
        if state == .idle {
            reused = true
            state = .writing
        }
        if state == .writing {
            guard confirmed || confirmEstablished() else { return }
            writeRequest()
        }
        // .connecting: the write starts when the connect completes.
    }

    /// A new connection is established: the report it was opened under must
    /// still be the latest and its backend alive (BackendGate.confirm).
    /// Then the listener that took it held the port from before the connect
    /// until now, so it is the backend's. Else it is closed unwritten and
    /// the request held.
    private func confirmEstablished() -> Bool {
        if pool.gate.confirm(ticket) {
            confirmed = true
            return true
        }
        close()
        let f = forward
        forward = nil
        f?.held(.unverified)
        return false
    }

    private func writeRequest() {
        guard let f = forward else { return abort() }
        while true {
            let done: Bool = f.withRequest { headBytes, body in
                let headCount = headBytes.count
                let total = headCount + body.count
                if written >= total { return true }
                let a = written < headCount ? UnsafeRawBufferPointer(rebasing: headBytes[written...]) : UnsafeRawBufferPointer(start: nil, count: 0)
                let b = written < headCount ? body : UnsafeRawBufferPointer(rebasing: body[(written - headCount)...])
                do throws(SystemError) {
                    guard let n = try (a.count > 0 ? socket.fd.writevNonBlocking(a, b) : socket.fd.sendNonBlocking(b)) else {
                        return false   // socket full: wait for writable
                    }
                    written += n
                    return written >= total
                } catch {
                    failBeforeResponse(error)
                    return true
                }
            }
            if state == .closed { return }
            if done {
                requestWritten = true
                if state == .writing {
                    state = .awaitingHead
                    setInterest(Epoll.readable | Epoll.peerClosedWriting)
                }
                return
            }
            setInterest(Epoll.writable | Epoll.readable | Epoll.peerClosedWriting)
            return
        }
    }

    // MARK: Events

    func handleEvent(_ mask: UInt32) {
        switch state {
        case .connecting:
            let err = socket.pendingError()
            if err != 0 {
                return connectFailed(SystemError("connect", errno: err, subject: pool.address.description))
            }
            if mask & (Epoll.writable | Epoll.readable) == 0 && mask & (Epoll.error | Epoll.hangUp) != 0 {
                return connectFailed(SystemError("connect", errno: ECONNREFUSED, subject: pool.address.description))
            }
            state = .writing
            guard confirmEstablished() else { return }
            writeRequest()
        case .writing:
            if mask & Epoll.readable != 0 { readResponse() }      // an early response (e.g. 413) or EOF
            if state == .writing && mask & Epoll.writable != 0 { writeRequest() }
            if state == .writing && mask & (Epoll.error | Epoll.hangUp) != 0 {
                let e = socket.pendingError()
                failBeforeResponse(e != 0 ? SystemError("send", errno: e) : nil)
            }
        case .awaitingHead, .relaying:
            if paused { return }
            readResponse()
        case .idle:
            // An idle pooled connection that becomes readable was closed (or
            // sent something unasked): it is no longer usable.
            pool.discard(self)
        case .closed:
            break
        }
    }

    // MARK: Reading the response

    private func readResponse() {
        let scratch = loop.scratch
        while state == .awaitingHead || state == .relaying || state == .writing {
            if paused { return }
            let n: Int?
            do { n = try socket.fd.readNonBlocking(into: scratch) } catch {
                return endOfStream(error: error)
            }
            guard let n else { return }
            if n == 0 { return endOfStream(error: nil) }
            let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
            if state == .writing || state == .awaitingHead {
                guard consumeHead(bytes) else { return }
            } else {
                relayBody(bytes)
            }
            if n < scratch.count { return }
        }
    }

    /// Feeds bytes while the head is incomplete; relays the head and any body bytes once known.
    private func consumeHead(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let source: UnsafeRawBufferPointer
        if headBuf.isEmpty { source = bytes } else { headBuf.append(bytes); source = headBuf.readable }
        switch ResponseParser.parse(source, requestWasHead: requestWasHead) {
        case .incomplete:
            if headBuf.isEmpty { headBuf.append(bytes) }
            return true
        case .failed(let why):
            failBeforeResponse(nil, why: "invalid response: \(why)")
            return false
        case .complete(let h):
            state = .relaying
            framing = h.framing
            closeAfter = h.close
            if case .length(let n) = h.framing { remaining = n }
            guard let f = forward else { abort(); return false }
            let rest = UnsafeRawBufferPointer(rebasing: source[h.headLength...])
            if h.status == 101 {
                // Switching Protocols: only ever to a WebSocket handshake edged forwarded
                // as one; to anything else it is a backend out of step with HTTP.
                guard f.requestIsUpgrade else {
                    failBeforeResponse(nil, why: "101 Switching Protocols to a request that did not ask to upgrade")
                    return false
                }
                becomeTunnel(head: UnsafeRawBufferPointer(rebasing: source[0..<h.headLength]), rest: rest, for: f)
                return false
            }
            if (100...199).contains(h.status) {
                // An interim response: relayed, and another head follows.
                _ = f.responseHead(status: h.status, wire: UnsafeRawBufferPointer(rebasing: source[0..<h.headLength]), headCount: h.headLength, producer: self)
                if state == .closed { return false }
                state = .awaitingHead
                let leftover = Array(rest)
                headBuf.clear()
                if !leftover.isEmpty { return leftover.withUnsafeBytes { consumeHead($0) } }
                return true
            }
            // The head and the body bytes read with it go to the client in one write.
            guard let part = bodyPart(rest) else {
                failBeforeResponse(nil, why: "malformed chunked response body")
                return false
            }
            let wire = UnsafeRawBufferPointer(rebasing: source[0..<(h.headLength + part.take)])
            let keepGoing = f.responseHead(status: h.status, wire: wire, headCount: h.headLength, producer: self)
            let extra = rest.count - part.take
            headBuf.clear()
            if state == .closed { return false }
            if part.complete {
                finish(extra: extra)
                return false
            }
            if !keepGoing { pause() }
            return state == .relaying
        }
    }

    /// How many of `bytes` belong to the response body (any rest is not
    /// ours), and whether the body is complete with them; nil when the
    /// chunked framing is malformed.
    private func bodyPart(_ bytes: UnsafeRawBufferPointer) -> (take: Int, complete: Bool)? {
        switch framing {
        case .length:
            let take = min(remaining, bytes.count)
            remaining -= take
            return (take, remaining == 0)
        case .chunked:
            guard let take = try? chunks.consume(bytes) else { return nil }
            return (take, chunks.isComplete)
        case .untilClose:
            return (bytes.count, false)
        case .noBody:
            return (0, true)
        }
    }

    private func relayBody(_ bytes: UnsafeRawBufferPointer) {
        guard let f = forward else { return abort() }
        guard let (take, complete) = bodyPart(bytes) else {
            close()
            forward = nil
            f.failed("malformed chunked response body")
            return
        }
        let keepGoing = f.relay(UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
        if state == .closed { return }
        if complete { return finish(extra: bytes.count - take) }
        if !keepGoing { pause() }
    }

    private func finish(extra: Int) {
        let f = forward
        forward = nil
        // A request not fully written (the backend answered early, e.g. 413)
        // leaves the rest of it on this connection: never reuse that.
        let reusable = !closeAfter && extra == 0 && requestWritten
        if reusable { pool.release(self) } else { close() }
        f?.finished(closeClient: closeAfter && framing == .untilClose)
    }

    private func endOfStream(error: SystemError?) {
        switch state {
        case .relaying where framing == .untilClose:
            close()
            let f = forward
            forward = nil
            f?.finished(closeClient: true)
        case .relaying:
            close()
            let f = forward
            forward = nil
            f?.failed(error.map { "connection error: \($0.errnoName)" } ?? "the backend closed the connection mid-response")
        default:
            failBeforeResponse(error)
        }
    }

    /// Nothing of the response arrived. The request is sent again only when
    /// the backend provably did not take it in: it was not written in full, or
    /// the connection was *reset* (RST) — the kernel resets a socket closed
    /// with unread data, or one never accepted (a backend killed with
    /// connections in its backlog). Then a reused pooled connection (the
    /// keep-alive race: the backend closed it as idle as we wrote) is retried
    /// once at once on a fresh one, and a fresh connection is held and retried
    /// like a refused connect, a few times at most.
    /// A connection closed in order (FIN) after the whole request was written
    /// was read, and the backend may well have run the request (a handler that
    /// panics does exactly this): sending it again could turn one client POST
    /// into many paid model calls, so the client gets one 502 naming the cause.
    private func failBeforeResponse(_ error: SystemError?, why: String? = nil) {
        let wasReused = reused
        let sentAll = requestWritten
        close()
        guard let f = forward else { return }
        forward = nil
        let unread = why == nil && (!sentAll || error.map { $0.errno == ECONNRESET || $0.errno == EPIPE } == true)
        if unread && wasReused && f.staleConnection() { return }
        if unread && !wasReused && f.resetUnread(error ?? SystemError("send", errno: EPIPE)) { return }
        let cause = why ?? error.map { "connection error: \($0.errnoName)" }
            ?? (sentAll ? "the backend closed the connection without answering the request" : "the backend closed the connection while the request was being sent")
        f.failed(cause)
    }

    private func connectFailed(_ error: SystemError) {
        close()
        let f = forward
        forward = nil
        f?.unreachable(error)
    }

    /// After a 101 the socket leaves the pool for good: it becomes the backend
    /// side of the client's `UpgradeTunnel`.
    private func becomeTunnel(head: UnsafeRawBufferPointer, rest: UnsafeRawBufferPointer, for f: BackendForward) {
        state = .closed
        forward = nil
        loop.unregister(socket.fd)
        pool.forget(self)
        f.upgraded(head: head, upstream: socket, fromUpstream: rest)
        headBuf.release()
    }

    // MARK: Flow control and teardown

    func pause() {
        paused = true
        setInterest(Epoll.peerClosedWriting)
    }

    func resume() {
        guard paused, state == .relaying else { return }
        paused = false
        setInterest(Epoll.readable | Epoll.peerClosedWriting)
        readResponse()
    }

    func cancel() { abort() }

    /// Is `f` the request this connection carries?
    func carries(_ f: BackendForward) -> Bool { forward === f }

    /// The client went away: this connection's response can't be delivered, drop it.
    func abort() {
        forward = nil
        close()
    }

    func becomeIdle() {
        state = .idle
        forward = nil
        paused = false
        headBuf.release()
        setInterest(Epoll.readable | Epoll.peerClosedWriting)
    }

    func close() {
        guard state != .closed else { return }
        state = .closed
        loop.unregister(socket.fd)
        socket.close()
        headBuf.release()
        pool.forget(self)
    }
}
