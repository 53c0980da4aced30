// Builders for what the client receives: `chat.completion` objects and
// `chat.completion.chunk` SSE frames.

import Values

struct ChatUsage: Equatable {
    var prompt: Int
    var completion: Int
    var total: Int
    /// prompt_tokens_details.cached_tokens, when the native usage said.
    var cached: Int?
    /// completion_tokens_details.reasoning_tokens, when the native usage said.
    var reasoning: Int?

    var json: JSONValue {
        var object: JSONObject = [
            "prompt_tokens": .int(prompt), "completion_tokens": .int(completion), "total_tokens": .int(total),
        ]
        if let cached { object["prompt_tokens_details"] = ["cached_tokens": .int(cached)] }
        if let reasoning { object["completion_tokens_details"] = ["reasoning_tokens": .int(reasoning)] }
        return .object(object)
    }
}

/// What a native reply (or stream) amounts to, in chat terms.
struct ChatReply {
    var content = ""
    var reasoning = ""
    var refusal: String?
    var toolCalls: [JSONValue] = []
    var finishReason = "stop"
    var usage: ChatUsage?

    func completion(_ ctx: TranslationContext) -> JSONValue {
        var message: JSONObject = ["role": "assistant"]
        message["content"] = content.isEmpty && !toolCalls.isEmpty ? .null : .string(content)
        if !reasoning.isEmpty { message["reasoning_content"] = .string(reasoning) }
        if let refusal { message["refusal"] = .string(refusal) }
        if !toolCalls.isEmpty { message["tool_calls"] = .array(toolCalls) }
        var object: JSONObject = [
            "id": .string(ctx.id), "object": "chat.completion", "created": .int(ctx.created),
            "model": .string(ctx.model),
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finishReason)]],
        ]
        if let usage { object["usage"] = usage.json }
        return .object(object)
    }

    static func toolCall(id: String, name: String, arguments: String) -> JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
    }
}

/// The client-side half shared by every stream translator: the role chunk first, content
/// chunks, one finish chunk, exactly one `[DONE]`, and nothing after a failure.
struct ChatStreamCore: Sendable {
    /// Events whose data was not JSON (a `[DONE]` aside): skipped, and counted so
    /// the caller can say so (`ChatStreamTranslator.skippedEvents`).
    var skippedEvents = 0

    /// Counts `event` as skipped unless it is the `[DONE]` terminator some streams send.
    mutating func skip(_ event: SSEEvent) {
        if event.data != "[DONE]" { skippedEvents += 1 }
    }

    let ctx: TranslationContext
    private(set) var roleSent = false
    private(set) var finishSent = false
    private(set) var doneSent = false
    private(set) var failed = false

    init(_ ctx: TranslationContext) {
        self.ctx = ctx
    }

    /// Nothing more may be written.
    var closed: Bool { doneSent || failed }

    mutating func role(into out: inout [UInt8]) {
        guard !roleSent, !closed else { return }
        roleSent = true
        out += chunk(delta: ["role": "assistant", "content": ""], finishReason: nil, usage: nil)
    }

    mutating func delta(_ delta: JSONObject, into out: inout [UInt8]) {
        guard !closed, !finishSent else { return }
        role(into: &out)
        out += chunk(delta: delta, finishReason: nil, usage: nil)
    }

    mutating func content(_ text: String, into out: inout [UInt8]) {
        guard !text.isEmpty else { return }
        delta(["content": .string(text)], into: &out)
    }

    mutating func reasoning(_ text: String, into out: inout [UInt8]) {
        guard !text.isEmpty else { return }
        delta(["reasoning_content": .string(text)], into: &out)
    }

    /// The start of tool call `index`: id, type, name and empty (or complete) arguments.
    mutating func toolCallStart(index: Int, id: String, name: String, arguments: String, into out: inout [UInt8]) {
        let call: JSONValue = [
            "index": .int(index), "id": .string(id), "type": "function",
            "function": ["name": .string(name), "arguments": .string(arguments)],
        ]
        delta(["tool_calls": [call]], into: &out)
    }

    mutating func toolCallArguments(index: Int, _ fragment: String, into out: inout [UInt8]) {
        guard !fragment.isEmpty else { return }
        delta(["tool_calls": [["index": .int(index), "function": ["arguments": .string(fragment)]]]], into: &out)
    }

    mutating func finish(_ reason: String, usage: ChatUsage?, into out: inout [UInt8]) {
        guard !closed, !finishSent else { return }
        role(into: &out)
        finishSent = true
        out += chunk(delta: [:], finishReason: reason, usage: usage)
    }

    mutating func done(into out: inout [UInt8]) {
        guard !closed else { return }
        doneSent = true
        out += Array("data: [DONE]\n\n".utf8)
    }

    /// The upstream reported an error mid-stream: one OpenAI-style error frame (SDKs raise on
    /// it), then nothing more — no finish chunk, no `[DONE]`.
    mutating func fail(message: String, type: String, into out: inout [UInt8]) {
        guard !closed else { return }
        failed = true
        out += ChatStreamCore.frame(["error": ["message": .string(message), "type": .string(type)]])
    }

    func chunk(delta: JSONObject, finishReason: String?, usage: ChatUsage?) -> [UInt8] {
        var object: JSONObject = [
            "id": .string(ctx.id), "object": "chat.completion.chunk", "created": .int(ctx.created),
            "model": .string(ctx.model),
            "choices": [
                [
                    "index": 0, "delta": .object(delta),
                    "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                ]
            ],
        ]
        if let usage { object["usage"] = usage.json }
        return ChatStreamCore.frame(.object(object))
    }

    static func frame(_ value: JSONValue) -> [UInt8] {
        var out = Array("data: ".utf8)
        out += value.serialized()
        out += [0x0A, 0x0A]
        return out
    }
}

extension SSEEvent {
    /// The event's data as JSON, nil when it is not JSON (e.g. `[DONE]`).
    var json: JSONValue? {
        try? JSONValue(parsing: data)
    }
}

/// Integer members of native usage objects.
func intMember(_ value: JSONValue?, _ key: String) -> Int? {
    value?[key]?.intValue
}
