/// A Factory model's reasoning policy (config `models[].reasoning`) and what
/// each level becomes in each upstream API — the one table, after droid2api's
/// transformers. `auto` leaves the client's own fields alone, `off` removes
/// them, a level sets them. Used by the pass-through splices (EdgeCore) and
/// the chat translation (Translate).
public enum ReasoningLevel: String, Sendable, CaseIterable {
    case auto, off, low, medium, high, xhigh

    /// The Anthropic beta that goes with a thinking budget.
    public static let interleavedThinkingBeta = "interleaved-thinking-2025-05-14"

    /// Anthropic `thinking.budget_tokens` on the Messages pass-through
    /// (droid2api routes.js: xhigh 40960).
    public var anthropicBudget: Int? {
        switch self {
        case .low: 4096
        case .medium: 12288
        case .high: 24576
        case .xhigh: 40960
        case .auto, .off: nil
        }
    }

    /// The budget on the chat → Anthropic translation: droid2api's
    /// transformers/request-anthropic.js caps xhigh at high's there.
    public var anthropicTranslatedBudget: Int? {
        self == .xhigh ? ReasoningLevel.high.anthropicBudget : anthropicBudget
    }

    /// Anthropic requires `max_tokens` above the budget: what it becomes when it is not.
    public static func maxTokens(above budget: Int) -> Int { budget + 4096 }

    /// Gemini's `thinkingLevel` for an effort name. Gemini knows MINIMAL, LOW,
    /// MEDIUM and HIGH; anything else (xhigh, "none") gets no thinking config:
    /// the upstream rejects `XHIGH`, and droid2api (request-google.js,
    /// routes.js /v1/generate) maps only low/medium/high.
    public static func geminiThinkingLevel(_ effort: String) -> String? {
        switch effort {
        case "minimal", "low", "medium", "high": effort.uppercased()
        default: nil
        }
    }
}
