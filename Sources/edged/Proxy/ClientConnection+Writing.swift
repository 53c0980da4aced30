import Glibc
import Shared

/// The client connection's output: bytes go straight to the socket while it
/// takes them, the rest waits in `outBuf` until the socket is writable; and
/// the lingering close after an error answer.
extension ClientConnection {
    /// Response bytes waiting for the client.
    var queuedBytes: Int { outBuf.readableCount }

    /// Writes to the client now if possible; queues the rest.
    func send(_ bytes: UnsafeRawBufferPointer) {
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

    func flush() {
        while !outBuf.isEmpty {
            let n: Int?
            do { n = try socket.fd.sendNonBlocking(outBuf.readable) } catch {
                clientGone()
                return
            }
            guard let n else { return }
            outBuf.consume(n)
        }
        let resume = awaitingDrain
        awaitingDrain = false
        setInterest(interest & ~Epoll.writable)
        if state == .closing { linger(); return }
        if handOffAfterFlush, let h = server.handover {
            handOffAfterFlush = false
            return handOff(h)
        }
        if resume && state == .idle {
            // Answers were queued past the high-water mark between requests: now
            // taken, the next request may go on.
            deadline = loop.now + context.idleTimeoutNanos
            setInterest(Epoll.readable | Epoll.peerClosedWriting)
            return resumeRequests()
        }
        sink.drained()
    }

    func beginClosing() {
        state = .closing
        deadline = loop.now + 5_000_000_000
        if outBuf.isEmpty { linger() } else { setInterest(Epoll.writable) }
    }

    /// After an error response: send FIN but keep reading (and discarding) for a
    /// moment, so a client still uploading sees our answer instead of a reset.
    func linger() {
        guard !lingering else { return }
        lingering = true
        socket.shutdown(writing: true)
        deadline = loop.now + 1_000_000_000
        setInterest(Epoll.readable | Epoll.peerClosedWriting)
        discardInput()
    }

    func discardInput() {
        let scratch = loop.scratch
        while true {
            let n: Int?
            do { n = try socket.fd.readNonBlocking(into: scratch) } catch { return close() }
            guard let n else { return }            // nothing more for now
            if n == 0 { return close() }           // the client finished too
        }
    }
}
