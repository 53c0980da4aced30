// Anthropic Messages reply / stream → chat completions.

import Values

enum AnthropicReply {
    static func finishReason(_ stopReason: String?, hasToolCalls: Bool) -> String {
        switch stopReason {
        case "tool_use": "tool_calls"
        case "max_tokens", "model_context_window_exceeded": "length"
        case "refusal": "content_filter"
        case nil: hasToolCalls ? "tool_calls" : "stop"
        default: "stop"  // end_turn, stop_sequence, pause_turn
        }
    }

    /// prompt = input + cache writes + cache reads; cached = cache reads.
    static func usage(_ usage: JSONValue?) -> ChatUsage? {
        guard let usage, usage.objectValue != nil else { return nil }
        let input = intMember(usage, "input_tokens") ?? 0
        let cacheWrite = intMember(usage, "cache_creation_input_tokens") ?? 0
        let cacheRead = intMember(usage, "cache_read_input_tokens")
        let output = intMember(usage, "output_tokens") ?? 0
        let prompt = input + cacheWrite + (cacheRead ?? 0)
        return ChatUsage(prompt: prompt, completion: output, total: prompt + output, cached: cacheRead)
    }

    static func completion(_ v: JSONValue, _ ctx: TranslationContext) -> JSONValue {
        var reply = ChatReply()
        for block in v["content"]?.arrayValue ?? [] {
            switch block["type"]?.stringValue {
            case "text":
                reply.content += block["text"]?.stringValue ?? ""
            case "thinking":
                reply.reasoning += block["thinking"]?.stringValue ?? ""
            case "tool_use":
                reply.toolCalls.append(
                    ChatReply.toolCall(
                        id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "",
                        arguments: (block["input"] ?? [:]).serializedString()))
            default:
                break  // redacted_thinking, server tool blocks
            }
        }
        reply.finishReason = finishReason(v["stop_reason"]?.stringValue, hasToolCalls: !reply.toolCalls.isEmpty)
        reply.usage = usage(v["usage"])
        return reply.completion(ctx)
    }
}

/// Anthropic SSE (`message_start`, `content_block_*`, `message_delta`, `message_stop`, `ping`,
/// `error`) → chat chunks. The finish chunk goes out on `message_delta`, `[DONE]` on `message_stop`.
/// An `error` event yields one `{"error":{...}}` frame and ends the output (`failed` is set).
public struct AnthropicToChatStream: ChatStreamTranslator {
    private var core: ChatStreamCore
    /// Anthropic content block index → chat tool call index.
    private var toolIndex: [Int: Int] = [:]
    private var toolCount = 0
    private var usage = JSONObject()
    private var stopReason: String?
    private var terminal = false

    public init(_ ctx: TranslationContext) {
        core = ChatStreamCore(ctx)
    }

    /// The upstream reported an error mid-stream; the caller should not end the response cleanly.
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
        case "message_start":
            mergeUsage(json["message"]?["usage"])
            core.role(into: &out)
        case "content_block_start":
            let block = json["content_block"]
            switch block?["type"]?.stringValue {
            case "text":
                core.content(block?["text"]?.stringValue ?? "", into: &out)
            case "thinking":
                core.reasoning(block?["thinking"]?.stringValue ?? "", into: &out)
            case "tool_use":
                let index = toolCount
                toolCount += 1
                if let blockIndex = json["index"]?.intValue { toolIndex[blockIndex] = index }
                core.toolCallStart(
                    index: index, id: block?["id"]?.stringValue ?? "", name: block?["name"]?.stringValue ?? "",
                    arguments: "", into: &out)
            default:
                break
            }
        case "content_block_delta":
            let delta = json["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                core.content(delta?["text"]?.stringValue ?? "", into: &out)
            case "thinking_delta":
                core.reasoning(delta?["thinking"]?.stringValue ?? "", into: &out)
            case "input_json_delta":
                if let blockIndex = json["index"]?.intValue, let index = toolIndex[blockIndex] {
                    core.toolCallArguments(index: index, delta?["partial_json"]?.stringValue ?? "", into: &out)
                }
            default:
                break  // signature_delta, citations_delta
            }
        case "message_delta":
            mergeUsage(json["usage"])
            if let reason = json["delta"]?["stop_reason"]?.stringValue {
                stopReason = reason
                terminal = true
                sendFinish(into: &out)
            }
        case "message_stop":
            terminal = true
            sendFinish(into: &out)
            core.done(into: &out)
        case "error":
            core.fail(
                message: json["error"]?["message"]?.stringValue ?? "upstream stream error",
                type: json["error"]?["type"]?.stringValue ?? "api_error", into: &out)
        default:
            break  // ping, unknown future events
        }
        return out
    }

    public mutating func finish(complete: Bool) -> [UInt8] {
        guard complete, terminal, !core.closed else { return [] }
        var out: [UInt8] = []
        sendFinish(into: &out)
        core.done(into: &out)
        return out
    }

    private mutating func sendFinish(into out: inout [UInt8]) {
        core.finish(
            AnthropicReply.finishReason(stopReason, hasToolCalls: toolCount > 0),
            usage: AnthropicReply.usage(.object(usage)), into: &out)
    }

    /// message_start carries the input side, message_delta the output side and, on newer API
    /// versions, the input counts again. All counts are cumulative, so the larger value wins
    /// (a relay that zeroes the repeated input counts cannot erase them).
    private mutating func mergeUsage(_ value: JSONValue?) {
        guard case .object(let object)? = value else { return }
        for (key, value) in object {
            guard let count = value.intValue else { continue }
            if let seen = usage[key]?.intValue, seen >= count { continue }
            usage[key] = .int(count)
        }
    }
}
