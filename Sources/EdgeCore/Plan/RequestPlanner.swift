/// What the planner needs from the configuration (fixed at start). A class:
/// every request reads it, and a struct of this many arrays would be copied
/// (a retain and a release for each) on each read.
public final class PlanSettings: Sendable {
    public let rewrites: RewriteSettings
    public let clientKeys: ClientKeyCheck
    public let browserGuard: BrowserGuard
    /// Whether a POST goes to Factory: its path is one the Factory route
    /// serves and its model (the JSON string's contents, as sent) is a
    /// configured Factory model. nil: no Factory models configured.
    public let isFactoryRequest: (@Sendable (_ path: UnsafeRawBufferPointer, _ model: UnsafeRawBufferPointer) -> Bool)?

    public init(rewrites: RewriteSettings = RewriteSettings(), clientKeys: ClientKeyCheck = ClientKeyCheck(digests: []),
                browserGuard: BrowserGuard = BrowserGuard(),
                isFactoryRequest: (@Sendable (_ path: UnsafeRawBufferPointer, _ model: UnsafeRawBufferPointer) -> Bool)? = nil) {
        self.rewrites = rewrites
        self.clientKeys = clientKeys
        self.browserGuard = browserGuard
        self.isFactoryRequest = isFactoryRequest
    }
}

/// What is decided from the head alone, before the body is read: a request
/// that will be refused is answered without reading (or buffering) its body.
public enum Admission: Sendable, Equatable {
    /// Read the body, then plan.
    case proceed
    /// `GET /healthz`; `detailed`: the client may see the backend's details
    /// (it sent a valid key, or no keys are configured and it is on loopback).
    case health(detailed: Bool)
    /// No or an unknown client key while `clients.apiKeys` is set: 401.
    case unauthorized
    /// A web page (Origin) or a foreign Host name: 403.
    case forbidden(HTTPError)
}

public enum RequestPlanner {
    /// Admits a request from its head. `peerIsLoopback`: the connection comes
    /// from this host (asked only for `/healthz`).
    public static func admit(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, _ settings: PlanSettings,
                             peerIsLoopback: @autoclosure () -> Bool) -> Admission {
        if let refusal = settings.browserGuard.check(buf, head) { return .forbidden(refusal) }
        let admitted = settings.clientKeys.admits(buf, head)
        if buf.equals(head.method, "GET") && buf.equals(head.path(in: buf), "/healthz") {
            // Health is open to every client; what it shows is not.
            return .health(detailed: admitted && (!settings.clientKeys.isOpen || peerIsLoopback()))
        }
        return admitted ? .proceed : .unauthorized
    }

    /// Plans an admitted request. `body` is the body as received (de-chunked);
    /// `hasBackendKey`: supervisord gave edged the backend's API key (it
    /// replaces the client's credential).
    public static func plan(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, body: UnsafeRawBufferPointer,
                            _ settings: PlanSettings, hasBackendKey: Bool) -> RequestPlan {
        var plan = RequestPlan()
        let path = head.path(in: buf)
        let isGet = buf.equals(head.method, "GET")
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
        // A WebSocket handshake has no body (RFC 6455 §4.1: a GET); anything
        // else that says Upgrade is forwarded without it, as a plain request.
        plan.upgrade = head.upgradeToWebSocket && isGet && body.count == 0 && head.framing == .none
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
