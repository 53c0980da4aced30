// The stream translators' common protocol, and the pass-through for `common` models.

import Shared

/// Native SSE events in, chat-completion SSE frames out.
public protocol ChatStreamTranslator: Sendable {
    /// One native SSE event in; zero or more complete chat-completion SSE frames out
    /// (`data: {...}\n\n`, and exactly one `data: [DONE]\n\n` at the end).
    mutating func feed(_ event: SSEEvent) -> [UInt8]
    /// The upstream stream ended (cleanly or not): emit what is still owed (finish chunk +
    /// `[DONE]` if the native stream completed but they were not sent yet). `complete` false:
    /// the upstream died mid-stream — nothing further is emitted.
    mutating func finish(complete: Bool) -> [UInt8]
    /// The upstream reported an error inside the stream. One `data: {"error":{...}}` frame was
    /// emitted and nothing will follow (no `[DONE]`); the caller should not present the
    /// response as complete.
    var failed: Bool { get }
    /// `data: [DONE]` has been emitted: the client got a complete stream.
    var finished: Bool { get }
}

/// The native events of a `common` model are already chat chunks: frames pass through
/// unchanged (re-framed as `data:` lines; `event:` names and comments are dropped), and
/// exactly one `[DONE]` ends the stream.
public struct ChatPassthroughStream: ChatStreamTranslator {
    private var finishSeen = false
    private var doneSent = false
    public private(set) var failed = false
    public var finished: Bool { doneSent }

    public init(_ ctx: TranslationContext) {}

    public mutating func feed(_ event: SSEEvent) -> [UInt8] {
        guard !doneSent, !failed else { return [] }
        if event.data.trimmingSpaces == "[DONE]" {
            doneSent = true
            return Array("data: [DONE]\n\n".utf8)
        }
        if let json = event.json {
            if json["error"] != nil, json["choices"] == nil {
                failed = true
            } else if let choices = json["choices"]?.arrayValue,
                choices.contains(where: { choice in choice["finish_reason"].map { !$0.isNull } ?? false })
            {
                finishSeen = true
            }
        }
        var out: [UInt8] = []
        for line in event.data.split(separator: "\n", omittingEmptySubsequences: false) {
            out += Array("data: ".utf8)
            out += Array(line.utf8)
            out.append(0x0A)
        }
        out.append(0x0A)
        return out
    }

    /// A clean end after a finish_reason but without `[DONE]` gets its `[DONE]`.
    public mutating func finish(complete: Bool) -> [UInt8] {
        guard complete, finishSeen, !doneSent, !failed else { return [] }
        doneSent = true
        return Array("data: [DONE]\n\n".utf8)
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" || first == "\r" || first == "\n" {
            text.removeFirst()
        }
        while let last = text.last, last == " " || last == "\t" || last == "\r" || last == "\n" { text.removeLast() }
        return text
    }
}
