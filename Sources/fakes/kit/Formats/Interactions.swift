import Shared

/// Google's Interactions API: `POST /v1beta/interactions`. The shapes are the
/// ones cli-proxy-api's translators build for every provider
/// (`internal/translator/{claude,codex,gemini,openai}/interactions/*_response.go`
/// share the same templates): an `interaction` object with `steps`, and a stream
/// of `interaction.created`, `interaction.status_update`, `step.start` /
/// `step.delta` / `step.stop` per step and `interaction.completed`.
public enum Interactions: APIFormat {
    public static func inspect(_ body: JSONValue) -> RequestShape {
        var s = RequestShape()
        // `parseInteractionsRequestTarget`: one of model or agent names the target;
        // `normalizeGeminiModelResourceName` drops a `models/` prefix.
        let model = body["model"]?.stringValue?.trimming(" ") ?? ""
        s.model = model.hasPrefix("models/") && model.count > 7 ? String(model.dropFirst(7)) : model
        if s.model.isEmpty { s.model = body["agent"]?.stringValue?.trimming(" ") ?? "" }
        s.stream = body["stream"]?.boolValue ?? false
        s.thinking = summaryIntent(body) ?? false
        let config = body["generation_config"] ?? body["generationConfig"]
        let choice = config?["tool_choice"] ?? config?["toolChoice"] ?? body["tool_choice"] ?? body["toolChoice"]
        let forbids = choice?.stringValue?.lowercased() == "none" || choice?["type"]?.stringValue == "none"
        guard let tools = body.nonEmptyArray("tools"), !forbids else { return s }
        let fromUser: Bool
        switch body["input"] {
        case .string?:
            fromUser = true
        case let item? where item.objectValue != nil:
            fromUser = isUserTurn(item)
        case .array(let items)?:
            fromUser = items.last.map(isUserTurn) ?? false
        default:
            fromUser = false
        }
        if fromUser { s.toolName = tools.lazy.compactMap { $0["name"]?.stringValue }.first }
        return s
    }

    /// `internal/thinking/summary.go` `ExtractSummaryConfig` for "interactions":
    /// `generation_config.thinking_summaries` auto/none, then `reasoning.summary`,
    /// then `thinking_config.include_thoughts`.
    static func summaryIntent(_ body: JSONValue) -> Bool? {
        let config = body["generation_config"] ?? body["generationConfig"]
        for v in [config?["thinking_summaries"], config?["thinkingSummaries"], body["reasoning"]?["summary"]] {
            switch v?.stringValue?.trimming(" ").lowercased() {
            case "auto": return true
            case "none": return false
            default: continue
            }
        }
        let thinking = config?["thinking_config"] ?? config?["thinkingConfig"]
        return (thinking?["include_thoughts"] ?? thinking?["includeThoughts"])?.boolValue
    }

    /// The last input item is the user's: not the model's own output, not a
    /// function call or its result (`appendInteractionsInputItemToClaude`'s roles).
    private static func isUserTurn(_ item: JSONValue) -> Bool {
        if let role = item["role"]?.stringValue, role == "model" || role == "assistant" { return false }
        if let steps = item["steps"]?.arrayValue, let last = steps.last { return isUserTurn(last) }
        switch item["type"]?.stringValue {
        case "model_output", "thought", "function_call", "function_result": return false
        default: return true
        }
    }

    private static func usage(_ plan: ReplyPlan) -> JSONValue {
        [
            "input_tokens": .int(plan.inputTokens), "total_input_tokens": .int(plan.inputTokens),
            "output_tokens": .int(plan.outputTokens), "total_output_tokens": .int(plan.outputTokens),
            "total_tokens": .int(plan.inputTokens + plan.outputTokens),
        ]
    }

    private static func textContent(_ text: String) -> JSONValue { [["type": "text", "text": .string(text)]] }

    public static func response(_ plan: ReplyPlan) -> JSONValue {
        var steps: [JSONValue] = []
        if let t = plan.thinking { steps.append(["type": "thought", "content": textContent(t)]) }
        if let call = plan.toolCall {
            let id = JSONValue.string("call_" + IDs.random(24))
            steps.append(["type": "function_call", "name": .string(call.name), "arguments": [:], "id": id, "call_id": id])
        } else {
            steps.append(["type": "model_output", "content": textContent(plan.text)])
        }
        return [
            "id": .string(newID()), "object": "interaction", "status": "completed", "model": .string(plan.model),
            "steps": .array(steps), "usage": usage(plan),
        ]
    }

    public static func streamEvents(_ plan: ReplyPlan, shape: RequestShape) -> [[UInt8]] {
        let id = JSONValue.string(newID())
        let model = JSONValue.string(plan.model)
        var events: [[UInt8]] = [
            SSE.event("interaction.created", [
                "interaction": ["id": id, "status": "in_progress", "object": "interaction", "model": model],
                "event_type": "interaction.created",
            ]),
            SSE.event("interaction.status_update", [
                "interaction_id": id, "status": "in_progress", "event_type": "interaction.status_update",
            ]),
        ]
        var index = 0
        func step(_ step: JSONValue, deltas: [JSONValue]) {
            events.append(SSE.event("step.start", ["index": .int(index), "step": step, "event_type": "step.start"]))
            for d in deltas {
                events.append(SSE.event("step.delta", ["index": .int(index), "delta": d, "event_type": "step.delta"]))
            }
            events.append(SSE.event("step.stop", ["index": .int(index), "event_type": "step.stop"]))
            index += 1
        }
        if let t = plan.thinking {
            // A redacted thought (empty text) carries only its signature: no delta.
            step(["type": "thought"], deltas: t.isEmpty ? [] : ReplyPlan.split(t, into: 2).map {
                ["type": "thought_summary", "content": ["type": "text", "text": .string($0)]]
            })
        }
        if let call = plan.toolCall {
            let callID = JSONValue.string("call_" + IDs.random(24))
            step(["type": "function_call", "name": .string(call.name), "id": callID, "call_id": callID, "arguments": [:]],
                 deltas: [["arguments": .string(call.arguments), "type": "arguments_delta"]])
        } else {
            step(["type": "model_output"], deltas: plan.deltas.map { ["text": .string($0), "type": "text"] })
        }
        let now = JSONValue.string(WallClock.iso8601(milliseconds: false))
        events.append(SSE.event("interaction.completed", [
            "interaction": [
                "id": id, "status": "completed", "usage": usage(plan), "created": now, "updated": now,
                "service_tier": "standard", "object": "interaction", "model": model,
            ],
            "event_type": "interaction.completed",
        ]))
        return events
    }

    /// The handler's own errors and `WriteErrorResponse` (`BuildErrorResponseBody`) are OpenAI-shaped.
    public static func error(status: Int, message: String) -> JSONValue {
        OpenAIChat.error(status: status, message: message)
    }

    private static func newID() -> String { "interaction_" + IDs.random(24) }
}
