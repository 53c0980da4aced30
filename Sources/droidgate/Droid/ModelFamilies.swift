/// How Droid CLI should treat a model, by model family: the Droid provider
/// type, the output limit and the reasoning efforts to offer.
///
/// Source: cli-proxy-api's embedded catalog (CLIProxyAPI
/// `internal/registry/models/models.json`, commit a7e3596, 2026-08-22), the
/// sections of the logins droidgate supports — claude, codex (free/team/plus/
/// pro), antigravity, kimi, xai. `maxOutputTokens` is the catalog's
/// `max_completion_tokens`; the efforts are its `thinking.levels` (`none`
/// left out: Droid's own "off" covers it), or low/medium/high for models that
/// take a thinking budget without levels. Droid provider types: Claude →
/// `anthropic` (Messages), GPT/Codex → `openai` (Responses), every other
/// family → `generic-chat-completion-api` (chat completions, which the
/// backend serves for every model). Rows are tried in order, first match
/// wins; `*` in a pattern matches any run of characters.
struct ModelFamily: Sendable {
    let pattern: String
    let provider: String
    let maxOutputTokens: Int
    let efforts: [String]
    let defaultEffort: String?
    var noImageSupport = false
    /// The catalog's name where the id does not say it (antigravity aliases); nil: derived from the id.
    var name: String? = nil
    /// False for image/video generators: they cannot run a coding session, so they are not registered.
    var chat = true
}

enum ModelFamilies {
    static let anthropic = "anthropic"
    static let openai = "openai"
    static let chat = "generic-chat-completion-api"

    static let adaptive = ["low", "medium", "high", "xhigh", "max"]
    static let claude46 = ["low", "medium", "high", "max"]
    static let budget = ["low", "medium", "high"]
    static let codex = ["low", "medium", "high", "xhigh"]
    static let geminiFlash = ["minimal", "low", "medium", "high"]
    static let kimi = ["low", "high"]
    static let kimi3 = ["low", "high", "max"]

    static let table: [ModelFamily] = [
        // Not chat models (codex and xai builtins, Gemini image models).
        ModelFamily(pattern: "gpt-image-*", provider: openai, maxOutputTokens: 0, efforts: [], defaultEffort: nil, chat: false),
        ModelFamily(pattern: "grok-imagine-*", provider: chat, maxOutputTokens: 0, efforts: [], defaultEffort: nil, chat: false),
        ModelFamily(pattern: "imagen-*", provider: chat, maxOutputTokens: 0, efforts: [], defaultEffort: nil, chat: false),
        ModelFamily(pattern: "gemini-*image*", provider: chat, maxOutputTokens: 0, efforts: [], defaultEffort: nil, chat: false),

        // Claude (claude login; the two 4.6 models also through antigravity).
        ModelFamily(pattern: "claude-opus-4-6-thinking", provider: anthropic, maxOutputTokens: 64000, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "claude-opus-5*", provider: anthropic, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "high"),
        ModelFamily(pattern: "claude-sonnet-5*", provider: anthropic, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "high"),
        ModelFamily(pattern: "claude-fable-5*", provider: anthropic, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "high"),
        ModelFamily(pattern: "claude-opus-4-7*", provider: anthropic, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "high"),
        ModelFamily(pattern: "claude-opus-4-8*", provider: anthropic, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "high"),
        ModelFamily(pattern: "claude-opus-4-6*", provider: anthropic, maxOutputTokens: 128000, efforts: claude46, defaultEffort: "high"),
        ModelFamily(pattern: "claude-sonnet-4-6*", provider: anthropic, maxOutputTokens: 64000, efforts: claude46, defaultEffort: "high"),
        ModelFamily(pattern: "claude-*-4-5*", provider: anthropic, maxOutputTokens: 64000, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "claude-opus-4-1*", provider: anthropic, maxOutputTokens: 32000, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "claude-opus-4-2025*", provider: anthropic, maxOutputTokens: 32000, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "claude-sonnet-4-2025*", provider: anthropic, maxOutputTokens: 64000, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "claude-3-7-sonnet*", provider: anthropic, maxOutputTokens: 8192, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "claude-3-5-haiku*", provider: anthropic, maxOutputTokens: 8192, efforts: [], defaultEffort: nil),
        ModelFamily(pattern: "claude-opus-*", provider: anthropic, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "high"),
        ModelFamily(pattern: "claude-*", provider: anthropic, maxOutputTokens: 64000, efforts: budget, defaultEffort: "high"),

        // GPT-OSS (antigravity), then Codex.
        ModelFamily(pattern: "gpt-oss-*", provider: chat, maxOutputTokens: 32768, efforts: [], defaultEffort: nil, noImageSupport: true),
        ModelFamily(pattern: "gpt-5.6*", provider: openai, maxOutputTokens: 128000, efforts: adaptive, defaultEffort: "medium"),
        ModelFamily(pattern: "gpt-5.3-codex-spark*", provider: openai, maxOutputTokens: 128000, efforts: codex, defaultEffort: "medium", noImageSupport: true),
        ModelFamily(pattern: "gpt-*", provider: openai, maxOutputTokens: 128000, efforts: codex, defaultEffort: "medium"),
        ModelFamily(pattern: "codex-*", provider: openai, maxOutputTokens: 128000, efforts: codex, defaultEffort: "medium"),

        // Gemini through antigravity (its aliases carry the catalog's names).
        ModelFamily(pattern: "gemini-pro-agent", provider: chat, maxOutputTokens: 65535, efforts: budget, defaultEffort: "high", name: "Gemini 3.1 Pro High"),
        ModelFamily(pattern: "gemini-3-flash-agent", provider: chat, maxOutputTokens: 65536, efforts: geminiFlash, defaultEffort: "high", name: "Gemini 3.5 Flash High"),
        ModelFamily(pattern: "gemini-3.5-flash-low", provider: chat, maxOutputTokens: 65535, efforts: budget, defaultEffort: "medium", name: "Gemini 3.5 Flash Medium"),
        ModelFamily(pattern: "gemini-3.5-flash-extra-low", provider: chat, maxOutputTokens: 65535, efforts: budget, defaultEffort: "low", name: "Gemini 3.5 Flash Low"),
        ModelFamily(pattern: "gemini-3.1-pro-low", provider: chat, maxOutputTokens: 65535, efforts: budget, defaultEffort: "low"),
        ModelFamily(pattern: "gemini-3*-flash-lite*", provider: chat, maxOutputTokens: 65535, efforts: geminiFlash, defaultEffort: "high"),
        ModelFamily(pattern: "gemini-3*-flash*", provider: chat, maxOutputTokens: 65536, efforts: geminiFlash, defaultEffort: "high"),
        ModelFamily(pattern: "gemini-3*-pro*", provider: chat, maxOutputTokens: 65535, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "gemini-*", provider: chat, maxOutputTokens: 65536, efforts: budget, defaultEffort: "high"),

        // Kimi.
        ModelFamily(pattern: "kimi-k3*", provider: chat, maxOutputTokens: 65536, efforts: kimi3, defaultEffort: "high"),
        ModelFamily(pattern: "kimi-k2.7*", provider: chat, maxOutputTokens: 65536, efforts: kimi, defaultEffort: "high"),
        ModelFamily(pattern: "kimi-k2.6*", provider: chat, maxOutputTokens: 65536, efforts: kimi, defaultEffort: "high"),
        ModelFamily(pattern: "kimi-k2.5*", provider: chat, maxOutputTokens: 32768, efforts: kimi, defaultEffort: "high"),
        ModelFamily(pattern: "kimi-k2-thinking*", provider: chat, maxOutputTokens: 32768, efforts: kimi, defaultEffort: "high", noImageSupport: true),
        ModelFamily(pattern: "kimi-k2", provider: chat, maxOutputTokens: 32768, efforts: [], defaultEffort: nil, noImageSupport: true),
        ModelFamily(pattern: "kimi-*", provider: chat, maxOutputTokens: 65536, efforts: kimi, defaultEffort: "high"),

        // Grok (xai).
        ModelFamily(pattern: "grok-4.6*", provider: chat, maxOutputTokens: 65536, efforts: codex, defaultEffort: "high"),
        ModelFamily(pattern: "grok-4.20-multi-agent*", provider: chat, maxOutputTokens: 65536, efforts: budget, defaultEffort: "high"),
        ModelFamily(pattern: "grok-4.20-*", provider: chat, maxOutputTokens: 65536, efforts: [], defaultEffort: nil),
        ModelFamily(pattern: "grok-3-mini*", provider: chat, maxOutputTokens: 32768, efforts: budget, defaultEffort: "high", noImageSupport: true),
        ModelFamily(pattern: "grok-build-*", provider: chat, maxOutputTokens: 256000, efforts: [], defaultEffort: nil),
        ModelFamily(pattern: "grok-composer-*", provider: chat, maxOutputTokens: 32768, efforts: [], defaultEffort: nil),
        ModelFamily(pattern: "grok-*", provider: chat, maxOutputTokens: 65536, efforts: budget, defaultEffort: "high"),
    ]

    /// For a model no row matches: chat completions, a modest output limit, no reasoning control.
    static let generic = ModelFamily(pattern: "*", provider: chat, maxOutputTokens: 32000, efforts: [], defaultEffort: nil)

    static func family(of model: String) -> ModelFamily {
        let id = model.lowercased()
        return table.first { matches($0.pattern, id) } ?? generic
    }

    /// Glob match with `*` only.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] != 0x2a && p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == 0x2a {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == 0x2a { pi += 1 }
        return pi == p.count
    }
}
