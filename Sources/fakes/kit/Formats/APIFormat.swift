import Shared

/// What the fake needs to know about a request to shape its reply.
public struct RequestShape: Sendable {
    public var model: String = ""
    public var stream = false
    /// The tool to call: set when the request offers tools and its last
    /// message is the user's (not a tool result).
    public var toolName: String?
    /// The request asked for visible reasoning.
    public var thinking = false
    /// The reasoning happens but its text is withheld (Anthropic's
    /// `redact-thinking-2026-02-12` beta, or `thinking.display: "omitted"`):
    /// thinking blocks carry an empty text and only their signature.
    public var thinkingRedacted = false
    /// OpenAI chat: `stream_options.include_usage`.
    public var includeUsage = false

    public init() {}
}

/// One wire format (OpenAI chat, Anthropic messages, OpenAI Responses, Gemini).
public protocol APIFormat {
    static func inspect(_ body: JSONValue) -> RequestShape
    static func response(_ plan: ReplyPlan) -> JSONValue
    /// Every event of the stream, each framed and ready to write.
    static func streamEvents(_ plan: ReplyPlan, shape: RequestShape) -> [[UInt8]]
    static func error(status: Int, message: String) -> JSONValue
}

extension JSONValue {
    /// `tool_choice` says not to call tools ("none", or {"type":"none"}).
    public var forbidsTools: Bool {
        guard let choice = self["tool_choice"] else { return false }
        return choice.stringValue == "none" || choice["type"]?.stringValue == "none"
    }

    /// The last element of an array member, if any.
    public func last(_ key: String) -> JSONValue? { self[key]?.arrayValue?.last }

    public func nonEmptyArray(_ key: String) -> [JSONValue]? {
        guard let a = self[key]?.arrayValue, !a.isEmpty else { return nil }
        return a
    }
}
