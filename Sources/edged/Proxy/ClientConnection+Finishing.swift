import EdgeCore
import Glibc
import Shared

/// The end of a request: error answers, then keep-alive or close, the access log line.
extension ClientConnection {
    // MARK: Finishing

    /// An error answer edged writes itself; the connection closes after it.
    func fail(_ status: Int, type: String, message: String) {
        activeRoute = nil
        exchange.status = status
        keepAlive = false
        sink.complete(status: status, contentType: "application/json", body: LocalReply.errorBody(type: type, message: message), close: true)
        finishRequest(reusable: false)
    }

    func reject(_ e: HTTPError) {
        if !exchange.inFlight {
            server.metrics.requestStarted()
            exchange.begin(bodyBytes: 0)
        }
        exchange.route = .local
        exchange.status = e.status
        keepAlive = false
        send(LocalReply.error(e))
        Log.info("edged: refused a request: \(e.status) \(e.message)")
        endExchange()
        beginClosing()
    }

    /// Answers at once with `reply` and closes: edged is at one of its budgets
    /// (limits.maxConnections, limits.maxBufferedBodyBytes: a 503 with
    /// Retry-After), or the peer's user is not in clients.allowedUsers (403).
    /// `reply` is made once at start (`EdgeContext`), so a refusal costs no
    /// formatting; `status` is the one in its head. `line` goes to the log at
    /// most once a second, with the count, through the caller's `RateLimitedLog`.
    func refuseAtOnce(_ reply: [UInt8], status: Int = 503, log: RateLimitedLog, _ line: (Int) -> String) {
        if !exchange.inFlight {
            server.metrics.requestStarted()
            exchange.begin(bodyBytes: 0)
        }
        exchange.route = .local
        exchange.status = status
        keepAlive = false
        send(reply)
        log.warn(now: loop.now, line)
        endExchange()
        // What was read is not needed: give its bytes back now.
        inBuf.release()
        bodyRead.dechunked = []
        settleBudget()
        beginClosing()
    }

    /// A request that needs more buffer than limits.maxBufferedBodyBytes has left.
    func refuseOverBudget() {
        let limit = context.bufferBudget.limit
        refuseAtOnce(context.buffersFullReply, log: context.bufferRefusals) { n in
            "edged: refused \(n) request(s) since the last such line: limits.maxBufferedBodyBytes (\(limit) bytes) reached"
        }
    }

    func finishRequest(reusable: Bool) {
        activeRoute = nil
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
        head.reset()
        cors = RequestCORS()
        bodyRead.chunked = nil
        bodyRead.dechunked.removeAll(keepingCapacity: false)
        settleBudget()
        plan = RequestPlan()
        state = .idle
        deadline = loop.now + context.idleTimeoutNanos
        // The buffers stay for the next request; the tick frees them if the
        // connection is still idle then (see `tick`).
        if let handover {
            // A reload is under way: the next request goes to the new generation.
            return handOff(handover)
        }
        // A client that sends requests without reading the answers gets no more
        // answered until it has taken the ones queued: without this, pipelined
        // requests answered on the spot (a few bytes each) grew outBuf by tens of
        // MiB a second. The requests wait in inBuf and the kernel.
        if outBuf.readableCount >= ResponseSink.highWater {
            awaitingDrain = true
            setInterest(Epoll.writable)
            return
        }
        setInterest(Epoll.readable | Epoll.peerClosedWriting | (outBuf.isEmpty ? 0 : Epoll.writable))
        resumeRequests()
    }

    /// Goes on to the next request: the buffered ones, then what the kernel holds.
    func resumeRequests() {
        // A pipelined request may already be buffered; the kernel may hold more.
        // Inside an earlier request's processing (this one ended on the spot),
        // that processing goes on to the next request once it unwinds.
        processInput()
        if state == .idle || state == .readingHead, !inProcessInput { readAvailable() }
    }

    func endExchange() { exchange.finish(server.metrics) }

    func logAccess(note: String?) {
        guard Log.enabled(.info) else { return }
        let buf = inBuf.readable
        guard head.headLength > 0, head.headLength <= buf.count else { return }
        let model = withOriginalBody { plan.rewrite.aliasTarget.map { String(decoding: $0, as: UTF8.self) } ?? plan.modelRange.map($0.string) }
        Log.info(exchange.accessLine(method: buf.string(head.method), path: buf.string(head.path(in: buf)), model: model,
                                     now: loop.now, note: note))
    }
}
