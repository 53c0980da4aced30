import Shared

/// `GET /v1/models` when Factory models are configured: the backend's own
/// list, asked with the caller's query string and the headers that choose
/// its shape, with Factory's models added in that same shape. cli-proxy-api
/// answers Claude Code and the Anthropic SDK (`Anthropic-Version`) in
/// Anthropic's shape (`data` of `{"type":"model","id","display_name",
/// "created_at"}` with `first_id`/`last_id`/`has_more`), everyone else in
/// OpenAI's (`{"object":"list","data":[{"id","object","created","owned_by"}]}`),
/// and Codex (`?client_version=…`) its own client list, which has no place
/// for other models and is relayed as it came.
enum ModelListMerge {
    /// The request headers the backend's answer depends on, forwarded as the caller sent them.
    static let forwardedHeaders: Set<String> = ["anthropic-version", "user-agent"]

    struct Factory: Sendable {
        let id: String
        let provider: String
    }

    enum Outcome: Equatable {
        case merged(JSONValue)
        /// The backend's body, as it came (a shape Factory's models cannot join).
        case relayed([UInt8])
    }

    /// - backend: the backend's 200 body, or nil when it could not be had
    ///   (then Factory's models alone, in the shape the caller asked for).
    static func merge(factory: [Factory], backend: [UInt8]?, anthropicCaller: Bool, created: Int) -> Outcome {
        let parsed = backend.flatMap { try? JSONValue(parsing: $0) }
        if let backend, let object = parsed?.objectValue, object["data"]?.arrayValue == nil {
            return .relayed(backend)
        }
        guard let object = parsed?.objectValue, let list = object["data"]?.arrayValue else {
            return .merged(anthropicCaller ? anthropicShape(factory.map { anthropicEntry($0, created) }, rest: [:])
                                           : .object(["object": "list", "data": .array(factory.map { openAIEntry($0, created) })]))
        }
        let anthropic = object["first_id"] != nil || object["has_more"] != nil || list.first?["type"] == "model"
        let ids = Set(factory.map(\.id))
        let ours = factory.map { anthropic ? anthropicEntry($0, created) : openAIEntry($0, created) }
        let data = ours + list.filter { !ids.contains($0["id"]?.stringValue ?? "") }
        if anthropic { return .merged(anthropicShape(data, rest: object)) }
        var out = object
        out["data"] = .array(data)
        return .merged(.object(out))
    }

    static func openAIEntry(_ m: Factory, _ created: Int) -> JSONValue {
        ["id": .string(m.id), "object": "model", "created": .int(created), "owned_by": .string(m.provider)]
    }

    static func anthropicEntry(_ m: Factory, _ created: Int) -> JSONValue {
        ["type": "model", "id": .string(m.id), "display_name": .string(m.id), "created_at": .string(WallClock.iso8601(Double(created), milliseconds: false))]
    }

    static func anthropicShape(_ data: [JSONValue], rest: JSONObject) -> JSONValue {
        var out = rest
        out["data"] = .array(data)
        out["first_id"] = data.first?["id"] ?? .null
        out["last_id"] = data.last?["id"] ?? .null
        out["has_more"] = rest["has_more"] ?? false
        return .object(out)
    }
}
