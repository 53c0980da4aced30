import Shared
import Synchronization

/// Counters behind `GET /_fake/stats` (tests check that a client hang-up
/// freed the upstream connection and ended its stream).
public final class Stats: Sendable {
    private let connectionsOpen = Atomic<Int>(0)
    private let connectionsTotal = Atomic<Int>(0)
    private let requestsTotal = Atomic<Int>(0)
    private let streamsOpen = Atomic<Int>(0)

    public init() {}

    public func connectionOpened() {
        connectionsOpen.add(1, ordering: .relaxed)
        connectionsTotal.add(1, ordering: .relaxed)
    }

    public func connectionClosed() { connectionsOpen.subtract(1, ordering: .relaxed) }
    public func requestReceived() { requestsTotal.add(1, ordering: .relaxed) }
    public func streamOpened() { streamsOpen.add(1, ordering: .relaxed) }
    public func streamClosed() { streamsOpen.subtract(1, ordering: .relaxed) }

    public var json: JSONValue {
        [
            "connections_open": .int(connectionsOpen.load(ordering: .relaxed)),
            "connections_total": .int(connectionsTotal.load(ordering: .relaxed)),
            "requests_total": .int(requestsTotal.load(ordering: .relaxed)),
            "streams_open": .int(streamsOpen.load(ordering: .relaxed)),
        ]
    }
}
