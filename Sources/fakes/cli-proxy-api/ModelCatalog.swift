import FakeKit
import Shared

/// The model list the fake advertises (a handful, one family per provider).
enum ModelCatalog {
    struct Model {
        let id: String
        let ownedBy: String
        let displayName: String
    }

    static let created = 1_700_000_000

    static let models: [Model] = [
        Model(id: "claude-sonnet-4-6", ownedBy: "anthropic", displayName: "Claude Sonnet 4.6"),
        Model(id: "claude-opus-4-6-thinking", ownedBy: "anthropic", displayName: "Claude Opus 4.6 Thinking"),
        Model(id: "gpt-5", ownedBy: "openai", displayName: "GPT 5"),
        Model(id: "gpt-5-codex", ownedBy: "openai", displayName: "GPT 5 Codex"),
        Model(id: "gemini-2.5-pro", ownedBy: "google", displayName: "Gemini 2.5 Pro"),
        Model(id: "gemini-3-pro-preview", ownedBy: "google", displayName: "Gemini 3 Pro Preview"),
    ]

    /// `GET /v1/models` (OpenAI list).
    static var openAIList: JSONValue {
        [
            "object": "list",
            "data": .array(models.map {
                ["id": .string($0.id), "object": "model", "created": .int(created), "owned_by": .string($0.ownedBy)]
            }),
        ]
    }

    /// `GET /v1/models` for a `claude-cli` User-Agent (Anthropic list), as the real server does.
    static var claudeList: JSONValue {
        let claude = models.filter { $0.ownedBy == "anthropic" }
        return [
            "data": .array(claude.map {
                [
                    "id": .string($0.id), "type": "model", "display_name": .string($0.displayName),
                    "created_at": "2025-11-14T00:00:00Z",
                ]
            }),
            "has_more": false,
            "first_id": .string(claude.first?.id ?? ""),
            "last_id": .string(claude.last?.id ?? ""),
        ]
    }

    static func gemini(_ m: Model) -> JSONValue {
        [
            "name": .string("models/" + m.id), "version": "001", "displayName": .string(m.displayName),
            "description": .string(m.displayName), "inputTokenLimit": 1_048_576, "outputTokenLimit": 65_536,
            "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        ]
    }

    /// `GET /v1beta/models`.
    static var geminiList: JSONValue {
        ["models": .array(models.filter { $0.ownedBy == "google" }.map(gemini))]
    }

    static func geminiModel(named name: String) -> JSONValue? {
        let id = name.hasPrefix("models/") ? String(name.dropFirst(7)) : name
        return models.first { $0.id == id && $0.ownedBy == "google" }.map(gemini)
    }
}
