import Shared

/// OpenAI chat completions: `POST /v1/chat/completions`.
public enum OpenAIChat: APIFormat {
    public static func inspect(_ body: JSONValue) -> RequestShape {
        var s = RequestShape()
        s.model = body["model"]?.stringValue ?? ""
        s.stream = body["stream"]?.boolValue ?? false
        s.includeUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        let lastRole = body.last("messages")?["role"]?.stringValue
        if let tools = body.nonEmptyArray("tools"), lastRole == "user", !body.forbidsTools {
            s.toolName = tools[0]["function"]?["name"]?.stringValue ?? tools[0]["name"]?.stringValue
        }
        return s
    }

    public static func response(_ plan: ReplyPlan) -> JSONValue {
        var message: JSONValue
        if let call = plan.toolCall {
            message = [
                "role": "assistant", "content": nil,
                "tool_calls": [toolCall(call, id: "call_" + IDs.random(24))],
                "refusal": nil, "annotations": [],
            ]
        } else {
            message = ["role": "assistant", "content": .string(plan.text), "refusal": nil, "annotations": []]
        }
        // A backend translating a reasoning model's reply (cli-proxy-api's Claude
        // translator) adds the reasoning text as `reasoning_content`.
        if let t = plan.thinking, !t.isEmpty, case .object(var o) = message {
            o["reasoning_content"] = .string(t)
            message = .object(o)
        }
        return [
            "id": .string("chatcmpl-" + IDs.random(29)),
            "object": "chat.completion",
            "created": .int(IDs.unixTime),
            "model": .string(plan.model),
            "choices": [
                [
                    "index": 0, "message": message, "logprobs": nil,
                    "finish_reason": plan.toolCall == nil ? "stop" : "tool_calls",
                ],
            ],
            "usage": usage(plan),
            "system_fingerprint": nil,
        ]
    }

    public static func streamEvents(_ plan: ReplyPlan, shape: RequestShape) -> [[UInt8]] {
        streamChunks(plan, shape: shape).map(SSE.data) + [SSE.done]
    }

    /// The stream's chunks as JSON, before SSE framing and the final `[DONE]`.
    public static func streamChunks(_ plan: ReplyPlan, shape: RequestShape) -> [JSONValue] {
        let id = "chatcmpl-" + IDs.random(29)
        let created = IDs.unixTime
        func chunk(_ delta: JSONValue, finish: JSONValue = nil) -> JSONValue {
            [
                "id": .string(id), "object": "chat.completion.chunk", "created": .int(created),
                "model": .string(plan.model), "system_fingerprint": nil,
                "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]],
            ]
        }
        var events: [JSONValue] = []
        if let t = plan.thinking, !t.isEmpty {
            for piece in ReplyPlan.split(t, into: 2) { events.append(chunk(["role": "assistant", "reasoning_content": .string(piece)])) }
        }
        if let call = plan.toolCall {
            events.append(chunk([
                "role": "assistant", "content": nil,
                "tool_calls": [[
                    "index": 0, "id": .string("call_" + IDs.random(24)), "type": "function",
                    "function": ["name": .string(call.name), "arguments": ""],
                ]],
            ]))
            events.append(chunk(["tool_calls": [["index": 0, "function": ["arguments": .string(call.arguments)]]]]))
            events.append(chunk([:], finish: "tool_calls"))
        } else {
            events.append(chunk(["role": "assistant", "content": "", "refusal": nil]))
            for d in plan.deltas { events.append(chunk(["content": .string(d)])) }
            events.append(chunk([:], finish: "stop"))
        }
        if shape.includeUsage {
            events.append([
                "id": .string(id), "object": "chat.completion.chunk", "created": .int(created),
                "model": .string(plan.model), "system_fingerprint": nil, "choices": [], "usage": usage(plan),
            ])
        }
        return events
    }

    /// The shape cli-proxy-api's own handlers use (`BuildErrorResponseBody`).
    public static func error(status: Int, message: String) -> JSONValue {
        let (type, code): (String, String?) =
            switch status {
            case 401: ("authentication_error", "invalid_api_key")
            case 403: ("permission_error", "insufficient_quota")
            case 404: ("invalid_request_error", "model_not_found")
            case 429: ("rate_limit_error", "rate_limit_exceeded")
            case 500...: ("server_error", "internal_server_error")
            default: ("invalid_request_error", nil)
            }
        var detail: JSONValue = ["message": .string(message), "type": .string(type)]
        if let code, case .object(var o) = detail {
            o["code"] = .string(code)
            detail = .object(o)
        }
        return ["error": detail]
    }

    private static func toolCall(_ call: ReplyPlan.ToolCall, id: String) -> JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
    }

    private static func usage(_ plan: ReplyPlan) -> JSONValue {
        [
            "prompt_tokens": .int(plan.inputTokens), "completion_tokens": .int(plan.outputTokens),
            "total_tokens": .int(plan.inputTokens + plan.outputTokens),
        ]
    }
}
