/// The API shape a Factory model speaks natively (config `models[].type`).
public enum ModelType: String, Sendable, CaseIterable {
    /// Anthropic Messages (`/api/llm/a/v1/messages`).
    case anthropic
    /// OpenAI Responses (`/api/llm/o/v1/responses`).
    case openai
    /// OpenAI chat completions (`/api/llm/o/v1/chat/completions`).
    case common
    /// Google generate (`/api/llm/g/v1/generate`).
    case google
}

/// Per-model reasoning policy (config `models[].reasoning`).
public enum ReasoningLevel: String, Sendable, CaseIterable {
    case auto, off, low, medium, high, xhigh

    /// Anthropic `thinking.budget_tokens` for a fixed level, on the chat →
    /// Anthropic translation. droid2api's transformers/request-anthropic.js caps
    /// xhigh at high's budget there (its /v1/messages pass-through uses 40960:
    /// see EdgeCore's ReasoningSplices).
    public var anthropicBudget: Int? {
        switch self {
        case .low: 4096
        case .medium: 12288
        case .high: 24576
        case .xhigh: 24576
        case .auto, .off: nil
        }
    }
}
