import Shared

/// Where a request was answered.
enum Route: Int, Sendable, CaseIterable {
    case local, backend, factory, models

    var name: String {
        switch self {
        case .local: "local"
        case .backend: "backend"
        case .factory: "factory"
        case .models: "models"
        }
    }
}

/// One request/response on a client connection, from its first byte to its
/// last: what the access log and the metrics need, kept apart from the
/// connection's HTTP state machine. Reset, not reallocated, per request.
struct Exchange {
    var route: Route = .backend
    /// Monotonic ns: the first byte of the request; the start of forwarding.
    var started: UInt64 = 0
    var forwardStarted: UInt64 = 0
    /// Seconds from forwarding to the response head.
    var upstreamLatency: Double? = nil
    var status = 0
    var responseBytes = 0
    var requestBodyBytes = 0
    /// Counted in the metrics' in-flight gauge, not yet finished.
    var inFlight = false

    /// A request is about to be answered.
    mutating func begin(bodyBytes: Int) {
        inFlight = true
        route = .backend
        status = 0
        responseBytes = 0
        upstreamLatency = nil
        requestBodyBytes = bodyBytes
    }

    mutating func beginForwarding(now: UInt64) { forwardStarted = now }

    mutating func responseStarted(status: Int, now: UInt64) {
        self.status = status
        upstreamLatency = Double(now - forwardStarted) / 1e9
    }

    /// Ends the exchange in the metrics (once).
    mutating func finish(_ metrics: LoopMetrics) {
        guard inFlight else { return }
        inFlight = false
        metrics.requestFinished(route: route, status: status, bytesIn: requestBodyBytes,
                                bytesOut: responseBytes, upstreamSeconds: upstreamLatency)
    }

    /// The access-log line: method, path, model, route, status, bytes, upstream
    /// and total ms. Never a header value or a body. Method, path and model
    /// come from the client: `Log` escapes control bytes in them.
    func accessLine(method: String, path: String, model: String?, now: UInt64, note: String?) -> String {
        let total = Double(now - started) / 1e6
        let up = upstreamLatency.map { String(Int($0 * 1000)) } ?? "-"
        return "\(method) \(path) model=\(model ?? "-") route=\(route.name) status=\(status) bytes=\(responseBytes) upstream_ms=\(up) total_ms=\(Int(total))\(note.map { " (\($0))" } ?? "")"
    }
}
