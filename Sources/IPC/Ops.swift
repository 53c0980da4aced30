import Shared
import Synchronization

/// Who may call an op.
public enum OpAccess: Sendable {
    /// Any peer the socket's allow-list let in: edged or an admin (the
    /// server refuses a peer of neither class before it reads a request).
    case anyPeer
    case edge
    case admin

    func allows(_ c: PeerClass) -> Bool {
        switch self {
        case .anyPeer: return true
        case .edge: return c.contains(.edge)
        case .admin: return c.contains(.admin)
        }
    }

    var words: String {
        switch self {
        case .anyPeer: "any peer"
        case .edge: "edged only"
        case .admin: "root or the droidgate-admin group only"
        }
    }
}

/// What a handler sees of one request.
public struct OpRequest: Sendable {
    public let id: Int
    public let op: OpName
    public let args: JSONObject
    public let peer: PeerCredentials
    public let peerClass: PeerClass
    public let hello: Hello
    /// The connection, for handlers that register a subscription on it.
    public let connection: ServerConnection
}

/// One entry of a daemon's op table: name, who may call it, what answers it.
/// Each daemon lists all of its ops in one table (its whole IPC attack surface
/// on one screen, as OpenSSH's monitor does).
public struct Op: Sendable {
    public let name: OpName
    public let access: OpAccess
    public let handler: @Sendable (OpRequest) throws(IPCError) -> IPCReply

    public init(_ name: OpName, _ access: OpAccess, _ handler: @escaping @Sendable (OpRequest) throws(IPCError) -> IPCReply) {
        self.name = name
        self.access = access
        self.handler = handler
    }
}

/// A server-side connection as handlers and subscriptions see it.
public final class ServerConnection: Sendable {
    let framed: FramedConnection
    public let peer: PeerCredentials

    init(framed: FramedConnection, peer: PeerCredentials) {
        self.framed = framed
        self.peer = peer
    }

    public var isOpen: Bool { !framed.isShutDown }

    /// Pushes an event for subscription `sub`; false once the peer is gone.
    @discardableResult
    public func push(event: EventName, sub: Int, data: JSONValue) -> Bool {
        do {
            try framed.send(Messages.event(event, sub: sub, data: data))
            return true
        } catch {
            framed.shutdown()
            return false
        }
    }
}

/// Fans events out to the connections that subscribed to them.
///
/// A subscriber that asks for it (`"acks": true` in its subscribe args)
/// echoes the sequence number carried in each event's data back with
/// `acknowledge`; the publisher can then wait until every such subscriber
/// has applied an event (`awaitAcknowledged`) before acting on it.
public final class Subscribers: Sendable {
    private struct Entry {
        let connection: ServerConnection
        let sub: Int
        let acks: Bool
        var acknowledged = Int.min
    }
    private let entries = Mutex<[Entry]>([])
    public let event: EventName

    public init(event: EventName) { self.event = event }

    public func add(_ request: OpRequest) {
        let acks = request.args["acks"]?.boolValue == true
        entries.withLock { $0.append(Entry(connection: request.connection, sub: request.id, acks: acks)) }
    }

    public var count: Int { entries.withLock { $0.count } }

    /// Sends `data` to every live subscriber; drops those that went away.
    public func publish(_ data: JSONValue) {
        let targets = entries.withLock { list -> [Entry] in
            list.removeAll { !$0.connection.isOpen }
            return list
        }
        for t in targets { t.connection.push(event: event, sub: t.sub, data: data) }
    }

    /// `connection` has applied every event up to sequence number `seq`.
    public func acknowledge(_ connection: ServerConnection, seq: Int) {
        entries.withLock { list in
            for i in list.indices where list[i].connection === connection && list[i].acks {
                list[i].acknowledged = max(list[i].acknowledged, seq)
            }
        }
    }

    /// Waits up to `timeout` seconds until every live subscriber that
    /// acknowledges has acknowledged `seq`; returns the peer pids of those
    /// that had not (empty: all had).
    public func awaitAcknowledged(_ seq: Int, timeout: Double) -> [Int32] {
        let deadline = Monotonic.seconds() + timeout
        while true {
            let late = entries.withLock { list in
                list.filter { $0.acks && $0.connection.isOpen && $0.acknowledged < seq }.map { $0.connection.peer.pid }
            }
            if late.isEmpty || Monotonic.seconds() >= deadline { return late }
            sleepSeconds(0.001)
        }
    }
}
