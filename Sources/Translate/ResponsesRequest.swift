// chat completions request → OpenAI Responses request.

import Values

enum ResponsesRequest {
    static func build(_ chat: ChatBody, _ ctx: TranslationContext) throws(TranslationError) -> JSONValue {
        var body = JSONObject()
        body["model"] = .string(ctx.model)

        var instructions: [String] = []
        if !ctx.systemPrompt.isEmpty { instructions.append(ctx.systemPrompt) }
        for message in chat.messages where message.role == .system {
            for case .text(let text, _) in message.parts where !text.isEmpty {
                instructions.append(text)
            }
        }
        if !instructions.isEmpty {
            body["instructions"] = .string(instructions.joined(separator: "\n\n"))
        }
        body["input"] = .array(try input(chat))

        if !chat.tools.isEmpty {
            body["tools"] = .array(
                chat.tools.map { tool in
                    var result: JSONObject = ["type": "function", "name": .string(tool.name)]
                    if let description = tool.description { result["description"] = description }
                    result["parameters"] = tool.parameters ?? ["type": "object", "properties": [:]]
                    // Responses defaults `strict` to true, which rejects ordinary chat schemas;
                    // chat's default is false.
                    result["strict"] = tool.strict ?? false
                    return .object(result)
                })
        }
        switch chat.toolChoice {
        case nil: break
        case .auto: body["tool_choice"] = "auto"
        case .disabled: body["tool_choice"] = "none"
        case .required: body["tool_choice"] = "required"
        case .function(let name): body["tool_choice"] = ["type": "function", "name": .string(name)]
        }
        if let parallel = chat["parallel_tool_calls"]?.boolValue {
            body["parallel_tool_calls"] = .bool(parallel)
        }
        if let maxTokens = chat.maxTokens {
            body["max_output_tokens"] = .int(maxTokens)
        }
        if let temperature = chat.value("temperature") { body["temperature"] = temperature }
        if let topP = chat.value("top_p") { body["top_p"] = topP }
        if let effort = ReasoningPolicy.effort(ctx.reasoning, client: chat.reasoningEffort) {
            body["reasoning"] = ["effort": .string(effort), "summary": "auto"]
        }
        if let format = textFormat(chat["response_format"]) {
            body["text"] = ["format": format]
        }
        body["store"] = false
        if let stream = chat["stream"]?.boolValue {
            body["stream"] = .bool(stream)
        }
        return .object(body)
    }

    private static func input(_ chat: ChatBody) throws(TranslationError) -> [JSONValue] {
        var items: [JSONValue] = []
        for message in chat.messages {
            switch message.role {
            case .system:
                continue
            case .user:
                var content: [JSONValue] = []
                for part in message.parts {
                    switch part {
                    case .text(let text, _):
                        content.append(["type": "input_text", "text": .string(text)])
                    case .image(let image, _):
                        content.append([
                            "type": "input_image", "image_url": .string(image.url),
                            "detail": .string(image.detail ?? "auto"),
                        ])
                    case .file(let file, _):
                        var item: JSONObject = ["type": "input_file"]
                        if let id = file.fileID {
                            item["file_id"] = .string(id)
                        } else {
                            if let name = file.filename { item["filename"] = .string(name) }
                            item["file_data"] = .string(file.dataURL ?? "")
                        }
                        content.append(.object(item))
                    }
                }
                if !content.isEmpty {
                    items.append(["type": "message", "role": "user", "content": .array(content)])
                }
            case .assistant:
                var content: [JSONValue] = []
                for part in message.parts {
                    guard case .text(let text, _) = part else {
                        throw TranslationError("\(message.path): assistant messages may only contain text")
                    }
                    if !text.isEmpty { content.append(["type": "output_text", "text": .string(text)]) }
                }
                if !content.isEmpty {
                    items.append(["type": "message", "role": "assistant", "content": .array(content)])
                }
                for call in message.toolCalls {
                    items.append([
                        "type": "function_call", "call_id": .string(call.id), "name": .string(call.name),
                        "arguments": .string(call.argumentsText),
                    ])
                }
            case .tool:
                if message.parts.contains(where: { $0.text == nil }) {
                    throw TranslationError("\(message.path): tool messages may only contain text for OpenAI models")
                }
                items.append([
                    "type": "function_call_output", "call_id": .string(message.toolCallID ?? ""),
                    "output": .string(message.joinedText),
                ])
            }
        }
        return items
    }

    /// chat `response_format` → Responses `text.format`.
    private static func textFormat(_ value: JSONValue?) -> JSONValue? {
        switch value?["type"]?.stringValue {
        case "json_object":
            return ["type": "json_object"]
        case "json_schema":
            guard case .object(let schema)? = value?["json_schema"] else { return nil }
            var format: JSONObject = ["type": "json_schema"]
            for key in ["name", "description", "schema", "strict"] {
                if let v = schema[key], !v.isNull { format[key] = v }
            }
            return .object(format)
        default:
            return nil
        }
    }
}
