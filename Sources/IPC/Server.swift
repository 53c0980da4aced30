import Shared
import Synchronization

/// Serves one Unix socket: checks each peer's credentials against the
/// socket's allow-list before reading anything, exchanges hellos, then answers
/// requests from the op table until the peer leaves. One thread per connection:
/// IPC peers are few (edged, the CLI) and the ops are small.
public final class IPCServer: Sendable {
    public let name: String          // our role in hellos: "authd", "supervisord", "edged"
    private let listener: Socket
    private let policy: PeerPolicy
    private let ops: [OpName: Op]
    private let stopped = Atomic<Bool>(false)
    private let live = Mutex<[ServerConnection]>([])
    public static let helloTimeout = 5.0
    /// More concurrent peers than this is an attack or a bug: extra ones are turned away.
    public static let maxConnections = 256

    public init(name: String, listener: Socket, policy: PeerPolicy, ops: [Op]) {
        self.name = name
        self.listener = listener
        self.policy = policy
        var table: [OpName: Op] = [:]
        for op in ops {
            precondition(table[op.name] == nil, "op \(op.name) listed twice")
            table[op.name] = op
        }
        self.ops = table
    }

    public var opNames: [String] { ops.keys.map(\.rawValue).sorted() }

    public func start() {
        startThread("ipc-accept-\(name)") { [self] in acceptLoop() }
    }

    /// Stops accepting and disconnects every peer. `closeListener` false: the
    /// listening socket is shared with a successor process, so it must stay
    /// usable (a shutdown() would break it for the successor too).
    public func stop(closeListener: Bool = true) {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // A shared listener is left alone: the accept loop polls and notices `stopped`.
        if closeListener { listener.shutdown(writing: true, reading: true) }
        for c in live.withLock({ $0 }) { c.framed.shutdown() }
    }

    private func acceptLoop() {
        // Non-blocking, and polled: the listener may be shared with a successor
        // process (socket activation, edged generations), and then nobody may
        // shut it down to wake us; with two acceptors one of them gets EAGAIN.
        try? listener.fd.setNonBlocking()
        while !stopped.load(ordering: .acquiring) {
            let client: Socket
            do {
                guard try Poll.readable(listener.fd, timeoutMs: 250) else { continue }
                guard let c = try listener.accept() else { continue }
                if stopped.load(ordering: .acquiring) {
                    c.close()
                    break
                }
                client = c
            } catch {
                if stopped.load(ordering: .acquiring) { break }
                Log.error("\(name) IPC: \(error)")
                sleepSeconds(0.1)   // e.g. EMFILE: do not spin
                continue
            }
            if live.withLock({ $0.count }) >= Self.maxConnections {
                Log.warning("\(name) IPC: refusing a connection: \(Self.maxConnections) peers already connected")
                client.close()
                continue
            }
            startThread("ipc-conn-\(name)") { [self] in serve(client) }
        }
        // Our copy of the descriptor; a successor holds its own.
        listener.close()
    }

    private func serve(_ socket: Socket) {
        // No op takes a descriptor: any that arrives is closed at once and ends the connection.
        let framed = FramedConnection(socket: socket, descriptors: .refuse)
        defer { framed.close() }
        let peer: PeerCredentials
        do { peer = try socket.peerCredentials() } catch {
            Log.warning("\(name) IPC: could not read the peer's credentials: \(error)")
            return
        }
        // The allow-list comes first: nothing is read from a peer it refuses.
        let peerClass = policy.classify(peer, groups: socket.peerGroups())
        if peerClass.isEmpty {
            Log.warning("\(name) IPC: refused a connection from \(Users.name(of: peer.uid)) (uid \(peer.uid), pid \(peer.pid)): not on this socket's allow-list")
            try? framed.send(Messages.error(id: nil, code: IPCError.Code.forbidden,
                                            message: "uid \(peer.uid) may not connect to \(name)"))
            return
        }
        let hello: Hello
        do {
            let (first, _) = try framed.receive(timeout: Self.helloTimeout)
            hello = try Hello.parse(first)
            try framed.send(Hello(role: name, pid: Users.currentPID).message)
        } catch {
            Log.warning("\(name) IPC: dropped a connection from uid \(peer.uid), pid \(peer.pid): \(error)")
            try? framed.send(Messages.error(id: nil, code: IPCError.Code.badHello, message: error.description))
            return
        }
        let connection = ServerConnection(framed: framed, peer: peer)
        live.withLock { $0.append(connection) }
        defer { live.withLock { $0.removeAll { $0 === connection } } }
        if stopped.load(ordering: .acquiring) { return }
        let who = "\(hello.role) (uid \(peer.uid), pid \(peer.pid))"
        Log.debug("\(name) IPC: \(who) connected")

        while true {
            let message: JSONObject
            do {
                (message, _) = try framed.receive()   // never with descriptors: `.refuse`
            } catch {
                if error != .disconnected && !framed.isShutDown {
                    hangUp(framed, who: who, id: nil, code: IPCError.Code.badRequest, reason: error.description)
                }
                return
            }
            switch answer(message, peer: peer, peerClass: peerClass, hello: hello, connection: connection) {
            case .reply(let reply):
                do { try framed.send(reply.message, fds: reply.fds) } catch {
                    guard case .frameTooLarge(let n) = error else { return }
                    // Nothing was sent: answer with an error the peer can act on.
                    let id = reply.message["id"]?.intValue
                    Log.warning("\(name) IPC: a reply to \(who) of \(n) bytes exceeds the \(Frame.maxPayload)-byte frame limit; sent an error instead")
                    do { try framed.send(Messages.error(id: id, code: IPCError.Code.failed,
                                                        message: "the reply (\(n) bytes) exceeds the \(Frame.maxPayload)-byte IPC limit; ask for less")) } catch { return }
                    continue
                }
                reply.afterSend()
            case .hangUp(let id, let code, let reason):
                hangUp(framed, who: who, id: id, code: code, reason: reason)
                return
            }
        }
    }

    /// Ends a connection on a peer's protocol violation: one log line naming
    /// the peer and the reason, and (best effort) an error reply saying why.
    private func hangUp(_ framed: FramedConnection, who: String, id: Int?, code: IPCError.Code, reason: String) {
        Log.warning("\(name) IPC: closing the connection from \(who): \(reason)")
        try? framed.send(Messages.error(id: id, code: code, message: reason))
    }

    private enum Verdict {
        case reply(Outgoing)
        /// The peer broke the protocol: the connection ends.
        case hangUp(id: Int?, code: IPCError.Code, reason: String)
    }

    private struct Outgoing {
        let message: JSONValue
        var fds: [FileDescriptor] = []
        var afterSend: () -> Void = {}
    }

    /// Answers one request, or says why the connection ends (a message that
    /// is not a request; an op we lack, from a peer for which that is fatal).
    private func answer(_ m: JSONObject, peer: PeerCredentials, peerClass: PeerClass, hello: Hello,
                        connection: ServerConnection) -> Verdict {
        guard let id = m["id"]?.intValue, let opName = m["op"]?.stringValue else {
            return .hangUp(id: m["id"]?.intValue, code: IPCError.Code.badRequest,
                           reason: "a request needs an integer \"id\" and a string \"op\"")
        }
        guard let op = ops[OpName(rawValue: opName)] else {
            if PeerSurprise.isFatal(peerClass: peerClass, hello: hello) {
                return .hangUp(id: id, code: IPCError.Code.unknownOp, reason: "\(name) has no op \"\(Self.clip(opName))\"")
            }
            return .reply(Outgoing(message: Messages.error(id: id, code: IPCError.Code.unknownOp,
                                                           message: "\(name) has no op \"\(Self.clip(opName))\" (it has: \(opNames.joined(separator: ", ")))")))
        }
        let fatal = PeerSurprise.isFatal(peerClass: peerClass, hello: hello)
        guard op.access.allows(peerClass) else {
            let message = "op \"\(opName)\" is for \(op.access.words)"
            // Fatal: the hang-up's own line says it (one line per event).
            if fatal { return .hangUp(id: id, code: IPCError.Code.forbidden, reason: message) }
            Log.warning("\(name) IPC: refused op \(opName) to uid \(peer.uid) (\(op.access.words))")
            return .reply(Outgoing(message: Messages.error(id: id, code: IPCError.Code.forbidden, message: message)))
        }
        let args: JSONObject
        switch m["args"] {
        case nil, .null?: args = JSONObject()
        case .object(let o)?: args = o
        default:
            if fatal { return .hangUp(id: id, code: IPCError.Code.badRequest, reason: "\"args\" must be an object") }
            return .reply(Outgoing(message: Messages.error(id: id, code: IPCError.Code.badRequest, message: "\"args\" must be an object")))
        }
        let request = OpRequest(id: id, op: op.name, args: args, peer: peer, peerClass: peerClass, hello: hello, connection: connection)
        do {
            let reply = try op.handler(request)
            // Descriptors we pass are copies for the peer; ours are closed once sent.
            return .reply(Outgoing(message: Messages.result(id: id, reply.result, fdCount: reply.fds.count), fds: reply.fds,
                                   afterSend: { for fd in reply.fds { fd.close() } }))
        } catch {
            let (code, message): (IPCError.Code, String)
            if case .remote(let c, let msg) = error { (code, message) = (c, msg) } else { (code, message) = (.failed, error.description) }
            return .reply(Outgoing(message: Messages.error(id: id, code: code, message: message)))
        }
    }

    /// A peer-chosen name as it goes into a log line: at most 64 characters.
    static func clip(_ s: String) -> String {
        s.count <= 64 ? s : String(s.prefix(64)) + "…"
    }
}
