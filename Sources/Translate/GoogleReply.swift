// Google generate (Gemini) reply / stream → chat completions.

import Values

enum GoogleReply {
    static func usage(_ usage: JSONValue?) -> ChatUsage? {
        guard let usage, usage.objectValue != nil else { return nil }
        let prompt = intMember(usage, "promptTokenCount") ?? 0
        let candidates = intMember(usage, "candidatesTokenCount") ?? 0
        let thoughts = intMember(usage, "thoughtsTokenCount")
        let completion = candidates + (thoughts ?? 0)
        return ChatUsage(
            prompt: prompt, completion: completion,
            total: intMember(usage, "totalTokenCount") ?? prompt + completion,
            cached: intMember(usage, "cachedContentTokenCount"), reasoning: thoughts)
    }

    static func finishReason(_ reason: String?, hasToolCalls: Bool) -> String {
        switch reason {
        case "MAX_TOKENS":
            return "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
            return "content_filter"
        default:  // STOP, OTHER, MALFORMED_FUNCTION_CALL, …
            return hasToolCalls ? "tool_calls" : "stop"
        }
    }

    /// A call's id: the native one when Google sent it, else `call_<n>` counted per reply.
    static func callID(_ call: JSONValue?, ordinal: Int) -> String {
        call?["id"]?.stringValue ?? "call_\(ordinal)"
    }

    static func completion(_ v: JSONValue, _ ctx: TranslationContext) -> JSONValue {
        var reply = ChatReply()
        let candidate = v["candidates"]?.arrayValue?.first
        for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
            if let call = part["functionCall"] {
                reply.toolCalls.append(
                    ChatReply.toolCall(
                        id: callID(call, ordinal: reply.toolCalls.count), name: call["name"]?.stringValue ?? "",
                        arguments: (call["args"] ?? [:]).serializedString()))
            } else if let text = part["text"]?.stringValue {
                if part["thought"]?.boolValue == true {
                    reply.reasoning += text
                } else {
                    reply.content += text
                }
            }
        }
        if candidate == nil, v["promptFeedback"]?["blockReason"] != nil {
            reply.finishReason = "content_filter"
        } else {
            reply.finishReason = finishReason(
                candidate?["finishReason"]?.stringValue, hasToolCalls: !reply.toolCalls.isEmpty)
        }
        reply.usage = usage(v["usageMetadata"])
        return reply.completion(ctx)
    }
}

/// Google SSE (each event a `GenerateContentResponse` chunk) → chat chunks. The chunk carrying
/// `finishReason` ends the stream with the finish chunk and `[DONE]`. An `{"error":{...}}` event
/// yields one `{"error":{...}}` frame and ends the output (`failed` is set).
public struct GoogleToChatStream: ChatStreamTranslator {
    private var core: ChatStreamCore
    private var toolCount = 0
    private var usage: JSONValue?

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
        if let error = json["error"] {
            core.fail(
                message: error["message"]?.stringValue ?? "upstream stream error",
                type: error["status"]?.stringValue ?? "api_error", into: &out)
            return out
        }
        core.role(into: &out)
        if let metadata = json["usageMetadata"], metadata.objectValue != nil { usage = metadata }
        let candidate = json["candidates"]?.arrayValue?.first
        for part in candidate?["content"]?["parts"]?.arrayValue ?? [] {
            if let call = part["functionCall"] {
                // Google sends each call whole: one delta with id, name and all arguments.
                let index = toolCount
                toolCount += 1
                core.toolCallStart(
                    index: index, id: GoogleReply.callID(call, ordinal: index), name: call["name"]?.stringValue ?? "",
                    arguments: (call["args"] ?? [:]).serializedString(), into: &out)
            } else if let text = part["text"]?.stringValue {
                if part["thought"]?.boolValue == true {
                    core.reasoning(text, into: &out)
                } else {
                    core.content(text, into: &out)
                }
            }
        }
        if let reason = candidate?["finishReason"]?.stringValue {
            core.finish(
                GoogleReply.finishReason(reason, hasToolCalls: toolCount > 0), usage: GoogleReply.usage(usage),
                into: &out)
            core.done(into: &out)
        } else if candidate == nil, json["promptFeedback"]?["blockReason"] != nil {
            core.finish("content_filter", usage: GoogleReply.usage(usage), into: &out)
            core.done(into: &out)
        }
        return out
    }

    /// Everything owed is sent with the `finishReason` chunk: a stream that ended without one is
    /// incomplete, and gets nothing more.
    public mutating func finish(complete: Bool) -> [UInt8] {
        []
    }
}
