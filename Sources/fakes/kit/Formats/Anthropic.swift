import Shared

/// Anthropic messages: `POST /v1/messages`.
public enum Anthropic: APIFormat {
    public static func inspect(_ body: JSONValue) -> RequestShape {
        var s = RequestShape()
        s.model = body["model"]?.stringValue ?? ""
        s.stream = body["stream"]?.boolValue ?? false
        let thinkingType = body["thinking"]?["type"]?.stringValue
        s.thinking = thinkingType == "enabled" || thinkingType == "adaptive"
        if let tools = body.nonEmptyArray("tools"), !body.forbidsTools, let last = body.last("messages"), last["role"]?.stringValue == "user" {
            let blocks = last["content"]?.arrayValue ?? []
            let answersTool = blocks.contains { $0["type"]?.stringValue == "tool_result" }
            if !answersTool { s.toolName = tools[0]["name"]?.stringValue }
        }
        return s
    }

    public static func response(_ plan: ReplyPlan) -> JSONValue {
        var content: [JSONValue] = []
        if let t = plan.thinking {
            content.append(["type": "thinking", "thinking": .string(t), "signature": .string(signature())])
        }
        if let call = plan.toolCall {
            content.append(["type": "tool_use", "id": .string(toolID()), "name": .string(call.name), "input": [:]])
        } else {
            content.append(["type": "text", "text": .string(plan.text)])
        }
        return [
            "id": .string(messageID()), "type": "message", "role": "assistant", "model": .string(plan.model),
            "content": .array(content),
            "stop_reason": plan.toolCall == nil ? "end_turn" : "tool_use", "stop_sequence": nil,
            "usage": usage(plan, output: plan.outputTokens),
        ]
    }

    public static func streamEvents(_ plan: ReplyPlan, shape: RequestShape) -> [[UInt8]] {
        var events: [[UInt8]] = [
            SSE.event("message_start", [
                "type": "message_start",
                "message": [
                    "id": .string(messageID()), "type": "message", "role": "assistant", "model": .string(plan.model),
                    "content": [], "stop_reason": nil, "stop_sequence": nil, "usage": usage(plan, output: 1),
                ],
            ]),
        ]
        var index = 0
        func start(_ block: JSONValue) {
            events.append(SSE.event("content_block_start", ["type": "content_block_start", "index": .int(index), "content_block": block]))
            if index == 0 { events.append(SSE.event("ping", ["type": "ping"])) }
        }
        func delta(_ d: JSONValue) {
            events.append(SSE.event("content_block_delta", ["type": "content_block_delta", "index": .int(index), "delta": d]))
        }
        func stop() {
            events.append(SSE.event("content_block_stop", ["type": "content_block_stop", "index": .int(index)]))
            index += 1
        }
        if let t = plan.thinking {
            start(["type": "thinking", "thinking": "", "signature": ""])
            // Redacted thinking (empty text) streams no thinking_delta at all: only the signature.
            if !t.isEmpty {
                for piece in ReplyPlan.split(t, into: 2) { delta(["type": "thinking_delta", "thinking": .string(piece)]) }
            }
            delta(["type": "signature_delta", "signature": .string(signature())])
            stop()
        }
        if let call = plan.toolCall {
            start(["type": "tool_use", "id": .string(toolID()), "name": .string(call.name), "input": [:]])
            delta(["type": "input_json_delta", "partial_json": ""])
            delta(["type": "input_json_delta", "partial_json": .string(call.arguments)])
            stop()
        } else {
            start(["type": "text", "text": ""])
            for d in plan.deltas { delta(["type": "text_delta", "text": .string(d)]) }
            stop()
        }
        events.append(SSE.event("message_delta", [
            "type": "message_delta",
            "delta": ["stop_reason": plan.toolCall == nil ? "end_turn" : "tool_use", "stop_sequence": nil],
            "usage": ["output_tokens": .int(plan.outputTokens)],
        ]))
        events.append(SSE.event("message_stop", ["type": "message_stop"]))
        return events
    }

    public static func error(status: Int, message: String) -> JSONValue {
        let type =
            switch status {
            case 400: "invalid_request_error"
            case 401: "authentication_error"
            case 402: "billing_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case 413: "request_too_large"
            case 429: "rate_limit_error"
            case 504: "timeout_error"
            case 529: "overloaded_error"
            case 500...: "api_error"
            default: "invalid_request_error"
            }
        return ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
    }

    private static func messageID() -> String { "msg_01" + IDs.random(22) }
    private static func toolID() -> String { "toolu_01" + IDs.random(22) }
    private static func signature() -> String { "fake-signature-" + IDs.random(32) }

    private static func usage(_ plan: ReplyPlan, output: Int) -> JSONValue {
        [
            "input_tokens": .int(plan.inputTokens), "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0, "output_tokens": .int(output),
        ]
    }
}
