import EdgeCore
import Glibc
import Shared

/// Each loop's keep-alive connections to the backend.
final class UpstreamPool {
    // unowned(unsafe): never freed while the process runs (see EdgeServer.loops).
    unowned(unsafe) let loop: EventLoop
    let address: SocketAddress
    let gate: BackendGate
    private var idle: [UpstreamConnection] = []
    /// Enough for every request a loop has in flight at high concurrency, so
    /// bursts reuse connections instead of churning through connect/close.
    static let maxIdle = 512

    init(loop: EventLoop, address: SocketAddress, gate: BackendGate) {
        self.loop = loop
        self.address = address
        self.gate = gate
    }

    /// An idle connection to the backend `ticket` names, if any (one opened
    /// for another backend process is closed: that process is gone).
    func takeIdle(for ticket: BackendGate.Ticket) -> UpstreamConnection? {
        while let u = idle.popLast() {
            // Closed (or sent something) while idle and the event not handled
            // yet: never write a request into it.
            guard case .nothing = u.socket.peek(), u.ticket.pid == ticket.pid else {
                u.close()
                continue
            }
            return u
        }
        return nil
    }

    /// A new connection (possibly still connecting); written to only once
    /// confirmed established (UpstreamConnection.confirmEstablished).
    /// Throws when the connect fails at once (nothing listening).
    func open(_ ticket: BackendGate.Ticket) throws(SystemError) -> UpstreamConnection {
        let (s, inProgress) = try Socket.connectTCPNonBlocking(address)
        let u = UpstreamConnection(socket: s, loop: loop, pool: self, connecting: inProgress, ticket: ticket)
        do throws(SystemError) {
            try u.register()
        } catch {
            s.close()
            throw error
        }
        return u
    }

    func release(_ u: UpstreamConnection) {
        if idle.count >= Self.maxIdle { u.close(); return }
        u.becomeIdle()
        idle.append(u)
    }

    func discard(_ u: UpstreamConnection) { u.close() }

    /// Called by a connection as it closes.
    func forget(_ u: UpstreamConnection) {
        idle.removeAll { $0 === u }
    }
}
