import Glibc
import Shared
import Synchronization

/// A single synchronous connection: connect, hello, then request/reply.
/// Used by the CLI and tests; daemons use `ReconnectingClient`.
public final class IPCClient: Sendable {
    public let path: String
    public let peerHello: Hello
    private let framed: FramedConnection
    private let nextID = Atomic<Int>(1)

    /// Connects, checks that the server is one of `servedBy` (SO_PEERCRED,
    /// before a byte is sent), and exchanges hellos. Errors say which socket
    /// and why.
    public init(path: String, role: String, timeout: Double = 5,
                servedBy: Set<uid_t> = [0, geteuid()]) throws(IPCError) {
        self.path = path
        let socket: Socket
        do { socket = try Socket.connectUnix(path: path) } catch { throw .system(error) }
        do { try ServerIdentity.verify(socket, path: path, allowed: servedBy) } catch {
            socket.close()
            throw error
        }
        // Replies may carry descriptors (announced by "fds":N).
        let framed = FramedConnection(socket: socket, descriptors: .accept)
        do {
            try framed.send(Hello(role: role, pid: Users.currentPID).message)
            let (reply, fds) = try framed.receive(timeout: timeout)
            fds.forEach { $0.close() }
            self.peerHello = try Hello.parse(reply)
        } catch {
            framed.close()
            if error == .disconnected { throw .badHello("\(path) closed the connection during the handshake") }
            throw error
        }
        self.framed = framed
    }

    /// Sends a request and waits for its reply (events that arrive meanwhile are skipped).
    public func call(_ op: OpName, _ args: JSONObject = JSONObject(), timeout: Double = 10) throws(IPCError) -> IPCReply {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        try framed.send(Messages.request(id: id, op: op, args: args))
        let deadline = Monotonic.seconds() + timeout
        while true {
            let (m, fds) = try framed.receive(timeout: max(0.001, deadline - Monotonic.seconds()))
            let reply: IPCReply?
            do { reply = m["event"] == nil ? try Self.reply(m, fds: fds, expecting: id) : nil } catch {
                fds.forEach { $0.close() }
                throw error
            }
            if let reply { return reply }
            fds.forEach { $0.close() }   // an event's or another request's: not the caller's
        }
    }

    /// Sends a request without waiting (for subscribe calls whose events are read with `nextMessage`).
    public func send(_ op: OpName, _ args: JSONObject = JSONObject()) throws(IPCError) -> Int {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        try framed.send(Messages.request(id: id, op: op, args: args))
        return id
    }

    /// The next raw message (reply or event).
    public func nextMessage(timeout: Double) throws(IPCError) -> JSONObject {
        let (m, fds) = try framed.receive(timeout: timeout)
        fds.forEach { $0.close() }
        return m
    }

    public func close() { framed.close() }

    /// The error a frame carries (`{"id": …, "error": {"code": …, "message": …}}`), if it is one.
    public static func error(in m: JSONObject) -> IPCError? {
        guard let err = m["error"]?.objectValue else { return nil }
        return .remote(code: err["code"]?.stringValue.map(IPCError.Code.init(rawValue:)) ?? .failed,
                       message: err["message"]?.stringValue ?? "request failed")
    }

    /// Interprets a reply frame: nil if it answers another id.
    static func reply(_ m: JSONObject, fds: [FileDescriptor], expecting id: Int?) throws(IPCError) -> IPCReply? {
        if let error = error(in: m) {
            let mid = m["id"]?.intValue
            if mid == nil || mid == id { throw error }
            return nil
        }
        guard let mid = m["id"]?.intValue, mid == id || id == nil else { return nil }
        return IPCReply(result: m["result"] ?? .null, fds: fds)
    }
}

/// A daemon's long-lived client of another daemon: reconnects with capped
/// exponential backoff, re-subscribes after each reconnect, and routes
/// replies to waiting callers and events to subscription handlers.
public final class ReconnectingClient: Sendable {
    public struct Subscription: Sendable {
        public let op: OpName
        public let args: JSONObject
        /// Called with the subscribe reply's result, then with each event's data.
        public let handler: @Sendable (JSONValue) -> Void
        public init(op: OpName, args: JSONObject = JSONObject(), handler: @escaping @Sendable (JSONValue) -> Void) {
            self.op = op
            self.args = args
            self.handler = handler
        }
    }

    public struct Status: Sendable {
        public var connected = false
        /// Successful connections so far (2 or more means it reconnected).
        public var connects = 0
        public var lastError: String? = nil
        public var peerPID: Int32? = nil
    }

    public let path: String
    public let role: String
    public let target: String
    public let servedBy: Set<uid_t>
    private let subscriptions: [Subscription]
    private let state = Mutex<State>(State())
    private let nextID = Atomic<Int>(1)
    private let stopped = Atomic<Bool>(false)
    private let onConnect: @Sendable () -> Void

    public static let initialBackoff = 0.05
    public static let maxBackoff = 2.0
    /// A connection that lasted this long resets the backoff. One the peer
    /// ends at once does not: a server closes the connection on an op it
    /// lacks (an older daemon during an upgrade), and re-subscribing at once
    /// after each close would be a reconnect loop.
    public static let stableSeconds = 1.0

    private final class Waiter: Sendable {
        let done = DispatchSemaphoreBox()
        let outcome = Mutex<Result<IPCReply, IPCError>?>(nil)
    }

    private struct State {
        var status = Status()
        var connection: FramedConnection? = nil
        var waiters: [Int: Waiter] = [:]
        var subIDs: [Int: Int] = [:]   // request id → index in subscriptions
    }

    /// `servedBy`: who may serve the socket (default: root, this process's
    /// user, or the system user of the daemon named `target`).
    public init(path: String, role: String, target: String, subscriptions: [Subscription] = [],
                servedBy: Set<uid_t>? = nil, onConnect: @escaping @Sendable () -> Void = {}) {
        self.path = path
        self.role = role
        self.target = target
        self.servedBy = servedBy ?? DaemonName(rawValue: target).map(ServerIdentity.system) ?? [0, geteuid()]
        self.subscriptions = subscriptions
        self.onConnect = onConnect
    }

    public var status: Status { state.withLock { $0.status } }

    public func start() {
        startThread("ipc-client-\(target)") { [self] in run() }
    }

    public func stop() {
        stopped.store(true, ordering: .releasing)
        state.withLock { $0.connection }?.shutdown()
    }

    /// Sends a request without waiting for its answer (which is dropped when
    /// it comes): for acknowledgements sent from a subscription handler,
    /// which runs on the reading thread and so cannot wait for a reply.
    /// Nothing is sent while the peer is away.
    public func post(_ op: OpName, _ args: JSONObject = JSONObject()) {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        guard let conn = state.withLock({ $0.connection }) else { return }
        try? conn.send(Messages.request(id: id, op: op, args: args))
    }

    /// One request; fails at once with `.notConnected` while the peer is away.
    public func call(_ op: OpName, _ args: JSONObject = JSONObject(), timeout: Double = 10) throws(IPCError) -> IPCReply {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let waiter = Waiter()
        let conn: FramedConnection? = state.withLock { s in
            guard let c = s.connection else { return nil }
            s.waiters[id] = waiter
            return c
        }
        guard let conn else {
            throw .notConnected("\(target) at \(path): \(status.lastError ?? "not connected yet")")
        }
        do {
            try conn.send(Messages.request(id: id, op: op, args: args))
        } catch {
            _ = state.withLock { $0.waiters.removeValue(forKey: id) }
            throw error
        }
        if !waiter.done.wait(seconds: timeout) {
            _ = state.withLock { $0.waiters.removeValue(forKey: id) }
            throw .timeout("\(target) to answer \(op)")
        }
        switch waiter.outcome.withLock({ $0 }) {
        case .success(let r)?: return r
        case .failure(let e)?: throw e
        case nil: throw .disconnected
        }
    }

    private func run() {
        var backoff = Self.initialBackoff
        while !stopped.load(ordering: .acquiring) {
            do {
                let conn = try connect()
                let since = Monotonic.seconds()
                readLoop(conn)
                if Monotonic.seconds() - since >= Self.stableSeconds { backoff = Self.initialBackoff }
            } catch {
                state.withLock { $0.status.lastError = error.description }
            }
            disconnected()
            if stopped.load(ordering: .acquiring) { break }
            sleepSeconds(backoff * Double.random(in: 0.8...1.2))
            backoff = min(backoff * 2, Self.maxBackoff)
        }
    }

    private func connect() throws(IPCError) -> FramedConnection {
        let socket: Socket
        do { socket = try Socket.connectUnix(path: path) } catch { throw .system(error) }
        do { try ServerIdentity.verify(socket, path: path, allowed: servedBy) } catch {
            socket.close()
            throw error
        }
        let conn = FramedConnection(socket: socket, descriptors: .accept)
        do {
            try conn.send(Hello(role: role, pid: Users.currentPID).message)
            let (greeting, fds) = try conn.receive(timeout: 5)
            fds.forEach { $0.close() }
            let hello = try Hello.parse(greeting)
            let ids = subscriptions.indices.map { _ in nextID.add(1, ordering: .relaxed).oldValue }
            let first = state.withLock { s -> Bool in
                s.connection = conn
                s.status.connected = true
                s.status.connects += 1
                s.status.lastError = nil
                s.status.peerPID = hello.pid
                s.subIDs = Dictionary(uniqueKeysWithValues: zip(ids, subscriptions.indices))
                return s.status.connects == 1
            }
            Log.info("connected to \(target)\(first ? "" : " again") (pid \(hello.pid.map(String.init) ?? "?"))")
            for (id, i) in zip(ids, subscriptions.indices) {
                try conn.send(Messages.request(id: id, op: subscriptions[i].op, args: subscriptions[i].args))
            }
            onConnect()
            return conn
        } catch {
            conn.close()
            throw error
        }
    }

    private func readLoop(_ conn: FramedConnection) {
        while true {
            let m: JSONObject, fds: [FileDescriptor]
            do { (m, fds) = try conn.receive() } catch {
                state.withLock { $0.status.lastError = error == .disconnected ? "\(target) closed the connection" : error.description }
                conn.close()
                return
            }
            if let sub = m["sub"]?.intValue, m["event"] != nil {
                fds.forEach { $0.close() }   // no event carries any
                if let i = state.withLock({ $0.subIDs[sub] }) { subscriptions[i].handler(m["data"] ?? .null) }
                continue
            }
            guard let id = m["id"]?.intValue else { fds.forEach { $0.close() }; continue }
            if let i = state.withLock({ $0.subIDs[id] }) {
                fds.forEach { $0.close() }
                if let r = m["result"] { subscriptions[i].handler(r) }
                else { Log.warning("\(target) refused subscription \(subscriptions[i].op): \(m["error"]?["message"]?.stringValue ?? "no reason given")") }
                continue
            }
            guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: id) }) else {
                fds.forEach { $0.close() }
                continue
            }
            let outcome: Result<IPCReply, IPCError>
            do {
                outcome = .success(try IPCClient.reply(m, fds: fds, expecting: id) ?? IPCReply(result: .null))
            } catch {
                fds.forEach { $0.close() }
                outcome = .failure(error)
            }
            waiter.outcome.withLock { $0 = outcome }
            waiter.done.signal()
        }
    }

    private func disconnected() {
        let waiters = state.withLock { s -> [Waiter] in
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            s.connection = nil
            s.status.connected = false
            s.status.peerPID = nil
            return w
        }
        for w in waiters {
            w.outcome.withLock { $0 = .failure(.disconnected) }
            w.done.signal()
        }
    }
}
