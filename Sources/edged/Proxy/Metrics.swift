import Shared
import Synchronization

/// Counters for /metrics. Each loop owns one `LoopMetrics` (its lock is
/// uncontended on the hot path); /metrics sums them.
final class LoopMetrics: Sendable {
    struct Counts {
        /// Requests by route and status: index `route.rawValue * 600 + status` (no hashing per request).
        var requests = [Int](repeating: 0, count: Route.allCases.count * 600)
        var rewrites: [String: Int] = [:]
        var latencyBuckets = [Int](repeating: 0, count: LoopMetrics.bucketBounds.count + 1)
        var latencySum = 0.0
        var latencyCount = 0
        var bytesIn = 0
        var bytesOut = 0
        var inFlight = 0
        var openConnections = 0
    }

    /// Upstream latency histogram bounds, seconds.
    static let bucketBounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    let counts = Mutex(Counts())

    func requestStarted() { counts.withLock { $0.inFlight += 1 } }

    func requestFinished(route: Route, status: Int, bytesIn: Int, bytesOut: Int, upstreamSeconds: Double?) {
        counts.withLock { c in
            c.inFlight -= 1
            c.requests[route.rawValue * 600 + min(max(status, 0), 599)] += 1
            c.bytesIn += bytesIn
            c.bytesOut += bytesOut
            if let s = upstreamSeconds {
                let i = Self.bucketBounds.firstIndex(where: { s <= $0 }) ?? Self.bucketBounds.count
                c.latencyBuckets[i] += 1
                c.latencySum += s
                c.latencyCount += 1
            }
        }
    }

    func rewriteApplied(_ rule: String) { counts.withLock { $0.rewrites[rule, default: 0] += 1 } }
    func connectionOpened() { counts.withLock { $0.openConnections += 1 } }
    func connectionClosed() { counts.withLock { $0.openConnections -= 1 } }
}

enum MetricsText {
    /// Prometheus text exposition of all loops' counters.
    static func render(_ loops: [LoopMetrics]) -> String {
        var total = LoopMetrics.Counts()
        for l in loops {
            let c = l.counts.withLock { $0 }
            for i in c.requests.indices { total.requests[i] += c.requests[i] }
            for (k, v) in c.rewrites { total.rewrites[k, default: 0] += v }
            for i in total.latencyBuckets.indices { total.latencyBuckets[i] += c.latencyBuckets[i] }
            total.latencySum += c.latencySum
            total.latencyCount += c.latencyCount
            total.bytesIn += c.bytesIn
            total.bytesOut += c.bytesOut
            total.inFlight += c.inFlight
            total.openConnections += c.openConnections
        }
        var out = "# HELP droidgate_requests_total Requests answered, by route and status.\n# TYPE droidgate_requests_total counter\n"
        // Routes in name order, then statuses: the same order as before the table was flat.
        for route in Route.allCases.sorted(by: { $0.name < $1.name }) {
            for status in 0..<600 where total.requests[route.rawValue * 600 + status] > 0 {
                out += "droidgate_requests_total{route=\"\(route.name)\",status=\"\(status)\"} \(total.requests[route.rawValue * 600 + status])\n"
            }
        }
        out += "# HELP droidgate_requests_in_flight Requests being answered now.\n# TYPE droidgate_requests_in_flight gauge\ndroidgate_requests_in_flight \(total.inFlight)\n"
        out += "# HELP droidgate_connections_open Client connections open now.\n# TYPE droidgate_connections_open gauge\ndroidgate_connections_open \(total.openConnections)\n"
        out += "# HELP droidgate_request_bytes_total Request body bytes received from clients.\n# TYPE droidgate_request_bytes_total counter\ndroidgate_request_bytes_total \(total.bytesIn)\n"
        out += "# HELP droidgate_response_bytes_total Response bytes sent to clients.\n# TYPE droidgate_response_bytes_total counter\ndroidgate_response_bytes_total \(total.bytesOut)\n"
        out += "# HELP droidgate_upstream_latency_seconds Time from forwarding a request to the upstream's response head.\n# TYPE droidgate_upstream_latency_seconds histogram\n"
        var cumulative = 0
        for (i, bound) in LoopMetrics.bucketBounds.enumerated() {
            cumulative += total.latencyBuckets[i]
            out += "droidgate_upstream_latency_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += total.latencyBuckets[LoopMetrics.bucketBounds.count]
        out += "droidgate_upstream_latency_seconds_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "droidgate_upstream_latency_seconds_sum \(total.latencySum)\ndroidgate_upstream_latency_seconds_count \(total.latencyCount)\n"
        out += "# HELP droidgate_rewrites_total Byte-splice rewrites applied, by rule.\n# TYPE droidgate_rewrites_total counter\n"
        for (k, v) in total.rewrites.sorted(by: { $0.key < $1.key }) {
            out += "droidgate_rewrites_total{rule=\"\(k)\"} \(v)\n"
        }
        return out
    }
}
