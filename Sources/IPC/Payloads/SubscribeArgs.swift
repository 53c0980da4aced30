import Shared

/// A subscribe op's arguments (`token.subscribe`, `backend.subscribe`):
/// `acks` asks the publisher to wait for this subscriber's acknowledgement of
/// each event's `seq` (`Subscribers.awaitAcknowledged`; edged answers
/// supervisord's reports with `backend.seen`, `BackendSeen`).
public struct SubscribeArgs: Sendable, Equatable {
    public var acks: Bool
    public init(acks: Bool) { self.acks = acks }
    public var json: JSONObject { ["acks": .bool(acks)] }
    public init(_ args: JSONObject) { acks = args["acks"]?.boolValue ?? false }
}
