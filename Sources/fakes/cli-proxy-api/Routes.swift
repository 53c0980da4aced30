import FakeKit
import Shared

/// Maps a request to its handler: the routes cli-proxy-api serves
/// (`internal/api/server_routes.go` `setupRoutes`) plus the fake's own `/_fake/*` controls.
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
        // openai_handlers.go `Completions`: served as a chat completion, converted both ways.
        case .completions: return api.serve(OpenAICompletions.self) { claudeThinking(req, $0, &$1) }
        case .messages: return api.serve(Anthropic.self) { claudeThinking(req, $0, &$1) }
        case .countTokens: return api.countTokens(Anthropic.self) { ["input_tokens": .int($0)] }
        case .responses: return api.serve(Responses.self) { claudeThinking(req, $0, &$1) }
        case .responsesCompact: return compact(req, api, reply)
        case .responsesWebsocket:
            // openai_responses_websocket.go `ResponsesWebsocket`: gorilla/websocket's Upgrader
            // (no Error hook) refuses anything but a handshake with http.Error(400) and this header.
            guard Self.isWebSocketHandshake(req) else {
                return reply.raw(400, contentType: "text/plain; charset=utf-8", Array("Bad Request\n".utf8), headers: [
                    HTTPHeader(name: "Sec-Websocket-Version", value: "13"),
                    HTTPHeader(name: "X-Content-Type-Options", value: "nosniff"),
                ])
            }
            // A real handshake: the fake does not speak WebSocket.
            return reply.json(501, OpenAIChat.error(status: 501, message: "fake: the Responses WebSocket is not implemented"))
        case .alphaSearch:
            // server_routes.go `codexAlphaSearch`: no Codex account, no Codex executor (503);
            // with one the body goes to chatgpt.com's search, which the fake does not stand
            // in for: it answers as the real one does when that request fails (502).
            return backend.hasCodexAccount
                ? reply.json(502, ["error": "fake: no Codex Alpha Search upstream"])
                : reply.json(503, ["error": "executor_not_found: executor not registered"])
        case .interactions: return interactions(req, api, reply)
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

    /// gorilla/websocket v1.5.3 `Upgrader.Upgrade`'s checks: `Connection` lists
    /// "upgrade", `Upgrade` lists "websocket", `Sec-Websocket-Version` lists "13",
    /// and `Sec-Websocket-Key` is 16 bytes in base64.
    private static func isWebSocketHandshake(_ req: HTTPRequest) -> Bool {
        func lists(_ name: String, _ token: String) -> Bool {
            req.headers.filter { $0.name.lowercased() == name }.contains { h in
                h.value.split(separator: ",").contains { $0.trimming(" \t").lowercased() == token }
            }
        }
        let key = (req.header("Sec-Websocket-Key") ?? "").trimming(" \t")
        return lists("connection", "upgrade") && lists("upgrade", "websocket")
            && lists("sec-websocket-version", "13") && key.count == 24 && key.hasSuffix("==")
    }

    /// `POST /responses/compact` (openai_responses_handlers.go `Compact`): a stream is
    /// refused before any executor is asked; otherwise the serving executor's answer.
    private func compact(_ req: HTTPRequest, _ api: APIServer, _ reply: Reply) -> Disposition {
        let body = try? JSONValue(parsing: req.body)
        if body?["stream"] == .bool(true) {
            return reply.json(400, ["error": ["message": "Streaming not supported for compact responses",
                                              "type": "invalid_request_error"]])
        }
        switch backend.compactReply(model: body?["model"]?.stringValue ?? "") {
        case .notSupported:
            return reply.json(501, Responses.error(status: 501, message: "/responses/compact not supported"))
        case .response: return api.serveObject(Responses.self, Responses.response)
        case .compaction: return api.serveObject(Responses.self, Responses.compaction)
        }
    }

    /// `POST /v1beta/interactions` (gemini/interactions_handlers.go `Interactions`):
    /// `parseInteractionsRequestTarget`'s checks, then the reply in Interactions' shape.
    private func interactions(_ req: HTTPRequest, _ api: APIServer, _ reply: Reply) -> Disposition {
        func invalid(_ message: String) -> Disposition {
            reply.json(400, ["error": ["message": .string(message), "type": "invalid_request_error"]])
        }
        guard let body = try? JSONValue(parsing: req.body) else { return invalid("invalid JSON body") }
        let model = body["model"].map(OpenAICompletions.gjsonString)?.trimming(" ") ?? ""
        let agent = body["agent"].map(OpenAICompletions.gjsonString)?.trimming(" ") ?? ""
        guard model.isEmpty != agent.isEmpty else { return invalid("request requires exactly one of model or agent") }
        if let stream = body["stream"], stream.boolValue == nil { return invalid("stream must be a boolean") }
        return api.serve(Interactions.self)
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
    case models, chatCompletions, completions, messages, countTokens, responses, responsesCompact
    case responsesWebsocket, alphaSearch, interactions
    case geminiModels
    case geminiModel(String)
    case gemini(model: String, method: String)

    init?(method: String, path: String) {
        let get = method == "GET" || method == "HEAD"
        let post = method == "POST"
        switch path {
        case "/v1/models" where get: self = .models
        case "/v1/chat/completions" where post: self = .chatCompletions
        case "/v1/completions" where post: self = .completions
        case "/v1/messages" where post: self = .messages
        case "/v1/messages/count_tokens" where post: self = .countTokens
        // The Codex CLI aliases under /backend-api/codex take the same handlers.
        case "/v1/responses" where post, "/backend-api/codex/responses" where post: self = .responses
        case "/v1/responses" where method == "GET", "/backend-api/codex/responses" where method == "GET":
            self = .responsesWebsocket
        case "/v1/responses/compact" where post, "/backend-api/codex/responses/compact" where post:
            self = .responsesCompact
        case "/v1/alpha/search" where post, "/backend-api/codex/alpha/search" where post: self = .alphaSearch
        case "/v1beta/models" where get: self = .geminiModels
        case "/v1beta/interactions" where post: self = .interactions
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
        case .alphaSearch: ["error": .string(message)]
        case .models, .chatCompletions, .completions, .responses, .responsesCompact, .responsesWebsocket, .interactions:
            OpenAIChat.error(status: status, message: message)
        }
    }
}
