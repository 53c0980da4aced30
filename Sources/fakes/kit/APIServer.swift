import Shared

/// Answers one model request in a given wire format: a whole JSON body, or
/// a chunked SSE stream written and sent one event at a time.
public struct APIServer {
    public let stats: Stats
    public let hang: HangSwitch
    public let request: HTTPRequest
    public let knobs: Knobs
    public let reply: Reply

    public init(stats: Stats, hang: HangSwitch = HangSwitch(afterMilliseconds: nil), request: HTTPRequest, knobs: Knobs, reply: Reply) {
        self.stats = stats
        self.hang = hang
        self.request = request
        self.knobs = knobs
        self.reply = reply
    }

    /// `adjust` lets a fake change what it read from the request (e.g. the
    /// reasoning a backend's own request translation would ask for).
    public func serve<F: APIFormat>(_ format: F.Type, model: String? = nil, stream: Bool? = nil,
                                    adjust: (JSONValue, inout RequestShape) -> Void = { _, _ in }) -> Disposition {
        guard let (shape, plan) = plan(format, model: model, stream: stream, adjust: adjust) else {
            return reply.json(400, F.error(status: 400, message: "Invalid request: body is not valid JSON"))
        }
        guard shape.stream else { return reply.json(200, F.response(plan)) }
        return send(events: F.streamEvents(plan, shape: shape), headers: Self.sseHeaders)
    }

    /// One JSON object built from the reply plan, never streamed (e.g. a
    /// Responses compaction).
    public func serveObject<F: APIFormat>(_ format: F.Type, _ make: (ReplyPlan) -> JSONValue) -> Disposition {
        guard let (_, plan) = plan(format, model: nil, stream: false) else {
            return reply.json(400, F.error(status: 400, message: "Invalid request: body is not valid JSON"))
        }
        return reply.json(200, make(plan))
    }

    /// Gemini `streamGenerateContent` without `alt=sse`: the chunks as one
    /// JSON array, still sent chunk by chunk.
    public func serveGeminiJSONStream(model: String) -> Disposition {
        guard let (_, plan) = plan(Gemini.self, model: model, stream: true) else {
            return reply.json(400, Gemini.error(status: 400, message: "Invalid request: body is not valid JSON"))
        }
        let chunks = Gemini.streamChunks(plan)
        var events = chunks.enumerated().map { i, c in Array((i == 0 ? "[" : ",\r\n").utf8) + c.serialized() }
        events.append(Array("]".utf8))
        return send(events: events, headers: [HTTPHeader(name: "Content-Type", value: "application/json; charset=utf-8")])
    }

    public func countTokens<F: APIFormat>(_ format: F.Type, _ body: (Int) -> JSONValue) -> Disposition {
        guard (try? JSONValue(parsing: request.body)) != nil else {
            return reply.json(400, F.error(status: 400, message: "Invalid request: body is not valid JSON"))
        }
        return reply.json(200, body(max(1, request.body.count / 4)))
    }

    private func plan<F: APIFormat>(_ format: F.Type, model: String?, stream: Bool?,
                                    adjust: (JSONValue, inout RequestShape) -> Void = { _, _ in }) -> (RequestShape, ReplyPlan)? {
        guard let body = try? JSONValue(parsing: request.body), body.objectValue != nil else { return nil }
        var shape = F.inspect(body)
        if let model { shape.model = model }
        if let stream { shape.stream = stream }
        adjust(body, &shape)
        let plan = ReplyPlan(
            model: shape.model, toolCall: shape.toolName.map { ReplyPlan.ToolCall(name: $0, arguments: "{}") },
            thinking: shape.thinking, thinkingRedacted: shape.thinkingRedacted, streaming: shape.stream,
            knobs: knobs, requestBytes: request.body.count)
        return (shape, plan)
    }

    public static let sseHeaders = [
        HTTPHeader(name: "Content-Type", value: "text/event-stream"),
        HTTPHeader(name: "Cache-Control", value: "no-cache"),
    ]

    /// Writes each event as its own chunk, pacing them by `x-fake-event-delay-ms`;
    /// `x-fake-die-after-events` cuts the connection without the last chunk.
    private func send(events: [[UInt8]], headers: [HTTPHeader]) -> Disposition {
        let w = reply.writer
        stats.streamOpened()
        defer { stats.streamClosed() }
        var all = headers
        if !reply.close && w.chunkedAllowed { all.append(HTTPHeader(name: "Connection", value: "keep-alive")) }
        do {
            try w.beginChunked(status: 200, headers: all, close: reply.close)
            for (i, event) in events.enumerated() {
                if let die = knobs.dieAfterEvents, i >= die { return .close }
                if i > 0 && knobs.eventDelayMs > 0 {
                    guard PeerWatch.pause(w.socket, milliseconds: knobs.eventDelayMs) else { return .close }
                }
                hang.checkpoint()
                try w.writeChunk(event)
            }
            if let die = knobs.dieAfterEvents, events.count >= die { return .close }
            try w.endChunked()
        } catch {
            return .close
        }
        return reply.close || !w.chunkedAllowed ? .close : .keepOpen
    }
}
