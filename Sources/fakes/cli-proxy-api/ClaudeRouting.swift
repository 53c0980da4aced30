import FakeKit
import Shared

/// Which requests the real backend hands to its Claude executor (OAuth
/// account), and the `Anthropic-Beta` that executor sends upstream.
extension FakeBackend {
    /// `claude-fable-5-dd-<reversed id>` (an id cloaked in an Anthropic model
    /// list) back to the real id (`client/claude/models` `ResolveClaudeModelIDPrefix`).
    static func resolveCloakedModel(_ id: String) -> String {
        let prefix = "claude-fable-5-dd-"
        guard id.hasPrefix(prefix), id.count > prefix.count else { return id }
        return String(id.dropFirst(prefix.count).reversed())
    }

    /// True when a Claude OAuth account would serve `model`: a `claude-*` id,
    /// unless the auth-dir has no Claude account but an Antigravity one that
    /// serves the id (then Antigravity's executor takes it, no Anthropic-Beta).
    /// With no account at all the fake acts as if a Claude account served it.
    /// (With both, the real one rotates between them; the fake picks Claude.)
    func servedByClaudeOAuth(_ model: String) -> Bool {
        guard model.lowercased().hasPrefix("claude-") else { return false }
        let accounts = Accounts.enabled(in: authDir)
        if accounts.contains(where: { $0.provider == "claude" }) { return true }
        let antigravity = accounts.contains { $0.provider == "antigravity" }
        return !(antigravity && ModelCatalog.antigravity.contains { $0.id == model })
    }

    /// The request as the Claude executor sees it, or nil when it does not go there.
    func claudeUpstream(_ request: HTTPRequest, body: JSONValue) -> ClaudeUpstream? {
        // `/v1/completions` reaches the executor as the chat request it becomes
        // (openai_handlers.go `convertCompletionsRequestToChatCompletions`).
        let body = request.path == "/v1/completions" ? OpenAICompletions.chatRequest(body) : body
        guard let (source, model) = Self.claudeSource(request, body: body), servedByClaudeOAuth(model) else { return nil }
        return ClaudeUpstream(source: source, body: body, model: model)
    }

    /// The `Anthropic-Beta` the real backend would send upstream for this request, if it goes to Claude.
    func upstreamAnthropicBeta(_ request: HTTPRequest) -> String? {
        guard request.method == "POST", let body = try? JSONValue(parsing: request.body) else { return nil }
        if request.path == "/v1/messages/count_tokens" {
            let model = Self.resolveCloakedModel(body["model"]?.stringValue ?? "")
            guard servedByClaudeOAuth(model) else { return nil }
            // claudeCountTokensBetasForCredential(oauth): a fixed profile.
            return ["claude-code-20250219", "oauth-2025-04-20", "interleaved-thinking-2025-05-14",
                    "context-management-2025-06-27", "token-counting-2024-11-01"].joined(separator: ",")
        }
        guard let upstream = claudeUpstream(request, body: body) else { return nil }
        let caller = request.headers.filter { $0.name.lowercased() == "anthropic-beta" }.map(\.value)
        return upstream.betas(callerHeader: caller, cloaked: !live.current.disableClaudeCloakMode).joined(separator: ",")
    }

    private static func claudeSource(_ request: HTTPRequest, body: JSONValue) -> (ClaudeUpstream.Source, String)? {
        let model = body["model"]?.stringValue ?? ""
        switch request.path {
        case "/v1/messages": return (.anthropic, resolveCloakedModel(model))
        case "/v1/chat/completions", "/v1/completions": return (.openAIChat, model)
        case "/v1/responses", "/backend-api/codex/responses": return (.responses, model)
        default:
            let prefix = "/v1beta/models/"
            guard request.path.hasPrefix(prefix) else { return nil }
            let action = request.path.dropFirst(prefix.count)
            guard let colon = action.firstIndex(of: ":") else { return nil }
            let method = action[action.index(after: colon)...]
            guard method == "generateContent" || method == "streamGenerateContent" else { return nil }
            return (.gemini, String(action[..<colon]))
        }
    }
}
