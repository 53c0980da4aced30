import Glibc
import Shared

/// Every open connection of one server and whether it is busy, for a
/// graceful shutdown the way Go's `http.Server.Shutdown` does it (net/http
/// server.go: `closeIdleConns`): once shutdown has begun, idle keep-alive
/// connections are closed at once, connections that never sent a request are
/// closed once they are 5 s old, and busy ones are left to finish and are then
/// closed instead of being kept alive.
///
/// The connection's own thread owns its socket and closes it; the registry
/// only shuts a socket down (`shutdown(2)`), which wakes that thread's poll.
public final class ConnectionRegistry: Sendable {
    enum Phase: Sendable { case new, idle, active }

    struct Entry: Sendable {
        let socket: Socket
        var phase: Phase
        let accepted: UInt64
        var closedByServer = false
    }

    struct State: Sendable {
        var entries: [Int: Entry] = [:]
        var nextID = 1
        var shuttingDown = false
    }

    private let state = Locked(State())

    /// Go's `closeIdleConns` leaves a never-used connection alone this long
    /// (its first request may be on the way).
    static let newConnectionGraceNanoseconds: UInt64 = 5_000_000_000

    public init() {}

    public var shuttingDown: Bool { state.withLock { $0.shuttingDown } }

    public var count: Int { state.withLock { $0.entries.count } }

    /// Registers an accepted socket; nil once shutdown has begun.
    func add(_ socket: Socket) -> Int? {
        state.withLock { s in
            guard !s.shuttingDown else { return nil }
            let id = s.nextID
            s.nextID += 1
            s.entries[id] = Entry(socket: socket, phase: .new, accepted: Monotonic.nanoseconds())
            return id
        }
    }

    func remove(_ id: Int) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }

    /// Waiting for the next request (after at least one).
    func markIdle(_ id: Int) {
        state.withLock { s in s.entries[id]?.phase = .idle }
    }

    /// Request bytes arrived. False when shutdown already closed the connection.
    func markActive(_ id: Int) -> Bool {
        state.withLock { s in
            guard let e = s.entries[id], !e.closedByServer else { return false }
            s.entries[id]?.phase = .active
            return true
        }
    }

    /// Stops new registrations; from now on finished responses close their connection.
    func beginShutdown() {
        state.withLock { $0.shuttingDown = true }
    }

    /// Closes the connections that are not serving a request; returns how many remain open.
    func closeIdle(now: UInt64 = Monotonic.nanoseconds()) -> Int {
        state.withLock { s in
            for (id, e) in s.entries where !e.closedByServer {
                let stale = e.phase == .idle
                    || (e.phase == .new && now &- e.accepted >= Self.newConnectionGraceNanoseconds)
                guard stale else { continue }
                s.entries[id]?.closedByServer = true
                e.socket.shutdown(writing: true, reading: true)
            }
            return s.entries.count
        }
    }
}
