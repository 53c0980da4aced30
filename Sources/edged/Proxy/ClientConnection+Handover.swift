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
        guard state == .idle, !backendInUse, factoryExchange == nil else { return }
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
        chunkedBody = []
        settleBudget()
        server.remove(self)
        sender.enqueue(DetachedConnection(socket: socket, pending: pending))
    }
}
