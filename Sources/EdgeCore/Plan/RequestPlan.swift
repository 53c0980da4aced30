/// Everything edged will do with one parsed request, decided in one place
/// from the head's classified headers and one scan of the body, before a
/// byte is sent: where it goes, and for the backend route every header edit
/// and body splice. `ForwardHeadWriter` applies it. Pure: no I/O, no clock,
/// so the unit tests and the fuzzers run it as edged does.
public struct RequestPlan: Sendable {
    public enum Route: Sendable, Equatable {
        /// `GET /healthz`: answered by edged (before the client-key check).
        case health
        /// No or an unknown client key while `clients.apiKeys` is set: 401.
        case unauthorized
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
    /// Content-Length to send: nil when the request had no body and no framing header.
    public var bodyLength: Int? = nil

    public init() {}

    /// The model's contents in the original body, from the scan.
    public var modelRange: ByteRange? { scan?.modelContents }
}

/// What the planner needs from the configuration (fixed at start).
public struct PlanSettings: Sendable {
    public var rewrites: RewriteSettings
    public var clientKeys: ClientKeyCheck
    /// Whether a POST goes to Factory: its path is one the Factory route
    /// serves and its model (the JSON string's contents, as sent) is a
    /// configured Factory model. nil: no Factory models configured.
    public var isFactoryRequest: (@Sendable (_ path: UnsafeRawBufferPointer, _ model: UnsafeRawBufferPointer) -> Bool)?

    public init(rewrites: RewriteSettings = RewriteSettings(), clientKeys: ClientKeyCheck = ClientKeyCheck(digests: []),
                isFactoryRequest: (@Sendable (_ path: UnsafeRawBufferPointer, _ model: UnsafeRawBufferPointer) -> Bool)? = nil) {
        self.rewrites = rewrites
        self.clientKeys = clientKeys
        self.isFactoryRequest = isFactoryRequest
    }
}

public enum RequestPlanner {
    /// Plans one request. `body` is the body as received (de-chunked);
    /// `hasBackendKey`: supervisord gave edged the backend's API key (it
    /// replaces the client's credential).
    public static func plan(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, body: UnsafeRawBufferPointer,
                            _ settings: PlanSettings, hasBackendKey: Bool) -> RequestPlan {
        var plan = RequestPlan()
        let path = head.path(in: buf)
        let isGet = buf.equals(head.method, "GET")
        if isGet && buf.equals(path, "/healthz") {
            plan.route = .health
            return plan
        }
        guard settings.clientKeys.admits(buf, head) else {
            plan.route = .unauthorized
            return plan
        }
        if isGet && buf.equals(path, "/metrics") {
            plan.route = .metrics
            return plan
        }
        plan.scan = body.count > 0 ? RoutingScan.scan(body) : nil
        if let isFactoryRequest = settings.isFactoryRequest {
            if isGet && buf.equals(path, "/v1/models") {
                plan.route = .modelList
                return plan
            }
            if buf.equals(head.method, "POST"), let m = plan.scan?.modelContents,
               isFactoryRequest(buf.slice(path), body.slice(m)) {
                plan.route = .factory
                return plan
            }
        }
        plan.route = .backend
        plan.rewrite = RequestRewriter.plan(buf, head, body: body, settings.rewrites, scan: .some(plan.scan))
        if hasBackendKey {
            // The backend wants its own key, never the client's.
            let sentOne = head.headers.contains { $0.kind.isCredential && !$0.listedInConnection }
            plan.credential = .backendKey(append: !sentOne)
        }
        let forwardedBody = plan.rewrite.body?.count ?? body.count
        if case .none = head.framing, !head.has(.contentLength) {
            plan.bodyLength = nil
        } else {
            plan.bodyLength = forwardedBody
        }
        return plan
    }
}
