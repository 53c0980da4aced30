import Glibc
import Shared

/// A client connection after the backend's `101 Switching Protocols`
/// (a WebSocket: Codex's `GET /v1/responses`, `/backend-api/codex/responses`,
/// `/v1/realtime…`): from here on bytes go both ways as they come, unread
/// and unchanged, between the client's socket and the backend's.
///
/// The same discipline as a streamed response: a read lands in the loop's
/// scratch and is written straight on; what the other side does not take at
/// once waits in that side's `pending` (one read, 64 KiB at most) and the
/// side it came from is not read again until it is written — so a slow
/// reader slows the writer, and a tunnel holds 128 KiB at most. A half close
/// is passed on (shutdown of the other side's writing), the tunnel ends when
/// both directions have ended, on an error, or after
/// `limits.upstreamTimeoutSeconds` without a byte either way.
///
/// A reload hands a tunnel to the new generation like any other connection
/// (`ConnectionHandover`: both sockets and what waits in each direction), so
/// a WebSocket session outlives an edged reload. Lives on its loop's thread.
final class UpgradeTunnel {
    /// One of the two sockets, and the bytes waiting to be written to it.
    final class End: LoopHandler {
        unowned(unsafe) var tunnel: UpgradeTunnel!
        let socket: Socket
        let name: StaticString
        var pending = ByteBuffer()
        /// This end sent its last byte (EOF read).
        var readClosed = false
        /// Our writing to this end was shut down (its source ended).
        var writeShut = false
        var interest: UInt32 = 0

        init(_ socket: Socket, name: StaticString) {
            self.socket = socket
            self.name = name
        }

        func handleEvent(_ mask: UInt32) { tunnel.event(on: self, mask) }
    }

    static let readChunk = 64 * 1024

    let client: End
    let upstream: End
    unowned(unsafe) let server: LoopServer
    private var loop: EventLoop { server.loop }
    private(set) var lastActivity: UInt64
    private(set) var closed = false
    var slot = -1

    /// `toClient`: bytes for the client already in hand (the 101's rest, or
    /// what a previous generation had not written); `toUpstream` likewise.
    init(server: LoopServer, client: Socket, upstream: Socket, toClient: UnsafeRawBufferPointer, toUpstream: UnsafeRawBufferPointer) {
        self.server = server
        self.client = End(client, name: "client")
        self.upstream = End(upstream, name: "backend")
        lastActivity = server.loop.now
        self.client.tunnel = self
        self.upstream.tunnel = self
        self.client.pending.append(toClient)
        self.upstream.pending.append(toUpstream)
    }

    deinit {
        client.pending.release()
        upstream.pending.release()
    }

    /// Registers both sockets and writes what is already in hand.
    func start() throws(SystemError) {
        try loop.register(client.socket.fd, events: 0, handler: client)
        do { try loop.register(upstream.socket.fd, events: 0, handler: upstream) } catch {
            loop.unregister(client.socket.fd)
            throw error
        }
        flush(client)
        if !closed { flush(upstream) }
        if !closed { updateInterest() }
    }

    private func other(_ e: End) -> End { e === client ? upstream : client }

    // MARK: Events

    func event(on end: End, _ mask: UInt32) {
        guard !closed else { return }
        if mask & Epoll.writable != 0 { flush(end) }
        if closed { return }
        if mask & Epoll.error != 0 {
            let err = end.socket.pendingError()
            return finish(err != 0 ? "the \(end.name) connection failed (\(SystemError("socket", errno: err).errnoName))" : nil)
        }
        if mask & (Epoll.readable | Epoll.peerClosedWriting | Epoll.hangUp) != 0 { pump(from: end) }
        if closed { return }
        if mask & Epoll.hangUp != 0 {
            // Both directions of that socket are gone (epoll reports it until it is
            // closed, so it cannot wait): what it sent has been passed on if the
            // other end could take it, and nothing can be written to it any more.
            return finish(end.readClosed && end.writeShut ? nil : "the \(end.name) closed its connection")
        }
        updateInterest()
    }

    /// Reads from `source` and writes on to the other end while that end takes it.
    private func pump(from source: End) {
        let sink = other(source)
        let buffer = UnsafeMutableRawBufferPointer(rebasing: loop.scratch[0..<Self.readChunk])
        while !closed && !source.readClosed && sink.pending.isEmpty {
            let n: Int?
            do { n = try source.socket.fd.readNonBlocking(into: buffer) } catch {
                return finish("reading from the \(source.name): \(error.errnoName)")
            }
            guard let n else { return }
            lastActivity = loop.now
            if n == 0 {
                source.readClosed = true
                if sink.pending.isEmpty { shutWriting(sink) }
                return finishIfDone()
            }
            write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), to: sink)
            if n < Self.readChunk { return }
        }
    }

    /// Writes what it can of `bytes` to `end` now; the rest waits in its `pending`.
    private func write(_ bytes: UnsafeRawBufferPointer, to end: End) {
        var offset = 0
        while offset < bytes.count {
            let n: Int?
            do { n = try end.socket.fd.sendNonBlocking(UnsafeRawBufferPointer(rebasing: bytes[offset...])) } catch {
                return finish("writing to the \(end.name): \(error.errnoName)")
            }
            guard let n else { break }
            offset += n
        }
        if offset < bytes.count { end.pending.append(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
    }

    /// Writes `end`'s pending bytes; once they are out, its source may be read again.
    private func flush(_ end: End) {
        while !end.pending.isEmpty {
            let n: Int?
            do { n = try end.socket.fd.sendNonBlocking(end.pending.readable) } catch {
                return finish("writing to the \(end.name): \(error.errnoName)")
            }
            guard let n else { return }
            end.pending.consume(n)
            lastActivity = loop.now
        }
        end.pending.release()
        let source = other(end)
        if source.readClosed {
            shutWriting(end)
            finishIfDone()
        } else {
            pump(from: source)
        }
    }

    private func shutWriting(_ end: End) {
        guard !end.writeShut else { return }
        end.writeShut = true
        end.socket.shutdown(writing: true)
    }

    /// Both directions ended and nothing waits: the tunnel is done.
    private func finishIfDone() {
        if client.readClosed && upstream.readClosed && client.pending.isEmpty && upstream.pending.isEmpty { finish(nil) }
    }

    /// Each end is watched for what can move now: read it while the other end
    /// has nothing waiting, write to it while it has.
    private func updateInterest() {
        guard !closed else { return }
        for end in [client, upstream] {
            var events: UInt32 = 0
            if !end.readClosed && other(end).pending.isEmpty { events |= Epoll.readable | Epoll.peerClosedWriting }
            if !end.pending.isEmpty { events |= Epoll.writable }
            if events != end.interest {
                end.interest = events
                loop.modify(end.socket.fd, events: events)
            }
        }
    }

    // MARK: Time and teardown

    /// The loop's tick: a tunnel silent both ways past the upstream timeout ends.
    func tick(now: UInt64, timeoutNanos: UInt64) {
        guard !closed, now >= lastActivity, now - lastActivity >= timeoutNanos else { return }
        finish("no byte either way for \(timeoutNanos / 1_000_000_000) s (limits.upstreamTimeoutSeconds)")
    }

    /// Closes both sockets. `why`: the cause, logged when the tunnel did not end cleanly.
    func finish(_ why: String?) {
        guard !closed else { return }
        closed = true
        if let why { Log.info("edged: WebSocket tunnel closed: \(why)") }
        detach()
        client.socket.close()
        upstream.socket.close()
        server.tunnelEnded(self, handedOver: false)
    }

    /// Stops watching both sockets and gives back the buffers, leaving the sockets open.
    private func detach() {
        loop.unregister(client.socket.fd)
        loop.unregister(upstream.socket.fd)
    }

    /// Reload: both sockets and what waits in each direction go to the new generation.
    func handOff(_ sender: HandoverSender) {
        guard !closed else { return }
        closed = true
        detach()
        let parts = DetachedConnection(socket: client.socket, pending: Array(upstream.pending.readable),
                                       tunnel: .init(upstream: upstream.socket, toClient: Array(client.pending.readable)))
        client.pending.release()
        upstream.pending.release()
        server.tunnelEnded(self, handedOver: true)
        sender.enqueue(parts)
    }
}
