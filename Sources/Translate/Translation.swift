// Public entry points of the chat-completions ⇄ native translation.
//
// Everything here is a pure function over `JSONValue` (order-preserving, with a
// deterministic serializer): the same client body and context always produce
// the same native bytes, which keeps upstream prompt caches warm.

import Values

/// What a translation needs besides the client's body.
public struct TranslationContext: Sendable {
    /// The upstream model id to put in the native request (and in replies).
    public var model: String
    /// The configured Factory system prompt ("" = none).
    public var systemPrompt: String
    public var reasoning: ReasoningLevel
    /// Unix seconds, for the chat reply's `created`.
    public var created: Int
    /// The chat reply's `id`, e.g. "chatcmpl-…".
    public var id: String

    public init(model: String, systemPrompt: String, reasoning: ReasoningLevel, created: Int, id: String) {
        self.model = model
        self.systemPrompt = systemPrompt
        self.reasoning = reasoning
        self.created = created
        self.id = id
    }
}

/// A client body that cannot be translated; the caller answers 400 with `message`.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Chat-completions request → the model's native request.
public enum ChatRequest {
    /// chat completions body → Anthropic Messages body + the `anthropic-beta` values to send.
    public static func toAnthropic(_ chat: JSONValue, _ ctx: TranslationContext) throws(TranslationError) -> (
        body: JSONValue, betas: [String]
    ) {
        try AnthropicRequest.build(try ChatBody(chat), ctx)
    }

    /// chat completions body → OpenAI Responses body.
    public static func toResponses(_ chat: JSONValue, _ ctx: TranslationContext) throws(TranslationError) -> JSONValue {
        try ResponsesRequest.build(try ChatBody(chat), ctx)
    }

    /// chat completions body → Google generate body (`model`, `contents`, `systemInstruction`,
    /// `tools`, `toolConfig`, `generationConfig`). Streaming is not part of the body: the caller
    /// asks for a stream according to `isStreaming`.
    public static func toGoogle(_ chat: JSONValue, _ ctx: TranslationContext) throws(TranslationError) -> JSONValue {
        try GoogleRequest.build(try ChatBody(chat), ctx)
    }

    /// True when the client asked for a stream (`"stream": true`).
    public static func isStreaming(_ chat: JSONValue) -> Bool {
        chat["stream"]?.boolValue == true
    }
}

/// A non-streamed native reply → a `chat.completion` object.
public enum ChatResponse {
    public static func fromAnthropic(_ v: JSONValue, _ ctx: TranslationContext) -> JSONValue {
        AnthropicReply.completion(v, ctx)
    }

    public static func fromResponses(_ v: JSONValue, _ ctx: TranslationContext) -> JSONValue {
        ResponsesReply.completion(v, ctx)
    }

    public static func fromGoogle(_ v: JSONValue, _ ctx: TranslationContext) -> JSONValue {
        GoogleReply.completion(v, ctx)
    }
}
