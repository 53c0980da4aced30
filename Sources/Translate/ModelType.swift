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
