// A validated view of a chat-completions request body, shared by the three
// native request builders. Parsing is strict about shapes the builders rely on
// (roles, tool call ids, content part types) and reports the offending path.

import Values

enum ChatRole: Equatable {
    case system, user, assistant, tool
}

/// An image reference as sent in an `image_url` part.
struct ChatImage: Equatable {
    /// The URL exactly as sent (a `data:` URL or http(s)).
    var url: String
    /// Set for `data:<media>;base64,<data>` URLs.
    var base64: (mediaType: String, data: String)?
    var detail: String?

    static func == (a: ChatImage, b: ChatImage) -> Bool {
        a.url == b.url && a.detail == b.detail && a.base64?.mediaType == b.base64?.mediaType
            && a.base64?.data == b.base64?.data
    }
}

/// A `file` part: inline data (a base64 data URL) or an uploaded file id.
struct ChatFile: Equatable {
    var dataURL: String?
    var mediaType: String?
    var data: String?
    var fileID: String?
    var filename: String?
}

enum ChatPart: Equatable {
    case text(String, cacheControl: JSONValue?)
    case image(ChatImage, cacheControl: JSONValue?)
    case file(ChatFile, cacheControl: JSONValue?)

    var text: String? {
        if case .text(let text, _) = self { return text }
        return nil
    }
}

struct ChatToolCall {
    var id: String
    var name: String
    /// As sent: normally a JSON string, tolerated as an object.
    var arguments: JSONValue
    /// "messages[i].tool_calls[j]", for error messages.
    var path: String

    /// The arguments as a JSON object (Anthropic `input`, Google `args`).
    /// An empty string means no arguments.
    func parsedArguments() throws(TranslationError) -> JSONObject {
        switch arguments {
        case .object(let object):
            return object
        case .string(let text):
            if text.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return JSONObject() }
            let parsed: JSONValue
            do {
                parsed = try JSONValue(parsing: text)
            } catch {
                throw TranslationError(
                    "\(path): tool call \"\(id)\" (\(name)) has arguments that are not valid JSON: \(error.message)")
            }
            guard case .object(let object) = parsed else {
                throw TranslationError(
                    "\(path): tool call \"\(id)\" (\(name)) has arguments that are not a JSON object")
            }
            return object
        default:
            throw TranslationError("\(path): tool call \"\(id)\" (\(name)) has arguments that are not a string")
        }
    }

    /// The arguments as the JSON text the Responses API wants.
    var argumentsText: String {
        if case .string(let text) = arguments { return text }
        return arguments.serializedString()
    }
}

struct ChatMessage {
    var role: ChatRole
    var parts: [ChatPart]
    /// The content was a plain string (kept as a string where the native format allows).
    var contentIsString: Bool
    var toolCalls: [ChatToolCall]
    /// Set for `tool` messages.
    var toolCallID: String?
    /// "messages[i]", for error messages.
    var path: String

    /// All text parts concatenated (non-text parts are skipped).
    var joinedText: String {
        parts.compactMap(\.text).joined()
    }
}

struct ChatTool {
    var name: String
    var description: JSONValue?
    var parameters: JSONValue?
    var strict: JSONValue?
}

enum ChatToolChoice: Equatable {
    case auto, disabled, required
    case function(String)

    /// The model must call a tool ("required" or a named function).
    var forcesTool: Bool {
        switch self {
        case .required, .function: true
        case .auto, .disabled: false
        }
    }
}

struct ChatBody {
    var raw: JSONObject
    var messages: [ChatMessage]
    var tools: [ChatTool]
    var toolChoice: ChatToolChoice?
    var stop: [String]
    var maxTokens: Int?

    init(_ value: JSONValue) throws(TranslationError) {
        guard case .object(let object) = value else {
            throw TranslationError("the request body must be a JSON object")
        }
        raw = object
        guard case .array(let list)? = object["messages"] else {
            throw TranslationError("\"messages\" must be an array")
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            messages.append(try ChatBody.message(item, path: "messages[\(index)]"))
        }
        self.messages = messages
        tools = try ChatBody.tools(object["tools"])
        toolChoice = try ChatBody.toolChoice(object["tool_choice"])
        stop = try ChatBody.stop(object["stop"])
        maxTokens = try ChatBody.maxTokens(object)
    }

    subscript(key: String) -> JSONValue? {
        raw[key]
    }

    /// A present, non-null member.
    func value(_ key: String) -> JSONValue? {
        guard let value = raw[key], !value.isNull else { return nil }
        return value
    }

    var reasoningEffort: String? {
        raw["reasoning_effort"]?.stringValue
    }

    // MARK: - Parsing

    private static func message(_ item: JSONValue, path: String) throws(TranslationError) -> ChatMessage {
        guard case .object(let object) = item else {
            throw TranslationError("\(path) must be an object")
        }
        guard let roleName = object["role"]?.stringValue else {
            throw TranslationError("\(path) has no \"role\"")
        }
        let role: ChatRole
        switch roleName {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        case "tool": role = .tool
        default: throw TranslationError("\(path) has the unsupported role \"\(roleName)\"")
        }
        let content = object["content"] ?? .null
        var message = ChatMessage(
            role: role, parts: try parts(content, path: "\(path).content"),
            contentIsString: content.stringValue != nil, toolCalls: [], toolCallID: nil, path: path)
        switch role {
        case .system:
            if message.parts.contains(where: { $0.text == nil }) {
                throw TranslationError("\(path): system messages may only contain text")
            }
        case .tool:
            guard let id = object["tool_call_id"]?.stringValue else {
                throw TranslationError("\(path): a tool message needs a string \"tool_call_id\"")
            }
            message.toolCallID = id
        case .assistant:
            if let calls = object["tool_calls"], !calls.isNull {
                guard case .array(let list) = calls else {
                    throw TranslationError("\(path).tool_calls must be an array")
                }
                for (index, call) in list.enumerated() {
                    message.toolCalls.append(try toolCall(call, path: "\(path).tool_calls[\(index)]"))
                }
            }
        case .user:
            break
        }
        return message
    }

    private static func toolCall(_ value: JSONValue, path: String) throws(TranslationError) -> ChatToolCall {
        guard let id = value["id"]?.stringValue else {
            throw TranslationError("\(path) has no string \"id\"")
        }
        if let type = value["type"]?.stringValue, type != "function" {
            throw TranslationError("\(path) (\(id)) has the unsupported type \"\(type)\"")
        }
        guard let name = value["function"]?["name"]?.stringValue else {
            throw TranslationError("\(path) (\(id)) has no string \"function.name\"")
        }
        let arguments = value["function"]?["arguments"] ?? .string("")
        return ChatToolCall(id: id, name: name, arguments: arguments.isNull ? .string("") : arguments, path: path)
    }

    static func parts(_ content: JSONValue, path: String) throws(TranslationError) -> [ChatPart] {
        switch content {
        case .null:
            return []
        case .string(let text):
            return [.text(text, cacheControl: nil)]
        case .array(let items):
            var parts: [ChatPart] = []
            for (index, item) in items.enumerated() {
                parts.append(try part(item, path: "\(path)[\(index)]"))
            }
            return parts
        default:
            throw TranslationError("\(path) must be a string, an array of parts, or null")
        }
    }

    private static func part(_ item: JSONValue, path: String) throws(TranslationError) -> ChatPart {
        guard case .object(let object) = item, let type = object["type"]?.stringValue else {
            throw TranslationError("\(path) must be an object with a \"type\"")
        }
        let cacheControl = object["cache_control"]
        switch type {
        case "text", "input_text", "output_text":
            guard let text = object["text"]?.stringValue else {
                throw TranslationError("\(path) is a text part without a string \"text\"")
            }
            return .text(text, cacheControl: cacheControl)
        case "refusal":
            guard let text = object["refusal"]?.stringValue else {
                throw TranslationError("\(path) is a refusal part without a string \"refusal\"")
            }
            return .text(text, cacheControl: cacheControl)
        case "image_url":
            let url: String
            var detail: String?
            if let text = object["image_url"]?.stringValue {
                url = text
            } else if let text = object["image_url"]?["url"]?.stringValue {
                url = text
                detail = object["image_url"]?["detail"]?.stringValue
            } else {
                throw TranslationError("\(path) is an image_url part without a string \"image_url.url\"")
            }
            return .image(try image(url, detail: detail, path: path), cacheControl: cacheControl)
        case "file":
            guard case .object(let file)? = object["file"] else {
                throw TranslationError("\(path) is a file part without a \"file\" object")
            }
            var result = ChatFile(filename: file["filename"]?.stringValue)
            if let dataURL = file["file_data"]?.stringValue {
                guard let decoded = DataURL(dataURL) else {
                    throw TranslationError("\(path).file.file_data must be a base64 data: URL")
                }
                result.dataURL = dataURL
                result.mediaType = decoded.mediaType
                result.data = decoded.data
            } else if let id = file["file_id"]?.stringValue {
                result.fileID = id
            } else {
                throw TranslationError("\(path) is a file part with neither \"file_data\" nor \"file_id\"")
            }
            return .file(result, cacheControl: cacheControl)
        default:
            throw TranslationError("\(path) has the unsupported content part type \"\(type)\"")
        }
    }

    private static func image(_ url: String, detail: String?, path: String) throws(TranslationError) -> ChatImage {
        if url.hasPrefix("data:") {
            guard let decoded = DataURL(url) else {
                throw TranslationError("\(path): an image data: URL must be base64 (data:<type>;base64,<data>)")
            }
            return ChatImage(url: url, base64: (decoded.mediaType, decoded.data), detail: detail)
        }
        if url.hasPrefix("https://") || url.hasPrefix("http://") {
            return ChatImage(url: url, base64: nil, detail: detail)
        }
        throw TranslationError("\(path): an image URL must be http(s) or a base64 data: URL")
    }

    private static func tools(_ value: JSONValue?) throws(TranslationError) -> [ChatTool] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let list) = value else {
            throw TranslationError("\"tools\" must be an array")
        }
        var tools: [ChatTool] = []
        for (index, item) in list.enumerated() {
            let path = "tools[\(index)]"
            let type = item["type"]?.stringValue ?? "function"
            guard type == "function" else {
                throw TranslationError("\(path) has the unsupported type \"\(type)\" (only function tools translate)")
            }
            guard case .object(let function)? = item["function"], let name = function["name"]?.stringValue else {
                throw TranslationError("\(path) has no \"function.name\"")
            }
            func present(_ key: String) -> JSONValue? {
                guard let v = function[key], !v.isNull else { return nil }
                return v
            }
            tools.append(
                ChatTool(
                    name: name, description: present("description"), parameters: present("parameters"),
                    strict: present("strict")))
        }
        return tools
    }

    private static func toolChoice(_ value: JSONValue?) throws(TranslationError) -> ChatToolChoice? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .string("auto"): return .auto
        case .string("none"): return .disabled
        case .string("required"): return .required
        case .object(let object):
            if let name = object["function"]?["name"]?.stringValue { return .function(name) }
            throw TranslationError("\"tool_choice\" object needs \"function.name\"")
        default:
            throw TranslationError("\"tool_choice\" must be \"auto\", \"none\", \"required\" or a function")
        }
    }

    private static func stop(_ value: JSONValue?) throws(TranslationError) -> [String] {
        guard let value, !value.isNull else { return [] }
        switch value {
        case .string(let text):
            return text.isEmpty ? [] : [text]
        case .array(let list):
            var result: [String] = []
            for item in list {
                guard let text = item.stringValue else {
                    throw TranslationError("\"stop\" must be a string or an array of strings")
                }
                if !text.isEmpty { result.append(text) }
            }
            return result
        default:
            throw TranslationError("\"stop\" must be a string or an array of strings")
        }
    }

    /// `max_completion_tokens` wins over the older `max_tokens`.
    private static func maxTokens(_ object: JSONObject) throws(TranslationError) -> Int? {
        for key in ["max_completion_tokens", "max_tokens"] {
            guard let value = object[key], !value.isNull else { continue }
            guard let count = value.intValue, count > 0 else {
                throw TranslationError("\"\(key)\" must be a positive integer")
            }
            return count
        }
        return nil
    }
}

/// `data:<media type>[;params];base64,<data>`.
struct DataURL {
    var mediaType: String
    var data: String

    init?(_ url: String) {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") else { return nil }
        let meta = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        let fields = meta.split(separator: ";", omittingEmptySubsequences: false)
        guard fields.count >= 2, fields.last == "base64", let type = fields.first, !type.isEmpty else { return nil }
        mediaType = String(type)
        data = String(url[url.index(after: comma)...])
    }
}
