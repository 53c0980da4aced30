/// Everything edged will do with one parsed request, decided in one place
/// from the head's classified headers and one scan of the body, before a
/// byte is sent: where it goes, and for the backend route every header edit
/// and body splice. `ForwardHeadWriter` applies it. Pure: no I/O, no clock,
/// so the unit tests and the fuzzers run it as edged does.
public struct RequestPlan: Sendable {
    /// For an admitted request (`RequestPlanner.admit`).
    public enum Route: Sendable, Equatable {
        /// `GET /metrics`: answered by edged.
        case metrics
        /// `GET /v1/models` with Factory models configured: edged merges both lists.
        case modelList
        /// A Factory model: the Factory route translates and sends it.
        case factory
        /// Everything else: the backend, with the edits below.
        case backend
    }

    /// What happens to the client's credential headers on the backend route.
    public enum Credential: Sendable, Equatable {
        /// Passed through as sent (no backend key configured).
        case keep
        /// Every credential header's value replaced by the backend key; when the
        /// client sent none, `Authorization: Bearer <key>` is appended.
        case backendKey(append: Bool)
    }

    public var route: Route = .backend
    /// The body scan (model, thinking, service tier), once per request.
    public var scan: RoutingScan? = nil
    /// The rewrite rules' outcome: target, body splice, Anthropic-Beta.
    public var rewrite = RequestRewriter.Plan()
    public var credential: Credential = .keep
    /// A `GET` that asks for a WebSocket, on the backend route: the forward
    /// head says `Connection: Upgrade` and `Upgrade: websocket`, and after the
    /// backend's 101 edged splices bytes both ways (`UpgradeTunnel`).
    public var upgrade = false
    /// Content-Length to send: nil when the request had no body and no framing header.
    public var bodyLength: Int? = nil

    public init() {}

    /// The model's contents in the original body, from the scan.
    public var modelRange: ByteRange? { scan?.modelContents }
}
