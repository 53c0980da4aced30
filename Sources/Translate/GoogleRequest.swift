// chat completions request → Google generate (Gemini) request.

import Values

enum GoogleRequest {
    /// Google's documented sentinel for function calls replayed without a real thought signature
    /// (chat history cannot carry one); Gemini 3 rejects unsigned function calls otherwise.
    static let skipThoughtSignature = "skip_thought_signature_validator"

    static func build(_ chat: ChatBody, _ ctx: TranslationContext) throws(TranslationError) -> JSONValue {
        var body = JSONObject()
        body["model"] = .string(ctx.model)
        body["contents"] = .array(try contents(chat))

        var system: [JSONValue] = []
        if !ctx.systemPrompt.isEmpty { system.append(["text": .string(ctx.systemPrompt)]) }
        for message in chat.messages where message.role == .system {
            for case .text(let text, _) in message.parts where !text.isEmpty {
                system.append(["text": .string(text)])
            }
        }
        if !system.isEmpty {
            body["systemInstruction"] = ["parts": .array(system)]
        }

        if !chat.tools.isEmpty {
            let declarations: [JSONValue] = chat.tools.map { tool in
                var declaration: JSONObject = ["name": .string(tool.name)]
                if let description = tool.description { declaration["description"] = description }
                // The JSON Schema variant takes chat schemas verbatim (`parameters` is an
                // OpenAPI subset that rejects e.g. additionalProperties).
                if let parameters = tool.parameters { declaration["parametersJsonSchema"] = parameters }
                return .object(declaration)
            }
            body["tools"] = [["functionDeclarations": .array(declarations)]]
        }
        if let choice = chat.toolChoice {
            var config: JSONObject
            switch choice {
            case .auto: config = ["mode": "AUTO"]
            case .disabled: config = ["mode": "NONE"]
            case .required: config = ["mode": "ANY"]
            case .function(let name): config = ["mode": "ANY", "allowedFunctionNames": [.string(name)]]
            }
            body["toolConfig"] = ["functionCallingConfig": .object(config)]
        }

        var generation = JSONObject()
        if let maxTokens = chat.maxTokens { generation["maxOutputTokens"] = .int(maxTokens) }
        if let temperature = chat.value("temperature") { generation["temperature"] = temperature }
        if let topP = chat.value("top_p") { generation["topP"] = topP }
        if !chat.stop.isEmpty { generation["stopSequences"] = .array(chat.stop.map(JSONValue.string)) }
        switch chat["response_format"]?["type"]?.stringValue {
        case "json_object":
            generation["responseMimeType"] = "application/json"
        case "json_schema":
            generation["responseMimeType"] = "application/json"
            if let schema = chat["response_format"]?["json_schema"]?["schema"], !schema.isNull {
                generation["responseJsonSchema"] = schema
            }
        default:
            break
        }
        if let effort = ReasoningPolicy.effort(ctx.reasoning, client: chat.reasoningEffort),
            let level = ReasoningLevel.geminiThinkingLevel(effort)
        {
            generation["thinkingConfig"] = ["thinkingLevel": .string(level), "includeThoughts": true]
        }
        if generation.count > 0 {
            body["generationConfig"] = .object(generation)
        }
        return .object(body)
    }

    private static func contents(_ chat: ChatBody) throws(TranslationError) -> [JSONValue] {
        var contents: [(role: String, parts: [JSONValue])] = []
        func append(_ role: String, _ parts: [JSONValue]) {
            guard !parts.isEmpty else { return }
            if let last = contents.last, last.role == role {
                contents[contents.count - 1].parts.append(contentsOf: parts)
            } else {
                contents.append((role, parts))
            }
        }
        var callNames: [String: String] = [:]  // tool call id → function name (latest wins)
        for message in chat.messages {
            switch message.role {
            case .system:
                continue
            case .user:
                append("user", try parts(message.parts, path: message.path))
            case .assistant:
                var parts = try parts(message.parts, path: message.path)
                for call in message.toolCalls {
                    callNames[call.id] = call.name
                    parts.append([
                        "functionCall": ["name": .string(call.name), "args": .object(try call.parsedArguments())],
                        "thoughtSignature": .string(skipThoughtSignature),
                    ])
                }
                append("model", parts)
            case .tool:
                let id = message.toolCallID ?? ""
                guard let name = callNames[id] else {
                    throw TranslationError(
                        "\(message.path): tool_call_id \"\(id)\" does not match a tool call of an earlier assistant message")
                }
                if message.parts.contains(where: { $0.text == nil }) {
                    throw TranslationError("\(message.path): tool messages may only contain text for Google models")
                }
                append(
                    "user",
                    [
                        [
                            "functionResponse": [
                                "name": .string(name), "response": ["content": .string(message.joinedText)],
                            ]
                        ]
                    ])
            }
        }
        return contents.map { ["role": .string($0.role), "parts": .array($0.parts)] }
    }

    private static func parts(_ parts: [ChatPart], path: String) throws(TranslationError) -> [JSONValue] {
        var result: [JSONValue] = []
        for part in parts {
            switch part {
            case .text(let text, _):
                if !text.isEmpty { result.append(["text": .string(text)]) }
            case .image(let image, _):
                if let base64 = image.base64 {
                    result.append(["inlineData": ["mimeType": .string(base64.mediaType), "data": .string(base64.data)]])
                } else {
                    var file: JSONObject = [:]
                    if let type = imageType(image.url) { file["mimeType"] = .string(type) }
                    file["fileUri"] = .string(image.url)
                    result.append(["fileData": .object(file)])
                }
            case .file(let file, _):
                guard let mediaType = file.mediaType, let data = file.data else {
                    throw TranslationError("\(path): file parts need inline file_data for Google models")
                }
                result.append(["inlineData": ["mimeType": .string(mediaType), "data": .string(data)]])
            }
        }
        return result
    }

    /// The image type implied by a URL's extension, if any.
    private static func imageType(_ url: String) -> String? {
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        let lower = path.lowercased()
        for (suffix, type) in [
            (".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"), (".gif", "image/gif"),
            (".webp", "image/webp"), (".heic", "image/heic"), (".heif", "image/heif"),
        ] where lower.hasSuffix(suffix) {
            return type
        }
        return nil
    }
}
