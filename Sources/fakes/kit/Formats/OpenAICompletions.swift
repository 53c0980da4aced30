import Shared

/// OpenAI's legacy text completions: `POST /v1/completions`. cli-proxy-api
/// serves it on top of chat completions (`sdk/api/handlers/openai/openai_handlers.go`
/// `Completions`): the request is turned into a chat request, the chat reply
/// back into a `text_completion`. The fake does the same with its own chat reply.
public enum OpenAICompletions: APIFormat {
    /// `convertCompletionsRequestToChatCompletions`: `prompt` (default
    /// "Complete this:") becomes the one user message; model, sampling
    /// fields and `stream` are copied; everything else (tools,
    /// `stream_options`, …) is dropped.
    public static func chatRequest(_ body: JSONValue) -> JSONValue {
        let prompt = body["prompt"].map(gjsonString) ?? ""
        var out: JSONObject = [
            "model": "",
            "messages": [["role": "user", "content": .string(prompt.isEmpty ? "Complete this:" : prompt)]],
        ]
        if let model = body["model"] { out["model"] = .string(gjsonString(model)) }
        for key in ["max_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty", "stop",
                    "stream", "logprobs", "top_logprobs", "echo"] {
            if let v = body[key] { out[key] = v }
        }
        return .object(out)
    }

    public static func inspect(_ body: JSONValue) -> RequestShape {
        var s = OpenAIChat.inspect(chatRequest(body))
        // `Completions`: streaming only for a JSON `true` (gjson.True).
        s.stream = body["stream"] == .bool(true)
        return s
    }

    /// `convertChatCompletionsResponseToCompletions`.
    public static func response(_ plan: ReplyPlan) -> JSONValue {
        let chat = OpenAIChat.response(plan)
        var out: JSONObject = ["id": "", "object": "text_completion", "created": 0, "model": "", "choices": []]
        for key in ["id", "created", "model", "usage"] { if let v = chat[key] { out[key] = v } }
        let choices: [JSONValue] = (chat["choices"]?.arrayValue ?? []).map { choice in
            // A Go map marshalled: keys in sorted order.
            var c: JSONObject = [:]
            if let f = choice["finish_reason"] { c["finish_reason"] = .string(gjsonString(f)) }
            c["index"] = .int(choice["index"]?.intValue ?? 0)
            if let l = choice["logprobs"] { c["logprobs"] = l }
            if let message = choice["message"] {
                if let content = message["content"] { c["text"] = .string(gjsonString(content)) }
            } else if let content = choice["delta"]?["content"] {
                c["text"] = .string(gjsonString(content))
            }
            return .object(c)
        }
        if !choices.isEmpty { out["choices"] = .array(choices) }
        return .object(out)
    }

    public static func streamEvents(_ plan: ReplyPlan, shape: RequestShape) -> [[UInt8]] {
        OpenAIChat.streamChunks(plan, shape: shape).compactMap(streamChunk).map(SSE.data) + [SSE.done]
    }

    /// `convertChatCompletionsStreamChunkToCompletions`: nil (dropped) for a
    /// chunk with neither text, a finish reason nor usage — the role chunk,
    /// reasoning and tool-call deltas.
    static func streamChunk(_ chunk: JSONValue) -> JSONValue? {
        let chatChoices = chunk["choices"]?.arrayValue ?? []
        let hasContent = chatChoices.contains { choice in
            if let content = choice["delta"]?["content"], !gjsonString(content).isEmpty { return true }
            if let f = choice["finish_reason"] {
                let reason = gjsonString(f)
                return !reason.isEmpty && reason != "null"
            }
            return false
        }
        guard hasContent || chunk["usage"] != nil else { return nil }
        var out: JSONObject = ["id": "", "object": "text_completion", "created": 0, "model": "", "choices": []]
        for key in ["id", "created", "model"] { if let v = chunk[key] { out[key] = v } }
        let choices: [JSONValue] = chatChoices.map { choice in
            var c: JSONObject = [:]
            if let f = choice["finish_reason"], gjsonString(f) != "null" { c["finish_reason"] = .string(gjsonString(f)) }
            c["index"] = .int(choice["index"]?.intValue ?? 0)
            if let l = choice["logprobs"] { c["logprobs"] = l }
            c["text"] = .string(choice["delta"]?["content"].map(gjsonString) ?? "")
            return .object(c)
        }
        if !choices.isEmpty { out["choices"] = .array(choices) }
        if let usage = chunk["usage"] { out["usage"] = usage }
        return .object(out)
    }

    public static func error(status: Int, message: String) -> JSONValue {
        OpenAIChat.error(status: status, message: message)
    }

    /// gjson's `Result.String()`: a string as is, null as "", anything else as its JSON text.
    public static func gjsonString(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): s
        case .null: ""
        default: String(decoding: v.serialized(), as: UTF8.self)
        }
    }
}
