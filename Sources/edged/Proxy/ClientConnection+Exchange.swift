import EdgeCore
import Glibc
import Shared

/// What the routes (backend relay, Factory) report about the request they answer.
extension ClientConnection {
    // MARK: The exchange (from the routes)

    var responseStarted: Bool { exchange.status != 0 }

    func responseBegan(status: Int, upstreamLatency: Double? = nil) {
        exchange.responseStarted(status: status, now: loop.now)
        if let upstreamLatency { exchange.upstreamLatency = upstreamLatency }
    }

    func exchangeSent(_ n: Int) { exchange.responseBytes += n }

    /// The route's response is complete. `closeAfter`: it was delimited by a close.
    func responseFinished(closeAfter: Bool) {
        activeRoute = nil
        if closeAfter { keepAlive = false }
        finishRequest(reusable: keepAlive)
    }

    /// The response cannot be finished: the client must see it cut off.
    func abortResponse(note: String?) {
        logAccess(note: note)
        endExchange()
        close()
    }

    /// The client left (or its socket failed): drop whatever route is answering.
    func clientGone() {
        dropRoutes()
        if exchange.inFlight {
            logAccess(note: "client closed")
            endExchange()
        }
        close()
    }

    func dropRoutes() {
        if let r = activeRoute {
            activeRoute = nil
            r.abort()
        }
    }
}
