import Shared

/// OpenAI Responses: `POST /v1/responses`.
public enum Responses: APIFormat {
    public static func inspect(_ body: JSONValue) -> RequestShape {
        var s = RequestShape()
        s.model = body["model"]?.stringValue ?? ""
        s.stream = body["stream"]?.boolValue ?? false
        s.thinking = body["reasoning"]?["summary"]?.stringValue.map { $0 != "none" } ?? false
        guard let tools = body.nonEmptyArray("tools"), !body.forbidsTools else { return s }
        let fromUser: Bool
        switch body["input"] {
        case .string?:
            fromUser = true
        case .array(let items)?:
            guard let last = items.last else { fromUser = false; break }
            let type = last["type"]?.stringValue ?? "message"
            fromUser = type == "message" && last["role"]?.stringValue == "user"
        default:
            fromUser = false
        }
        if fromUser {
            // Function tools carry their name at the top level; built-in tools have none.
            s.toolName = tools.lazy.compactMap { $0["name"]?.stringValue ?? $0["function"]?["name"]?.stringValue }.first
        }
        return s
    }

    /// The ids of one reply, shared by its events and final object.
    private struct Plan {
        let responseID = "resp_" + IDs.hex(48)
        let itemID: String
        let callID = "call_" + IDs.random(24)
        let reasoningID = "rs_" + IDs.hex(48)
        let created = IDs.unixTime
        let reply: ReplyPlan

        init(_ reply: ReplyPlan) {
            self.reply = reply
            itemID = (reply.toolCall == nil ? "msg_" : "fc_") + IDs.hex(48)
        }

        var reasoningItem: JSONValue? {
            guard let t = reply.thinking else { return nil }
            // Redacted reasoning (empty text) has no summary part.
            return [
                "id": .string(reasoningID), "type": "reasoning",
                "summary": t.isEmpty ? [] : [["type": "summary_text", "text": .string(t)]],
            ]
        }

        func item(done: Bool) -> JSONValue {
            let status: JSONValue = done ? "completed" : "in_progress"
            if let call = reply.toolCall {
                return [
                    "id": .string(itemID), "type": "function_call", "status": status,
                    "arguments": done ? .string(call.arguments) : "", "call_id": .string(callID), "name": .string(call.name),
                ]
            }
            return [
                "id": .string(itemID), "type": "message", "status": status, "role": "assistant",
                "content": done ? [textPart(reply.text)] : [],
            ]
        }

        func response(done: Bool) -> JSONValue {
            var output: [JSONValue] = []
            if done {
                if let r = reasoningItem { output.append(r) }
                output.append(item(done: true))
            }
            let usage: JSONValue = done ? [
                "input_tokens": .int(reply.inputTokens), "input_tokens_details": ["cached_tokens": 0],
                "output_tokens": .int(reply.outputTokens),
                "output_tokens_details": ["reasoning_tokens": .int(reply.thinking == nil ? 0 : 12)],
                "total_tokens": .int(reply.inputTokens + reply.outputTokens),
            ] : nil
            return [
                "id": .string(responseID), "object": "response", "created_at": .int(created),
                "status": done ? "completed" : "in_progress", "background": false, "error": nil,
                "incomplete_details": nil, "instructions": nil, "max_output_tokens": nil, "model": .string(reply.model),
                "output": .array(output), "parallel_tool_calls": true, "previous_response_id": nil,
                "reasoning": ["effort": nil, "summary": nil], "store": false, "temperature": 1.0,
                "text": ["format": ["type": "text"]], "tool_choice": "auto", "tools": [], "top_p": 1.0,
                "truncation": "disabled", "usage": usage, "user": nil, "metadata": [:],
            ]
        }
    }

    public static func textPart(_ text: String) -> JSONValue {
        ["type": "output_text", "annotations": [], "logprobs": [], "text": .string(text)]
    }

    public static func response(_ reply: ReplyPlan) -> JSONValue {
        Plan(reply).response(done: true)
    }

    /// `POST /responses/compact`: a `response.compaction` object whose output is
    /// one opaque `compaction` item (what OpenAI's endpoint answers and
    /// cli-proxy-api's Codex executor passes through unchanged, `codex_executor_execute.go`
    /// `executeCompact`; `helps/responses_usage_helpers.go` leaves a compaction's usage as sent).
    public static func compaction(_ reply: ReplyPlan) -> JSONValue {
        [
            "id": .string("resp_" + IDs.hex(48)), "object": "response.compaction", "created_at": .int(IDs.unixTime),
            "output": [["id": .string("cmp_" + IDs.hex(48)), "type": "compaction", "encrypted_content": .string(IDs.random(64))]],
            "usage": [
                "input_tokens": .int(reply.inputTokens), "input_tokens_details": ["cached_tokens": 0],
                "output_tokens": .int(reply.outputTokens), "output_tokens_details": ["reasoning_tokens": 0],
                "total_tokens": .int(reply.inputTokens + reply.outputTokens),
            ],
        ]
    }

    public static func streamEvents(_ reply: ReplyPlan, shape: RequestShape) -> [[UInt8]] {
        let p = Plan(reply)
        var events: [[UInt8]] = []
        var seq = 0
        func emit(_ type: String, _ fields: [(String, JSONValue)]) {
            var o = JSONObject()
            o["type"] = .string(type)
            o["sequence_number"] = .int(seq)
            for (k, v) in fields { o[k] = v }
            events.append(SSE.event(type, .object(o)))
            seq += 1
        }
        emit("response.created", [("response", p.response(done: false))])
        emit("response.in_progress", [("response", p.response(done: false))])
        var outputIndex = 0
        if let r = p.reasoningItem, let t = reply.thinking {
            let summary: JSONValue = ["type": "summary_text", "text": .string(t)]
            emit("response.output_item.added", [("output_index", 0), ("item", ["id": .string(p.reasoningID), "type": "reasoning", "summary": []])])
            if !t.isEmpty {
                emit("response.reasoning_summary_part.added", [("item_id", .string(p.reasoningID)), ("output_index", 0), ("summary_index", 0), ("part", ["type": "summary_text", "text": ""])])
                emit("response.reasoning_summary_text.delta", [("item_id", .string(p.reasoningID)), ("output_index", 0), ("summary_index", 0), ("delta", .string(t))])
                emit("response.reasoning_summary_text.done", [("item_id", .string(p.reasoningID)), ("output_index", 0), ("summary_index", 0), ("text", .string(t))])
                emit("response.reasoning_summary_part.done", [("item_id", .string(p.reasoningID)), ("output_index", 0), ("summary_index", 0), ("part", summary)])
            }
            emit("response.output_item.done", [("output_index", 0), ("item", r)])
            outputIndex = 1
        }
        let oi = JSONValue.int(outputIndex)
        let itemID = JSONValue.string(p.itemID)
        emit("response.output_item.added", [("output_index", oi), ("item", p.item(done: false))])
        if let call = reply.toolCall {
            emit("response.function_call_arguments.delta", [("item_id", itemID), ("output_index", oi), ("delta", .string(call.arguments))])
            emit("response.function_call_arguments.done", [("item_id", itemID), ("output_index", oi), ("arguments", .string(call.arguments))])
        } else {
            let at: [(String, JSONValue)] = [("item_id", itemID), ("output_index", oi), ("content_index", 0)]
            emit("response.content_part.added", at + [("part", textPart(""))])
            for d in reply.deltas { emit("response.output_text.delta", at + [("delta", .string(d)), ("logprobs", [])]) }
            emit("response.output_text.done", at + [("text", .string(reply.text)), ("logprobs", [])])
            emit("response.content_part.done", at + [("part", textPart(reply.text))])
        }
        emit("response.output_item.done", [("output_index", oi), ("item", p.item(done: true))])
        emit("response.completed", [("response", p.response(done: true))])
        return events
    }

    public static func error(status: Int, message: String) -> JSONValue {
        OpenAIChat.error(status: status, message: message)
    }
}
