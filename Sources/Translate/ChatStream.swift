// The stream translators' common protocol. (`common` models are chat already: edged
// relays their stream as it comes, with no translator.)

import Values

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
    /// Events the native stream sent whose data was not JSON (skipped; `[DONE]` is not counted).
    var skippedEvents: Int { get }
    /// `data: [DONE]` has been emitted: the client got a complete stream.
    var finished: Bool { get }
}
