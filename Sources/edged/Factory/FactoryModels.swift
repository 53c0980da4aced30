import Shared
import Translate

/// The configured Factory models, looked up by the name a client sends
/// (after `modelRedirects`).
struct FactoryModels: Sendable {
    struct Model: Sendable {
        let id: String
        let type: ModelType
        let provider: String
        let reasoning: ReasoningLevel
        let upstreamModel: String
        /// `fast: true`: the priority tier (OpenAI type) or the fast-mode beta (Anthropic type).
        let fast: Bool
    }

    private let byName: [String: Model]
    private let redirects: [String: String]
    let all: [Model]

    init(config: Config) {
        var map: [String: Model] = [:]
        var list: [Model] = []
        for m in config.models where m.upstream == .factory {
            let model = Model(id: m.id, type: ModelType(rawValue: m.type) ?? .common, provider: m.provider,
                              reasoning: m.reasoning, upstreamModel: m.upstreamModel,
                              fast: m.fast)
            map[m.id] = model
            list.append(model)
        }
        byName = map
        all = list
        redirects = Dictionary(config.modelRedirects, uniquingKeysWith: { a, _ in a })
    }

    var isEmpty: Bool { all.isEmpty }

    func lookup(_ name: String) -> Model? {
        byName[redirects[name] ?? name]
    }
}

/// The client-facing endpoints the Factory route serves.
enum ClientEndpoint: Sendable, Equatable {
    case chatCompletions, messages, countTokens, responses, generate

    init?(path: String) {
        switch path {
        case "/v1/chat/completions": self = .chatCompletions
        case "/v1/messages": self = .messages
        case "/v1/messages/count_tokens": self = .countTokens
        case "/v1/responses": self = .responses
        case "/v1/generate": self = .generate
        default: return nil
        }
    }

    /// The model type a pass-through endpoint serves (chat serves every type).
    var nativeType: ModelType? {
        switch self {
        case .chatCompletions: nil
        case .messages, .countTokens: .anthropic
        case .responses: .openai
        case .generate: .google
        }
    }

    /// Where a client should send requests for a model of `type`.
    static func endpoint(for type: ModelType) -> String {
        switch type {
        case .anthropic: "/v1/messages"
        case .openai: "/v1/responses"
        case .common: "/v1/chat/completions"
        case .google: "/v1/generate"
        }
    }

    /// Factory's URL path for this request.
    func factoryPath(for type: ModelType) -> String {
        switch (self, type) {
        case (.countTokens, _): "/api/llm/a/v1/messages/count_tokens"
        case (_, .anthropic): "/api/llm/a/v1/messages"
        case (_, .openai): "/api/llm/o/v1/responses"
        case (_, .common): "/api/llm/o/v1/chat/completions"
        case (_, .google): "/api/llm/g/v1/generate"
        }
    }
}
