import FakeKit
import Shared

/// What the real backend sends api.anthropic.com for a Claude model served by
/// an OAuth Claude account and a caller that is not Claude Code itself, and
/// what comes back about thinking.
///
/// - The request is first translated into Anthropic's shape; the reasoning
///   summary intent of the client's format travels along
///   (`internal/thinking/summary.go` `ExtractSummaryConfig` →
///   `ApplySummaryConfigForModel`, applied by `sdk/translator/registry.go`):
///   OpenAI chat `reasoning_effort` other than "none" means summaries on;
///   Responses `reasoning.summary` auto/concise/detailed on, none/null off;
///   Gemini `includeThoughts`. On an active thinking block that becomes
///   `thinking.display` "summarized" (on) or "omitted" (off).
/// - `disableThinkingIfToolChoiceForced` (claude_executor_request.go) drops
///   thinking when tool_choice forces a tool.
/// - `Anthropic-Beta` is rebuilt by `claudeCodeCLIBetas` (same file) with OAuth
///   betas; the caller's own betas only switch the capability flags.
///   `redact-thinking-2026-02-12` is in it unless `claudeThinkingDisplaySet`
///   (a non-blank string `thinking.display`).
/// - With that beta — or with display "omitted" — Anthropic returns thinking
///   blocks with an empty `thinking` text and only a signature.
struct ClaudeUpstream {
    enum Source { case anthropic, openAIChat, responses, gemini }

    /// The translated request has an active thinking block.
    var thinkingActive = false
    /// Its `thinking.display`, if any.
    var display: String?
    var model = ""
    var hasTools = false
    var speedFast = false
    /// Betas lifted out of the body's `betas` (`extractAndRemoveBetas`).
    var bodyBetas: [String] = []

    init(source: Source, body: JSONValue, model: String) {
        self.model = model
        hasTools = !(body["tools"]?.arrayValue ?? []).isEmpty
        switch source {
        case .anthropic:
            let thinking = body["thinking"]
            let type = thinking?["type"]?.stringValue?.trimming(" ").lowercased()
            let budget = thinking?["budget_tokens"]?.intValue
            thinkingActive = type == "adaptive" || (type == "enabled" && (budget == nil || budget == -1 || budget! > 0))
            display = thinking?["display"]?.stringValue
            speedFast = body["speed"]?.stringValue?.trimming(" ").lowercased() == "fast"
            if let betas = body["betas"] {
                bodyBetas = (betas.arrayValue ?? [betas]).compactMap { $0.stringValue?.trimming(" ") }.filter { !$0.isEmpty }
            }
            let forced = body["tool_choice"]?["type"]?.stringValue
            if forced == "any" || forced == "tool" {
                thinkingActive = false
                display = nil
            }
        case .openAIChat, .responses, .gemini:
            let (summary, effortActive) = Self.intent(source, body)
            thinkingActive = effortActive || summary == true
            if thinkingActive, let summary { display = summary ? "summarized" : "omitted" }
        }
    }

    /// The summary intent (nil: unspecified) and whether the client's effort turns thinking on.
    private static func intent(_ source: Source, _ body: JSONValue) -> (Bool?, Bool) {
        func summaryWord(_ v: JSONValue?) -> Bool?? {
            guard let v else { return .none }
            if v == .null { return .some(false) }
            switch v.stringValue?.trimming(" ").lowercased() {
            case "auto", "concise", "detailed": return .some(true)
            case "none": return .some(false)
            default: return .none
            }
        }
        switch source {
        case .openAIChat:
            let effort = body["reasoning_effort"]?.stringValue?.trimming(" ").lowercased() ?? ""
            let active = !effort.isEmpty && effort != "none"
            if case .some(let s) = summaryWord(body["reasoning"]?["summary"]) { return (s, active) }
            if case .some(let s) = summaryWord(body["reasoning"]?["generate_summary"]) { return (s, active) }
            if let exclude = body["reasoning"]?["exclude"]?.boolValue { return (!exclude, active) }
            if let include = body["include_reasoning"]?.boolValue { return (include, active) }
            if let enabled = body["reasoning"]?["enabled"]?.boolValue { return (enabled, active) }
            return (effort.isEmpty ? nil : active, active)
        case .responses:
            let effort = body["reasoning"]?["effort"]?.stringValue?.trimming(" ").lowercased() ?? ""
            let active = !effort.isEmpty && effort != "none"
            if case .some(let s) = summaryWord(body["reasoning"]?["summary"]) { return (s, active) }
            if case .some(let s) = summaryWord(body["reasoning"]?["generate_summary"]) { return (s, active) }
            return (nil, active)
        case .gemini:
            let config = (body["generationConfig"] ?? body["generation_config"])?["thinkingConfig"]
                ?? (body["generationConfig"] ?? body["generation_config"])?["thinking_config"]
            let include = (config?["includeThoughts"] ?? config?["include_thoughts"])?.boolValue
            let budget = (config?["thinkingBudget"] ?? config?["thinking_budget"])?.intValue
            let level = (config?["thinkingLevel"] ?? config?["thinking_level"])?.stringValue
            return (include, (budget.map { $0 != 0 } ?? false) || level != nil)
        case .anthropic:
            return (nil, false)
        }
    }

    /// `claudeThinkingDisplaySet`.
    var displaySet: Bool { !(display?.trimming(" \t\r\n").isEmpty ?? true) }

    /// Thinking comes back without its text.
    var thinkingRedacted: Bool {
        !displaySet || display?.trimming(" \t\r\n").lowercased() == "omitted"
    }

    static let legacySystemReminderModels: Set<String> = [   // claude_executor_cloaking.go
        "claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest",
        "claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-opus-4", "claude-opus-4-20250514", "claude-opus-4-1",
        "claude-opus-4-1-20250805", "claude-opus-4-5", "claude-opus-4-5-20251101", "claude-opus-4-6", "claude-opus-4-7",
        "claude-sonnet-4", "claude-sonnet-4-20250514", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-sonnet-4-6",
    ]

    /// `claudeCodeCLIBetas(body, requested, oauthToken: true)` for a cloaked
    /// request to api.anthropic.com, which also carries the injected
    /// `diagnostics` object (`injectClaudeDiagnostics`) unless cloaking is off.
    func betas(callerHeader: [String], cloaked: Bool) -> [String] {
        var requested: Set<String> = []
        for value in callerHeader {
            for b in value.split(separator: ",") where !b.trimming(" \t").isEmpty { requested.insert(b.trimming(" \t")) }
        }
        requested.formUnion(bodyBetas)
        var out = ["claude-code-20250219", "oauth-2025-04-20"]
        if requested.contains("context-1m-2025-08-07") { out.append("context-1m-2025-08-07") }
        out.append("interleaved-thinking-2025-05-14")
        if !displaySet { out.append("redact-thinking-2026-02-12") }
        out += ["thinking-token-count-2026-05-13", "context-management-2025-06-27", "prompt-caching-scope-2026-01-05"]
        var bare = model.lowercased().trimming(" ")
        if let slash = bare.lastIndex(of: "/") { bare = String(bare[bare.index(after: slash)...]) }
        if !Self.legacySystemReminderModels.contains(bare) { out.append("mid-conversation-system-2026-04-07") }
        if hasTools { out.append("advanced-tool-use-2025-11-20") }
        out.append("effort-2025-11-24")
        if !requested.contains("fallback-credit-2026-06-01") { out.append("fallback-credit-2026-06-01") }
        for b in ["server-side-fallback-2026-06-01", "fallback-credit-2026-06-01", "structured-outputs-2025-12-15"]
        where requested.contains(b) {
            out.append(b)
        }
        if requested.contains("fast-mode-2026-02-01") || speedFast { out.append("fast-mode-2026-02-01") }
        out.append("extended-cache-ttl-2025-04-11")
        if cloaked { out.append("cache-diagnosis-2026-04-07") }
        return out
    }
}
