import FakeKit
import Shared

/// What an OAuth callback (or a pasted callback URL) carried.
struct CallbackResult: Sendable, Equatable {
    var code = ""
    var state = ""
    var error = ""
    var errorDescription = ""
}

/// The local server a browser login waits on, as the real ones answer:
/// - Claude and Codex (`internal/auth/claude/oauth_server.go`, `internal/auth/codex/oauth_server.go`):
///   only GET (else 405); `error=` → that error, 400 "OAuth error: …"; no code →
///   error "no_code", 400; no state → error "no_state", 400; otherwise the code and
///   state, and a 302 to `/success` (a page). The first result is kept, later ones dropped.
/// - Antigravity (`sdk/auth/antigravity.go` `startAntigravityCallbackServer`): any
///   method; code, error and state (trimmed) are taken as they are, and the page
///   says "Login successful" when there is a code and no error, else "Login failed".
final class CallbackService: FakeService {
    let stats = Stats()
    let path: String
    let antigravityStyle: Bool
    private let result = Locked<CallbackResult?>(nil)

    init(path: String, antigravityStyle: Bool) {
        self.path = path
        self.antigravityStyle = antigravityStyle
    }

    var maxBodyBytes: Int { 1 << 20 }
    var keepsRawRequests: Bool { false }

    /// The first callback received, if any.
    var received: CallbackResult? { result.value }

    private func deliver(_ r: CallbackResult) {
        result.withLock { if $0 == nil { $0 = r } }
    }

    func handle(_ req: HTTPRequest, _ w: ResponseWriter) -> Disposition {
        let reply = Reply(writer: w, close: !req.wantsKeepAlive)
        if req.path == "/success" && !antigravityStyle {
            return reply.raw(200, contentType: "text/html; charset=utf-8",
                             Array("<html><body><h1>Authentication successful</h1><p>You can close this window.</p></body></html>".utf8))
        }
        guard req.path == path else { return reply.notFound() }
        let q = { (k: String) in req.queryValue(k) ?? "" }
        if antigravityStyle {
            let r = CallbackResult(code: q("code").trimming(" \t"), state: q("state").trimming(" \t"), error: q("error").trimming(" \t"))
            deliver(r)
            let page = !r.code.isEmpty && r.error.isEmpty
                ? "<h1>Login successful</h1><p>You can close this window.</p>"
                : "<h1>Login failed</h1><p>Please check the CLI output.</p>"
            return reply.raw(200, contentType: "text/html; charset=utf-8", Array(page.utf8))
        }
        guard req.method == "GET" else { return plainError(reply, 405, "Method not allowed") }
        if !q("error").isEmpty {
            Log.error("OAuth error received: \(q("error"))")
            deliver(CallbackResult(error: q("error")))
            return plainError(reply, 400, "OAuth error: \(q("error"))")
        }
        if q("code").isEmpty {
            Log.error("No authorization code received")
            deliver(CallbackResult(error: "no_code"))
            return plainError(reply, 400, "No authorization code received")
        }
        if q("state").isEmpty {
            Log.error("No state parameter received")
            deliver(CallbackResult(error: "no_state"))
            return plainError(reply, 400, "No state parameter received")
        }
        deliver(CallbackResult(code: q("code"), state: q("state")))
        // Go's http.Redirect for a GET (net/http/server.go): an HTML content type and a short
        // link body, printed with Fprintln (hence the second newline).
        return reply.raw(302, contentType: "text/html; charset=utf-8", Array("<a href=\"/success\">Found</a>.\n\n".utf8),
                         headers: [HTTPHeader(name: "Location", value: "/success")])
    }

    /// Go's `http.Error`.
    private func plainError(_ reply: Reply, _ status: Int, _ message: String) -> Disposition {
        reply.raw(status, contentType: "text/plain; charset=utf-8", Array((message + "\n").utf8),
                  headers: [HTTPHeader(name: "X-Content-Type-Options", value: "nosniff")])
    }

    /// Listens on every interface (the real servers use ":port"); nil when the port is taken.
    static func start(port: Int, path: String, antigravityStyle: Bool) -> CallbackListener? {
        guard let listener = try? Listen.tcp(host: "0.0.0.0", port: port) else { return nil }
        let service = CallbackService(path: path, antigravityStyle: antigravityStyle)
        return CallbackListener(HTTPServer(listener: listener, service: service),
                                port: listener.localAddress()?.port ?? UInt16(port))
    }
}

/// The callback server while a login waits on it. `shutdown()` is what the real logins defer
/// when they start it: claude and codex `oauthServer.Stop(ctx)` (`sdk/auth/claude.go`,
/// `sdk/auth/codex.go`), antigravity `srv.Shutdown(ctx)` (`sdk/auth/antigravity.go`), Go's
/// `http.Server.Shutdown` with a 2 s context. It stops accepting and lets a response being
/// written finish: the handler records the callback before it answers (`sendResult`, then
/// `http.Redirect` in `internal/auth/claude/oauth_server.go`), so without the wait the process
/// could exit in between and the browser would get no page at all.
final class CallbackListener: Sendable {
    let service: CallbackService
    let port: UInt16
    private let server: HTTPServer<CallbackService>
    private let acceptLoopEnded = Locked(false)
    static let shutdownGraceMilliseconds = 2000

    fileprivate init(_ server: HTTPServer<CallbackService>, port: UInt16) {
        self.server = server
        self.service = server.service
        self.port = port
        let ended = acceptLoopEnded
        startThread("oauth-callback") {
            server.acceptUntilStopped()
            ended.value = true
        }
    }

    func shutdown() {
        server.requestStop()
        let deadline = Monotonic.nanoseconds() + UInt64(Self.shutdownGraceMilliseconds) * 1_000_000
        while !acceptLoopEnded.value && Monotonic.nanoseconds() < deadline { sleepSeconds(0.001) }
        let left = deadline - min(deadline, Monotonic.nanoseconds())
        _ = server.drain(graceMilliseconds: Int(left / 1_000_000))
    }
}

/// `misc.ParseOAuthCallback` (internal/misc/oauth.go): a pasted line to its
/// callback fields. nil for an empty line (keep waiting); an error text for a
/// line that is not a callback URL or carries neither code nor error.
enum PastedCallback {
    enum Outcome: Equatable {
        case empty
        case invalid(String)
        case parsed(CallbackResult)
    }

    static func parse(_ input: String) -> Outcome {
        let trimmed = input.trimming(" \t\r\n")
        guard !trimmed.isEmpty else { return .empty }
        var candidate = trimmed
        if !candidate.contains("://") {
            if candidate.hasPrefix("?") {
                candidate = "http://localhost" + candidate
            } else if candidate.contains(where: { "/?#".contains($0) }) || candidate.contains(":") {
                candidate = "http://" + candidate
            } else if candidate.contains("=") {
                candidate = "http://localhost/?" + candidate
            } else {
                return .invalid("invalid callback URL")
            }
        }
        var rest = Substring(candidate)
        var fragment = ""
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        let query = rest.firstIndex(of: "?").map { String(rest[rest.index(after: $0)...]) } ?? ""
        func get(_ k: String, _ text: String) -> String { (formValue(k, in: text) ?? "").trimming(" \t") }
        var r = CallbackResult(code: get("code", query), state: get("state", query),
                               error: get("error", query), errorDescription: get("error_description", query))
        if !fragment.isEmpty {
            if r.code.isEmpty { r.code = get("code", fragment) }
            if r.state.isEmpty { r.state = get("state", fragment) }
            if r.error.isEmpty { r.error = get("error", fragment) }
            if r.errorDescription.isEmpty { r.errorDescription = get("error_description", fragment) }
        }
        if !r.code.isEmpty, r.state.isEmpty, let hash = r.code.firstIndex(of: "#") {
            r.state = String(r.code[r.code.index(after: hash)...])
            r.code = String(r.code[..<hash])
        }
        if r.error.isEmpty && !r.errorDescription.isEmpty {
            r.error = r.errorDescription
            r.errorDescription = ""
        }
        if r.code.isEmpty && r.error.isEmpty { return .invalid("callback URL missing code") }
        return .parsed(r)
    }
}
