import EdgeCore
import Glibc
import Shared

/// Reload: handing an idle or mid-request connection to the next generation, and taking one over.
extension ClientConnection {
    // MARK: Reload handover

    /// An adopted connection: starts from the bytes the previous owner read.
    func resume(pending: [UInt8], closeMode: Bool) {
        self.closeMode = closeMode
        deadline = loop.now + (pending.isEmpty ? context.idleTimeoutNanos : context.headerTimeoutNanos)
        if !pending.isEmpty {
            pending.withUnsafeBytes { inBuf.append($0) }
            processInput()
        }
        if state == .idle || state == .readingHead || state == .readingBody { readAvailable() }
    }

    /// Gives this idle connection, with anything read but not parsed, to the
    /// new generation; it stays open. Waits for queued response bytes first.
    func handOff(_ sender: HandoverSender) {
        guard state == .idle, activeRoute == nil else { return }
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
        leaveLoop()
        sender.enqueue(DetachedConnection(socket: socket, pending: pending))
    }
}

extension ClientConnection {
    // MARK: WebSocket

    /// The backend answered a WebSocket handshake with 101: the client gets
    /// the head as the backend sent it (edged's CORS edits aside) and the
    /// connection leaves the HTTP state machine for an `UpgradeTunnel`, with
    /// whatever either side already sent past the handshake.
    func beginTunnel(head: UnsafeRawBufferPointer, upstream: Socket, fromUpstream: UnsafeRawBufferPointer) {
        activeRoute = nil
        responseBegan(status: 101)
        sink.reset(producer: nil)
        _ = sink.beginRelayed(head, headCount: head.count, addClose: false)
        guard state != .closed else { return upstream.close() }
        requestsServed += 1
        logAccess(note: "WebSocket")
        endExchange()
        // The client may have written its first frames right behind the handshake.
        let wire = requestWireLength
        let fromClient = inBuf.readableCount > wire ? Array(inBuf.readable[wire...]) : []
        var toClient = Array(outBuf.readable)   // the 101, if the client's socket was full
        toClient.append(contentsOf: fromUpstream)
        leaveLoop()   // still one of limits.maxConnections: the tunnel counts it out
        toClient.withUnsafeBytes { down in
            fromClient.withUnsafeBytes { up in server.startTunnel(client: socket, upstream: upstream, toClient: down, toUpstream: up) }
        }
    }
}
