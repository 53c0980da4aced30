import FakeKit
import Shared

/// Maps a request to its handler: the routes cli-proxy-api serves
/// (`internal/api/server.go`) plus the fake's own `/_fake/*` controls.
struct Router {
    let backend: FakeBackend

    func handle(_ req: HTTPRequest, _ w: ResponseWriter) -> Disposition {
        let path = req.path
        let keepAlive = req.wantsKeepAlive
        if path.hasPrefix("/_fake/") { return control(req, w, close: !keepAlive) }

        let knobs = Knobs(req, defaults: backend.settings.defaults)
        let close = knobs.close || !keepAlive
        let reply = Reply(writer: w, close: close)

        if req.method == "OPTIONS" {
            return reply.raw(204, contentType: nil, [])
        }
        if knobs.panic {
            Log.error("http: panic serving \(path): fake panic (x-fake-panic)")
            return .close
        }
        if knobs.latencyMs > 0, !PeerWatch.pause(w.socket, milliseconds: knobs.latencyMs) { return .close }

        let isGet = req.method == "GET" || req.method == "HEAD"
        switch (isGet, req.method == "POST", path) {
        case (true, _, "/healthz"):
            return backend.settings.failHealth
                ? reply.json(503, ["status": "unavailable"]) : reply.json(200, ["status": "ok"])
        case (true, _, "/"):
            return reply.json(200, [
                "message": "CLI Proxy API Server",
                "endpoints": ["POST /v1/chat/completions", "POST /v1/completions", "GET /v1/models"],
            ])
        default:
            break
        }

        guard let route = APIRoute(method: req.method, path: path) else {
            return reply.raw(404, contentType: "text/plain", Array("404 page not found".utf8))
        }
        if let message = backend.authFailure(req) {
            return reply.json(401, ["error": .string(message)])
        }
        if let status = knobs.status, status != 200 {
            let message = "fake error: status \(status) injected by x-fake-status"
            return reply.json(status, route.errorBody(status: status, message: message))
        }
        let api = APIServer(stats: backend.stats, hang: backend.hang, request: req, knobs: knobs, reply: reply)
        switch route {
        case .models:
            // server_routes.go `isAnthropicModelsRequest`: an Anthropic-Version header or a claude-cli User-Agent.
            let anthropic = !(req.header("Anthropic-Version") ?? "").isEmpty
                || (req.header("User-Agent") ?? "").hasPrefix("claude-cli")
            let models = backend.availableModels
            return reply.json(200, anthropic
                ? ModelCatalog.claudeList(models, cloak: !backend.live.current.disableCloakingModelList)
                : ModelCatalog.openAIList(models))
        case .chatCompletions: return api.serve(OpenAIChat.self) { claudeThinking(req, $0, &$1) }
        case .messages: return api.serve(Anthropic.self) { claudeThinking(req, $0, &$1) }
        case .countTokens: return api.countTokens(Anthropic.self) { ["input_tokens": .int($0)] }
        case .responses: return api.serve(Responses.self) { claudeThinking(req, $0, &$1) }
        case .geminiModels: return reply.json(200, ModelCatalog.geminiList(backend.availableModels))
        case .geminiModel(let name):
            guard let m = ModelCatalog.geminiModel(named: name, in: backend.availableModels) else {
                return reply.json(404, ["error": ["message": "Not Found", "type": "not_found"]])
            }
            return reply.json(200, m)
        case .gemini(let model, let method):
            switch method {
            case "generateContent": return api.serve(Gemini.self, model: model, stream: false)
            case "streamGenerateContent":
                let alt = req.queryValue("alt") ?? req.queryValue("$alt") ?? ""
                return alt.isEmpty || alt == "sse"
                    ? api.serve(Gemini.self, model: model, stream: true) : api.serveGeminiJSONStream(model: model)
            case "countTokens": return api.countTokens(Gemini.self) { ["totalTokens": .int($0)] }
            default:
                return reply.json(404, Gemini.error(status: 404, message: "\(path) not found."))
            }
        }
    }

    /// For a Claude model served by a Claude OAuth account: whether the reply
    /// reasons, and whether its thinking text is redacted (see ClaudeUpstream).
    /// Gemini-format requests keep the fake's plain `includeThoughts` behaviour.
    private func claudeThinking(_ req: HTTPRequest, _ body: JSONValue, _ shape: inout RequestShape) {
        guard let upstream = backend.claudeUpstream(req, body: body) else { return }
        shape.thinking = upstream.thinkingActive
        shape.thinkingRedacted = upstream.thinkingRedacted
    }

    /// `/_fake/*`: never recorded, never authenticated.
    private func control(_ req: HTTPRequest, _ w: ResponseWriter, close: Bool) -> Disposition {
        let reply = Reply(writer: w, close: close)
        switch (req.method, req.path) {
        case ("GET", "/_fake/requests"): return reply.json(200, backend.recorder.json)
        case ("POST", "/_fake/reset"):
            backend.recorder.reset()
            return reply.json(200, ["ok": true])
        case ("GET", "/_fake/stats"):
            guard case .object(var o) = backend.stats.json else { return reply.json(200, backend.stats.json) }
            o["config"] = backend.live.json
            return reply.json(200, .object(o))
        default: return reply.raw(404, contentType: "text/plain", Array("404 page not found".utf8))
        }
    }
}

/// The authenticated API routes.
enum APIRoute {
    case models, chatCompletions, messages, countTokens, responses
    case geminiModels
    case geminiModel(String)
    case gemini(model: String, method: String)

    init?(method: String, path: String) {
        let get = method == "GET" || method == "HEAD"
        let post = method == "POST"
        switch path {
        case "/v1/models" where get: self = .models
        case "/v1/chat/completions" where post: self = .chatCompletions
        case "/v1/messages" where post: self = .messages
        case "/v1/messages/count_tokens" where post: self = .countTokens
        case "/v1/responses" where post: self = .responses
        case "/v1beta/models" where get: self = .geminiModels
        default:
            guard path.hasPrefix("/v1beta/models/"), get || post else { return nil }
            let action = String(path.dropFirst("/v1beta/models/".count))
            guard !action.isEmpty else { return nil }
            if get {
                self = .geminiModel(action)
                return
            }
            let parts = action.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else { return nil }
            self = .gemini(model: String(parts[0]), method: String(parts[1]))
        }
    }

    /// An error in this route's API shape.
    func errorBody(status: Int, message: String) -> JSONValue {
        switch self {
        case .messages, .countTokens: Anthropic.error(status: status, message: message)
        case .geminiModels, .geminiModel, .gemini: Gemini.error(status: status, message: message)
        case .models, .chatCompletions, .responses: OpenAIChat.error(status: status, message: message)
        }
    }
}
