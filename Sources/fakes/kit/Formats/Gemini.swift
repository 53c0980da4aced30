import Shared

/// Gemini: `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`.
public enum Gemini: APIFormat {
    public static func inspect(_ body: JSONValue) -> RequestShape {
        var s = RequestShape()
        // Gemini names the model in the URL; bodies that carry one (Factory's
        // `/api/llm/g/v1/generate`) name it in `model`.
        s.model = body["model"]?.stringValue ?? ""
        s.stream = body["stream"]?.boolValue ?? false
        // The API takes proto-JSON field names in either case style.
        let generation = body["generationConfig"] ?? body["generation_config"]
        let thinking = generation?["thinkingConfig"] ?? generation?["thinking_config"]
        s.thinking = (thinking?["includeThoughts"] ?? thinking?["include_thoughts"])?.boolValue ?? false
        guard let tools = body.nonEmptyArray("tools"), let last = body.last("contents") else { return s }
        let calling = body["toolConfig"]?["functionCallingConfig"] ?? body["tool_config"]?["function_calling_config"]
        if calling?["mode"]?.stringValue?.uppercased() == "NONE" { return s }
        let role = last["role"]?.stringValue ?? "user"
        let parts = last["parts"]?.arrayValue ?? []
        let answersTool = parts.contains { $0["functionResponse"] != nil || $0["function_response"] != nil }
        if role == "user" && !answersTool {
            s.toolName = tools.lazy.compactMap { tool -> String? in
                let decls = tool["functionDeclarations"]?.arrayValue ?? tool["function_declarations"]?.arrayValue ?? []
                return decls.first?["name"]?.stringValue
            }.first
        }
        return s
    }

    public static func response(_ plan: ReplyPlan) -> JSONValue {
        var parts: [JSONValue] = []
        if let t = plan.thinking { parts.append(["text": .string(t), "thought": true]) }
        if let call = plan.toolCall {
            parts.append(["functionCall": ["name": .string(call.name), "args": [:]]])
        } else {
            parts.append(["text": .string(plan.text)])
        }
        return chunk(plan, parts: parts, finish: true, responseID: IDs.random(22))
    }

    public static func streamEvents(_ plan: ReplyPlan, shape: RequestShape) -> [[UInt8]] {
        streamChunks(plan).map(SSE.data)
    }

    /// The stream's response chunks (SSE with `alt=sse`, a JSON array otherwise).
    public static func streamChunks(_ plan: ReplyPlan) -> [JSONValue] {
        let id = IDs.random(22)
        var chunks: [JSONValue] = []
        if let t = plan.thinking {
            chunks.append(chunk(plan, parts: [["text": .string(t), "thought": true]], finish: false, responseID: id))
        }
        if let call = plan.toolCall {
            chunks.append(chunk(plan, parts: [["functionCall": ["name": .string(call.name), "args": [:]]]], finish: true, responseID: id))
        } else {
            for (i, d) in plan.deltas.enumerated() {
                chunks.append(chunk(plan, parts: [["text": .string(d)]], finish: i == plan.deltas.count - 1, responseID: id))
            }
        }
        return chunks
    }

    /// Google's error envelope.
    public static func error(status: Int, message: String) -> JSONValue {
        let name =
            switch status {
            case 400: "INVALID_ARGUMENT"
            case 401: "UNAUTHENTICATED"
            case 403: "PERMISSION_DENIED"
            case 404: "NOT_FOUND"
            case 409: "ABORTED"
            case 429: "RESOURCE_EXHAUSTED"
            case 499: "CANCELLED"
            case 500: "INTERNAL"
            case 501: "UNIMPLEMENTED"
            case 503: "UNAVAILABLE"
            case 504: "DEADLINE_EXCEEDED"
            default: "UNKNOWN"
            }
        return ["error": ["code": .int(status), "message": .string(message), "status": .string(name)]]
    }

    private static func chunk(_ plan: ReplyPlan, parts: [JSONValue], finish: Bool, responseID: String) -> JSONValue {
        var candidate: JSONValue = ["content": ["parts": .array(parts), "role": "model"], "index": 0]
        if finish, case .object(var o) = candidate {
            o["finishReason"] = "STOP"
            candidate = .object(o)
        }
        var usage: JSONObject = [
            "promptTokenCount": .int(plan.inputTokens), "candidatesTokenCount": .int(plan.outputTokens),
            "totalTokenCount": .int(plan.inputTokens + plan.outputTokens),
        ]
        if plan.thinking != nil { usage["thoughtsTokenCount"] = 12 }
        return [
            "candidates": [candidate], "usageMetadata": .object(usage),
            "modelVersion": .string(plan.model), "responseId": .string(responseID),
        ]
    }
}
