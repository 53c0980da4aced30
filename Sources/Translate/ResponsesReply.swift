// OpenAI Responses reply / stream → chat completions.

import Values

enum ResponsesReply {
    static func usage(_ usage: JSONValue?) -> ChatUsage? {
        guard let usage, usage.objectValue != nil else { return nil }
        let input = intMember(usage, "input_tokens") ?? 0
        let output = intMember(usage, "output_tokens") ?? 0
        return ChatUsage(
            prompt: input, completion: output, total: intMember(usage, "total_tokens") ?? input + output,
            cached: intMember(usage["input_tokens_details"], "cached_tokens"),
            reasoning: intMember(usage["output_tokens_details"], "reasoning_tokens"))
    }

    /// status / incomplete_details → finish_reason.
    static func finishReason(_ response: JSONValue?, hasToolCalls: Bool) -> String {
        if response?["status"]?.stringValue == "incomplete" {
            switch response?["incomplete_details"]?["reason"]?.stringValue {
            case "content_filter": return "content_filter"
            default: return "length"  // max_output_tokens
            }
        }
        return hasToolCalls ? "tool_calls" : "stop"
    }

    /// A reasoning item's text: its summaries, else its raw reasoning text.
    static func reasoningText(_ item: JSONValue) -> String {
        let summaries = (item["summary"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }
        if !summaries.isEmpty { return summaries.joined(separator: "\n\n") }
        return (item["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
    }

    static func completion(_ v: JSONValue, _ ctx: TranslationContext) -> JSONValue {
        var reply = ChatReply()
        var reasoning: [String] = []
        for item in v["output"]?.arrayValue ?? [] {
            switch item["type"]?.stringValue {
            case "message":
                for part in item["content"]?.arrayValue ?? [] {
                    switch part["type"]?.stringValue {
                    case "output_text":
                        reply.content += part["text"]?.stringValue ?? ""
                    case "refusal":
                        reply.refusal = (reply.refusal ?? "") + (part["refusal"]?.stringValue ?? "")
                    default:
                        break
                    }
                }
            case "function_call":
                reply.toolCalls.append(
                    ChatReply.toolCall(
                        id: item["call_id"]?.stringValue ?? item["id"]?.stringValue ?? "",
                        name: item["name"]?.stringValue ?? "", arguments: item["arguments"]?.stringValue ?? ""))
            case "reasoning":
                let text = reasoningText(item)
                if !text.isEmpty { reasoning.append(text) }
            default:
                break
            }
        }
        reply.reasoning = reasoning.joined(separator: "\n\n")
        reply.finishReason = finishReason(v, hasToolCalls: !reply.toolCalls.isEmpty)
        reply.usage = usage(v["usage"])
        return reply.completion(ctx)
    }
}

/// Responses SSE → chat chunks. `response.completed` / `response.incomplete` end the stream with
/// the finish chunk and `[DONE]`; `response.failed` and `error` yield one `{"error":{...}}` frame
/// and end the output (`failed` is set).
public struct ResponsesToChatStream: ChatStreamTranslator {
    private struct Call {
        var index: Int
        var argumentsSent: Bool
    }

    private var core: ChatStreamCore
    /// Function call item id (and output index) → chat tool call index.
    private var callsByItem: [String: Call] = [:]
    private var callsByOutput: [Int: String] = [:]
    private var toolCount = 0
    private var summaryParts = 0

    public init(_ ctx: TranslationContext) {
        core = ChatStreamCore(ctx)
    }

    public var failed: Bool { core.failed }

    public var finished: Bool { core.doneSent }

    public var skippedEvents: Int { core.skippedEvents }

    public mutating func feed(_ event: SSEEvent) -> [UInt8] {
        guard !core.closed else { return [] }
        guard let json = event.json else {
            core.skip(event)
            return []
        }
        var out: [UInt8] = []
        switch json["type"]?.stringValue ?? event.event {
        case "response.created", "response.in_progress":
            core.role(into: &out)
        case "response.output_item.added":
            guard let item = json["item"], item["type"]?.stringValue == "function_call" else { break }
            let key = item["id"]?.stringValue ?? item["call_id"]?.stringValue ?? "output-\(toolCount)"
            let index = toolCount
            toolCount += 1
            callsByItem[key] = Call(index: index, argumentsSent: false)
            if let output = json["output_index"]?.intValue { callsByOutput[output] = key }
            let arguments = item["arguments"]?.stringValue ?? ""
            if !arguments.isEmpty { callsByItem[key]?.argumentsSent = true }
            core.toolCallStart(
                index: index, id: item["call_id"]?.stringValue ?? key, name: item["name"]?.stringValue ?? "",
                arguments: arguments, into: &out)
        case "response.function_call_arguments.delta":
            guard let key = callKey(json), let call = callsByItem[key] else { break }
            let fragment = json["delta"]?.stringValue ?? ""
            if !fragment.isEmpty { callsByItem[key]?.argumentsSent = true }
            core.toolCallArguments(index: call.index, fragment, into: &out)
        case "response.output_item.done":
            // A call whose arguments never streamed as deltas gets them in one piece here.
            guard let item = json["item"], item["type"]?.stringValue == "function_call",
                let key = item["id"]?.stringValue ?? item["call_id"]?.stringValue, let call = callsByItem[key],
                !call.argumentsSent
            else { break }
            callsByItem[key]?.argumentsSent = true
            core.toolCallArguments(index: call.index, item["arguments"]?.stringValue ?? "", into: &out)
        case "response.output_text.delta":
            core.content(json["delta"]?.stringValue ?? "", into: &out)
        case "response.refusal.delta":
            if let text = json["delta"]?.stringValue, !text.isEmpty {
                core.delta(["refusal": .string(text)], into: &out)
            }
        case "response.reasoning_summary_part.added":
            // Separate summary parts the way the non-streamed reply joins them.
            if summaryParts > 0 { core.reasoning("\n\n", into: &out) }
            summaryParts += 1
        case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
            core.reasoning(json["delta"]?.stringValue ?? "", into: &out)
        case "response.completed", "response.incomplete":
            let response = json["response"]
            core.finish(
                ResponsesReply.finishReason(response, hasToolCalls: toolCount > 0 || hasFunctionCall(response)),
                usage: ResponsesReply.usage(response?["usage"]), into: &out)
            core.done(into: &out)
        case "response.failed":
            let error = json["response"]?["error"]
            core.fail(
                message: error?["message"]?.stringValue ?? "upstream response failed",
                type: error?["code"]?.stringValue ?? "api_error", into: &out)
        case "error":
            core.fail(
                message: json["message"]?.stringValue ?? json["error"]?["message"]?.stringValue
                    ?? "upstream stream error",
                type: json["code"]?.stringValue ?? json["error"]?["type"]?.stringValue ?? "api_error", into: &out)
        default:
            break
        }
        return out
    }

    /// Everything owed is sent on `response.completed`: a stream that ended without it is
    /// incomplete, and gets nothing more.
    public mutating func finish(complete: Bool) -> [UInt8] {
        []
    }

    private func callKey(_ json: JSONValue) -> String? {
        if let id = json["item_id"]?.stringValue, callsByItem[id] != nil { return id }
        if let output = json["output_index"]?.intValue { return callsByOutput[output] }
        return nil
    }

    private func hasFunctionCall(_ response: JSONValue?) -> Bool {
        (response?["output"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "function_call" }
    }
}
