// chat completions request → Anthropic Messages request.

import Values

/// The per-model reasoning policy, resolved against what the client sent.
enum ReasoningPolicy {
    /// The effort level the native request should carry: a fixed level is used as is; `auto`
    /// translates the client's own chat `reasoning_effort` (nil when absent); `off` gives nil.
    static func effort(_ level: ReasoningLevel, client: String?) -> String? {
        switch level {
        case .off: nil
        case .auto: client
        case .low, .medium, .high, .xhigh: level.rawValue
        }
    }
}

enum AnthropicRequest {
    static let defaultMaxTokens = 4096

    static func build(_ chat: ChatBody, _ ctx: TranslationContext) throws(TranslationError) -> (
        body: JSONValue, betas: [String]
    ) {
        var body = JSONObject()
        body["model"] = .string(ctx.model)
        body["max_tokens"] = .int(chat.maxTokens ?? defaultMaxTokens)  // adjusted below for thinking

        let system = systemBlocks(chat, ctx)
        if !system.isEmpty { body["system"] = .array(system) }
        body["messages"] = .array(try turns(chat))

        if !chat.tools.isEmpty {
            body["tools"] = .array(chat.tools.map(tool))
        }
        let parallelOff = chat["parallel_tool_calls"]?.boolValue == false
        if var choice = toolChoice(chat.toolChoice) {
            if parallelOff, choice["type"]?.stringValue != "none" {
                choice["disable_parallel_tool_use"] = true
            }
            body["tool_choice"] = .object(choice)
        } else if parallelOff, !chat.tools.isEmpty {
            body["tool_choice"] = ["type": "auto", "disable_parallel_tool_use": true]
        }
        if !chat.stop.isEmpty {
            body["stop_sequences"] = .array(chat.stop.map(JSONValue.string))
        }
        if let temperature = chat.value("temperature") {
            // chat allows 0...2, Anthropic 0...1.
            body["temperature"] = (temperature.doubleValue ?? 0) > 1 ? 1 : temperature
        }
        if let topP = chat.value("top_p") {
            body["top_p"] = topP
        }

        // Reasoning policy.
        var betas: [String] = []
        var thinking: JSONValue?
        if ctx.reasoning == .auto, case .object(let clientThinking)? = chat["thinking"] {
            thinking = .object(clientThinking)  // the client's own Anthropic-style field, untouched
        } else if let effort = ReasoningPolicy.effort(ctx.reasoning, client: chat.reasoningEffort),
            let budget = ReasoningLevel(rawValue: effort)?.anthropicTranslatedBudget
        {
            thinking = ["type": "enabled", "budget_tokens": .int(budget)]
            betas.append(ReasoningLevel.interleavedThinkingBeta)
        }
        if let current = thinking, current["type"]?.stringValue != "disabled",
            (chat.toolChoice?.forcesTool ?? false) || midToolCycle(body["messages"])
        {
            // Anthropic rejects thinking with a forced tool, and mid tool-use cycle it demands the
            // previous assistant turn's signed thinking block, which chat history cannot carry:
            // those requests go without thinking rather than fail.
            thinking = nil
            betas = []
        }
        if let thinking {
            body["thinking"] = thinking
            if let budget = thinking["budget_tokens"]?.intValue, let maxTokens = body["max_tokens"]?.intValue,
                maxTokens <= budget
            {
                body["max_tokens"] = .int(ReasoningLevel.maxTokens(above: budget))
            }
            if thinking["type"]?.stringValue != "disabled" {
                // Thinking is incompatible with a modified temperature and with top_p below 0.95.
                if let temperature = body["temperature"], temperature.doubleValue != 1 {
                    body["temperature"] = nil
                }
                if let topP = body["top_p"], (topP.doubleValue ?? 0) < 0.95 {
                    body["top_p"] = nil
                }
            }
        }

        if let user = chat["user"]?.stringValue {
            body["metadata"] = ["user_id": .string(user)]
        }
        if let stream = chat["stream"]?.boolValue {
            body["stream"] = .bool(stream)
        }
        return (.object(body), betas)
    }

    /// The conversation ends with tool results answering the last assistant turn's tool calls.
    private static func midToolCycle(_ messages: JSONValue?) -> Bool {
        guard let last = messages?.arrayValue?.last, last["role"]?.stringValue == "user" else { return false }
        return (last["content"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "tool_result" }
    }

    // MARK: - System

    private static func systemBlocks(_ chat: ChatBody, _ ctx: TranslationContext) -> [JSONValue] {
        var blocks: [JSONValue] = []
        if !ctx.systemPrompt.isEmpty {
            blocks.append(["type": "text", "text": .string(ctx.systemPrompt)])
        }
        for message in chat.messages where message.role == .system {
            for case .text(let text, let cacheControl) in message.parts where !text.isEmpty {
                blocks.append(textBlock(text, cacheControl))
            }
        }
        return blocks
    }

    // MARK: - Messages

    private static func turns(_ chat: ChatBody) throws(TranslationError) -> [JSONValue] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        func append(_ role: String, _ blocks: [JSONValue]) {
            guard !blocks.isEmpty else { return }
            // Consecutive same-role turns merge (what Anthropic would do anyway); this keeps
            // the tool_result blocks of consecutive tool messages in one user turn, first.
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks.append(contentsOf: blocks)
            } else {
                turns.append((role, blocks))
            }
        }
        for message in chat.messages {
            switch message.role {
            case .system:
                continue
            case .user:
                append("user", try contentBlocks(message.parts, path: message.path))
            case .assistant:
                var blocks = try contentBlocks(message.parts, path: message.path)
                for call in message.toolCalls {
                    blocks.append([
                        "type": "tool_use", "id": .string(call.id), "name": .string(call.name),
                        "input": .object(try call.parsedArguments()),
                    ])
                }
                append("assistant", blocks)
            case .tool:
                var result: JSONObject = ["type": "tool_result", "tool_use_id": .string(message.toolCallID ?? "")]
                if message.contentIsString || message.parts.isEmpty {
                    result["content"] = .string(message.joinedText)
                } else {
                    result["content"] = .array(try contentBlocks(message.parts, path: message.path))
                }
                append("user", [.object(result)])
            }
        }
        return turns.map { ["role": .string($0.role), "content": .array($0.blocks)] }
    }

    /// Text, image and document blocks; empty text is dropped (Anthropic rejects it).
    private static func contentBlocks(_ parts: [ChatPart], path: String) throws(TranslationError) -> [JSONValue] {
        var blocks: [JSONValue] = []
        for part in parts {
            switch part {
            case .text(let text, let cacheControl):
                if !text.isEmpty { blocks.append(textBlock(text, cacheControl)) }
            case .image(let image, let cacheControl):
                let source: JSONValue =
                    if let base64 = image.base64 {
                        ["type": "base64", "media_type": .string(base64.mediaType), "data": .string(base64.data)]
                    } else {
                        ["type": "url", "url": .string(image.url)]
                    }
                blocks.append(withCacheControl(["type": "image", "source": source], cacheControl))
            case .file(let file, let cacheControl):
                guard let mediaType = file.mediaType, let data = file.data else {
                    throw TranslationError("\(path): file parts need inline file_data for Anthropic models")
                }
                blocks.append(
                    withCacheControl(
                        [
                            "type": "document",
                            "source": ["type": "base64", "media_type": .string(mediaType), "data": .string(data)],
                        ], cacheControl))
            }
        }
        return blocks
    }

    private static func textBlock(_ text: String, _ cacheControl: JSONValue?) -> JSONValue {
        withCacheControl(["type": "text", "text": .string(text)], cacheControl)
    }

    private static func withCacheControl(_ block: JSONObject, _ cacheControl: JSONValue?) -> JSONValue {
        var block = block
        if let cacheControl, !cacheControl.isNull { block["cache_control"] = cacheControl }
        return .object(block)
    }

    // MARK: - Tools

    private static func tool(_ tool: ChatTool) -> JSONValue {
        var result: JSONObject = ["name": .string(tool.name)]
        if let description = tool.description { result["description"] = description }
        result["input_schema"] = tool.parameters ?? ["type": "object", "properties": [:]]
        return .object(result)
    }

    private static func toolChoice(_ choice: ChatToolChoice?) -> JSONObject? {
        switch choice {
        case nil: nil
        case .auto: ["type": "auto"]
        case .disabled: ["type": "none"]
        case .required: ["type": "any"]
        case .function(let name): ["type": "tool", "name": .string(name)]
        }
    }
}
