import FakeKit
import Shared

/// Factory's LLM API (`https://api.factory.ai/api/llm/...`; README, "The Factory route"), one route per
/// wire format, answered by FakeKit's formats.
///
/// The Google route: Factory's `/api/llm/g/v1/generate` takes a Gemini generateContent body
/// that also names the `model` (droid2api's transformers/request-google.js builds
/// `{model, contents, systemInstruction, generationConfig, tools}` and copies the client's
/// `stream` only when it set one). The droid CLI sends no `stream` field and reads Gemini-native
/// SSE (`data: {"candidates": …}`), and Factory clients report that this route streams even when
/// asked not to. So the fake always answers SSE there; `--google-json-when-not-streaming` makes
/// an explicit `"stream": false` get one JSON GenerateContentResponse instead.
final class FactoryService: FakeService {
    let options: Options
    let stats = Stats()
    let recorder = Recorder(withText: true)
    let bearer: BearerCheck
    /// Knobs set with POST /_fake/next for the next requests (edged forwards no
    /// x-fake-* header to Factory, so tests steer the fake this way).
    let pending = Locked<(knobs: JSONObject, remaining: Int)>(([:], 0))

    init(options: Options) {
        self.options = options
        bearer = BearerCheck(workosURL: options.workosURL, keys: options.acceptKeys)
    }

    // MARK: FakeService

    var maxBodyBytes: Int { 256 << 20 }
    var keepsRawRequests: Bool { options.record }

    func received(_ request: HTTPRequest) {
        if options.record && !request.path.hasPrefix("/_fake/") { recorder.add(request) }
    }

    func rejectBody(status: Int, message: String) -> JSONValue {
        ["detail": .string(message)]
    }

    enum Route {
        case messages, countTokens, responses, chatCompletions, generate

        init?(_ path: String) {
            switch path {
            case "/api/llm/a/v1/messages": self = .messages
            case "/api/llm/a/v1/messages/count_tokens": self = .countTokens
            case "/api/llm/o/v1/responses": self = .responses
            case "/api/llm/o/v1/chat/completions": self = .chatCompletions
            case "/api/llm/g/v1/generate": self = .generate
            default: return nil
            }
        }

        /// An error in this route's API shape.
        func errorBody(status: Int, message: String) -> JSONValue {
            switch self {
            case .messages, .countTokens: Anthropic.error(status: status, message: message)
            case .responses, .chatCompletions: OpenAIChat.error(status: status, message: message)
            case .generate: Gemini.error(status: status, message: message)
            }
        }
    }

    func handle(_ req: HTTPRequest, _ w: ResponseWriter) -> Disposition {
        let keepAlive = req.wantsKeepAlive
        if req.path.hasPrefix("/_fake/") { return control(req, Reply(writer: w, close: !keepAlive)) }

        var knobs = Knobs(req, defaults: options.defaults)
        var redirect: JSONObject? = nil
        if req.path.hasPrefix("/api/"), let next = pending.withLock({ p -> JSONObject? in
            guard p.remaining > 0 else { return nil }
            p.remaining -= 1
            return p.knobs
        }) {
            if let v = next["status"]?.intValue { knobs.status = v }
            if let v = next["events"]?.intValue { knobs.events = v }
            if let v = next["event_delay_ms"]?.intValue { knobs.eventDelayMs = v }
            if let v = next["latency_ms"]?.intValue { knobs.latencyMs = v }
            if let v = next["die_after_events"]?.intValue { knobs.dieAfterEvents = v }
            if let v = next["size"]?.intValue { knobs.size = min(max(0, v), Knobs.maxSize) }
            if case .object(let r)? = next["redirect"] { redirect = r }
        }
        let reply = Reply(writer: w, close: knobs.close || !keepAlive)
        if knobs.latencyMs > 0, !PeerWatch.pause(w.socket, milliseconds: knobs.latencyMs) { return .close }

        // downloads.factory.ai/factory-cli/LATEST: the current CLI version as one line of text.
        if req.method == "GET" && req.path == "/factory-cli/LATEST" {
            return reply.raw(200, contentType: "text/plain", Array((options.latestVersion + "\n").utf8))
        }
        guard let route = Route(req.path) else { return reply.json(404, ["detail": "Not Found"]) }
        guard req.method == "POST" else { return reply.json(405, ["detail": "Method Not Allowed"]) }

        guard let token = req.bearerToken else { return reply.json(401, ["detail": "Not authenticated"]) }
        switch bearer.check(token) {
        case .ok: break
        case .invalid: return reply.json(401, ["detail": "Invalid token"])
        case .unavailable: return reply.json(503, ["detail": "Token validation unavailable (fake-workos unreachable)"])
        }

        // A redirect (a misconfigured or hijacked front end): a client that follows it
        // sends the request, bearer included, to wherever Location points.
        if let next = redirect, let location = next["to"]?.stringValue {
            let status = next["status"]?.intValue ?? 307
            return reply.json(status, ["detail": "moved"], headers: [HTTPHeader(name: "Location", value: location)])
        }
        if let status = knobs.status, status != 200 {
            let message = "fake error: status \(status) injected by x-fake-status"
            return reply.json(status, route.errorBody(status: status, message: message))
        }
        let api = APIServer(stats: stats, request: req, knobs: knobs, reply: reply)
        switch route {
        case .messages: return api.serve(Anthropic.self)
        case .countTokens: return api.countTokens(Anthropic.self) { ["input_tokens": .int($0)] }
        case .responses: return api.serve(Responses.self)
        case .chatCompletions: return api.serve(OpenAIChat.self)
        case .generate:
            let json = try? JSONValue(parsing: req.body)
            let asJSON = options.googleJSONWhenNotStreaming && json?["stream"]?.boolValue == false
            return api.serve(Gemini.self, stream: !asJSON)
        }
    }

    /// `/_fake/*`: never recorded, never authenticated.
    private func control(_ req: HTTPRequest, _ reply: Reply) -> Disposition {
        switch (req.method, req.path) {
        case ("GET", "/_fake/requests"): return reply.json(200, recorder.json)
        case ("POST", "/_fake/reset"):
            recorder.reset()
            return reply.json(200, ["ok": true])
        case ("GET", "/_fake/stats"): return reply.json(200, stats.json)
        case ("POST", "/_fake/next"):
            // {"status":N, "events":K, "event_delay_ms":D, "latency_ms":L, "die_after_events":E, "size":S, "redirect":{"to":URL,"status":307}, "count":C}
            guard let v = try? JSONValue(parsing: req.body), let o = v.objectValue else { return reply.json(400, ["detail": "expected a JSON object"]) }
            pending.value = (o, max(1, o["count"]?.intValue ?? 1))
            return reply.json(200, ["ok": true])
        default: return reply.notFound()
        }
    }
}
