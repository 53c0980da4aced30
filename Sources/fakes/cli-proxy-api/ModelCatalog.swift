import FakeKit
import Shared

/// The models a running backend lists: for every enabled account file, its
/// provider's catalog (ModelCatalogData) minus the exclusions that apply to
/// it — `sdk/cliproxy/service_models.go` `registerModelsForAuth` and
/// `applyExcludedModels`, with the global `oauth-excluded-models[provider]`
/// merged with the file's own `excluded_models` (`synthesizer/helpers.go`
/// `ApplyAuthExcludedModelsMeta`). A model served by several accounts is listed
/// once, with the entry registered last (`registry/model_registry.go`).
enum ModelCatalog {
    struct Model: Sendable {
        var id: String
        var ownedBy: String
        var displayName: String
        var created: Int? = nil
        var contextLength: Int? = nil
        var maxCompletionTokens: Int? = nil
        var name: String? = nil
        var version: String? = nil
        var description: String? = nil
        var inputTokenLimit: Int? = nil
        var outputTokenLimit: Int? = nil
        var methods: [String]? = nil
    }

    /// The catalog a provider's OAuth account serves (`registerModelsForAuth`'s switch).
    static func catalog(for account: Account) -> [Model] {
        switch account.provider {
        case "claude": return claude
        case "antigravity": return antigravity
        case "kimi": return kimi
        case "xai": return xai
        case "vertex": return vertex
        case "codex":
            switch account.planType?.lowercased() {
            case "plus": return codexPlus
            case "team", "business", "go": return codexTeam
            case "free": return codexFree
            default: return codexPro   // "pro" and no plan at all
            }
        default: return []   // openai-compatibility and plugin providers need config the fake does not model
        }
    }

    /// Every model the enabled accounts in `authDir` serve, in registration order.
    static func available(authDir: String, config: ConfigFile) -> [Model] {
        var order: [String] = []
        var byID: [String: Model] = [:]
        for account in Accounts.enabled(in: authDir) {
            let patterns = (account.excluded + (config.oauthExcludedModels[account.provider] ?? []))
                .map { $0.trimming(" \t").lowercased() }.filter { !$0.isEmpty }
            for m in catalog(for: account) where !patterns.contains(where: { matchWildcard($0, m.id.lowercased()) }) {
                if byID[m.id] == nil { order.append(m.id) }
                byID[m.id] = m
            }
        }
        return order.compactMap { byID[$0] }
    }

    /// `matchWildcard` (service_models.go): case-insensitive, `*` matches any
    /// run of characters (none too); without `*` the pattern must equal the id.
    static func matchWildcard(_ pattern: String, _ value: String) -> Bool {
        guard !pattern.isEmpty else { return false }
        guard pattern.contains("*") else { return pattern == value }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(value)
        if let prefix = parts.first, !prefix.isEmpty {
            guard rest.hasPrefix(prefix) else { return false }
            rest = rest.dropFirst(prefix.count)
        }
        if let suffix = parts.last, !suffix.isEmpty {
            guard rest.hasSuffix(suffix) else { return false }
            rest = rest.dropLast(suffix.count)
        }
        for segment in parts.dropFirst().dropLast() where !segment.isEmpty {
            guard let r = rest.range(of: segment) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }

    // MARK: Listings

    /// `GET /v1/models` (openai_handlers.go `OpenAIModels`): id, object, created, owned_by only.
    static func openAIList(_ models: [Model]) -> JSONValue {
        [
            "object": "list",
            "data": .array(models.map { m in
                var o: JSONObject = ["id": .string(m.id), "object": "model"]
                if let c = m.created { o["created"] = .int(c) }
                o["owned_by"] = .string(m.ownedBy)
                return .object(o)
            }),
        ]
    }

    /// `GET /v1/models` for Anthropic clients (an `Anthropic-Version` header or a
    /// `claude-cli` User-Agent, server_routes.go): `client/claude/models/models.go`
    /// `BuildResponse` — every model, ids not starting with `claude-` cloaked as
    /// `claude-fable-5-dd-<id reversed>` unless `claude-code.disable-cloaking-model-list`,
    /// sorted by display name then id; entries as `convertModelToMap(…, "claude")`.
    static func claudeList(_ models: [Model], cloak: Bool) -> JSONValue {
        var entries: [(display: String, id: String, value: JSONValue)] = models.map { m in
            let id = cloak && !m.id.hasPrefix("claude-") ? "claude-fable-5-dd-" + String(m.id.reversed()) : m.id
            let display = m.displayName.isEmpty ? m.id : m.displayName
            var o: JSONObject = ["id": .string(id), "object": "model", "owned_by": .string(m.ownedBy)]
            if let c = m.created, c > 0 { o["created_at"] = .string(WallClock.iso8601(Double(c), milliseconds: false)) }
            o["type"] = "model"
            o["display_name"] = .string(display)
            o["max_input_tokens"] = .int(m.contextLength ?? 200_000)
            o["max_tokens"] = .int(m.maxCompletionTokens ?? 64_000)
            return (display, id, .object(o))
        }
        entries.sort { $0.display != $1.display ? $0.display < $1.display : $0.id < $1.id }
        return [
            "data": .array(entries.map(\.value)),
            "has_more": false,
            "first_id": .string(entries.first?.id ?? ""),
            "last_id": .string(entries.last?.id ?? ""),
        ]
    }

    /// One model as `GET /v1beta/models` shows it (gemini_handlers.go `GeminiModels`
    /// over `convertModelToMap(…, "gemini")`): `name` (the id when none) with a
    /// `models/` prefix, display name and description defaulting to the name,
    /// `supportedGenerationMethods` defaulting to `["generateContent"]`
    /// (`listDefaults`; the single-model handler adds only the prefix).
    static func gemini(_ m: Model, listDefaults: Bool = true) -> JSONValue {
        let raw = m.name ?? m.id
        let name = raw.hasPrefix("models/") ? raw : "models/" + raw
        var o: JSONObject = ["name": .string(name)]
        if let v = m.version { o["version"] = .string(v) }
        if !m.displayName.isEmpty || listDefaults { o["displayName"] = .string(m.displayName.isEmpty ? raw : m.displayName) }
        if m.description != nil || listDefaults { o["description"] = .string(m.description ?? raw) }
        if let l = m.inputTokenLimit { o["inputTokenLimit"] = .int(l) }
        if let l = m.outputTokenLimit { o["outputTokenLimit"] = .int(l) }
        if m.methods != nil || listDefaults {
            o["supportedGenerationMethods"] = .array((m.methods ?? ["generateContent"]).map { .string($0) })
        }
        return .object(o)
    }

    static func geminiList(_ models: [Model]) -> JSONValue {
        ["models": .array(models.map { gemini($0) })]
    }

    /// `GET /v1beta/models/{name}` (`GeminiGetHandler`): matched by name, with or without `models/`.
    static func geminiModel(named action: String, in models: [Model]) -> JSONValue? {
        models.first { m in
            let name = m.name ?? m.id
            return name == action || name == "models/" + action
        }.map { gemini($0, listDefaults: false) }
    }
}
