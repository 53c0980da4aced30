import Shared

/// What one fake reply says, independent of the wire format that carries it.
public struct ReplyPlan: Sendable {
    public struct ToolCall: Sendable {
        public let name: String
        /// Arguments as a JSON text (always "{}": the fake does not invent values).
        public let arguments: String

        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }

    public let model: String
    /// Set: the reply calls this tool instead of answering with text.
    public let toolCall: ToolCall?
    /// Set: a reasoning/thinking part precedes the answer ("" when its text is redacted).
    public let thinking: String?
    /// The answer text, in the pieces a stream sends (one piece when not streaming).
    public let deltas: [String]
    public let inputTokens: Int

    public var text: String { deltas.joined() }
    public var outputTokens: Int { max(1, (text.utf8.count + (toolCall?.arguments.utf8.count ?? 0) + 3) / 4) }

    public static let defaultText = "Hello from the fake backend."
    public static let thinkingText = "The user greeted me; a short friendly answer fits."

    public init(model: String, toolCall: ToolCall?, thinking: Bool, thinkingRedacted: Bool = false,
                streaming: Bool, knobs: Knobs, requestBytes: Int) {
        self.model = model
        self.toolCall = toolCall
        self.thinking = thinking ? (thinkingRedacted ? "" : Self.thinkingText) : nil
        self.inputTokens = max(1, requestBytes / 4)
        if toolCall != nil {
            deltas = []
        } else {
            deltas = Self.pieces(events: streaming ? knobs.events : 1, size: knobs.size)
        }
    }

    /// The reply text cut into `events` pieces. Without a size the default
    /// sentence is spread over the pieces by words (cycling when there are
    /// more pieces than words); with one, `size` bytes are cut evenly.
    public static func pieces(events: Int, size: Int?) -> [String] {
        if let size {
            let text = sized(size)
            let n = max(1, min(events, max(size, 1)))
            guard !text.isEmpty else { return [""] }
            let bytes = Array(text.utf8)
            return (0..<n).map { i in
                String(decoding: bytes[(bytes.count * i / n)..<(bytes.count * (i + 1) / n)], as: UTF8.self)
            }
        }
        let words = defaultText.split(separator: " ").map(String.init)
        if events <= words.count {
            return (0..<events).map { i in
                let group = words[(words.count * i / events)..<(words.count * (i + 1) / events)].joined(separator: " ")
                return i == events - 1 ? group : group + " "
            }
        }
        return (0..<events).map { i in words[i % words.count] + (i == events - 1 ? "" : " ") }
    }

    /// `size` bytes of ASCII text made of the default sentence repeated.
    public static func sized(_ size: Int) -> String {
        guard size > 0 else { return "" }
        let unit = Array((defaultText + " ").utf8)
        var out = [UInt8]()
        out.reserveCapacity(size)
        while out.count < size { out.append(contentsOf: unit.prefix(size - out.count)) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Server-sent event framing.
public enum SSE {
    public static func event(_ name: String, _ data: JSONValue) -> [UInt8] {
        Array("event: \(name)\ndata: ".utf8) + data.serialized() + Array("\n\n".utf8)
    }

    public static func data(_ data: JSONValue) -> [UInt8] {
        Array("data: ".utf8) + data.serialized() + Array("\n\n".utf8)
    }

    public static let done = Array("data: [DONE]\n\n".utf8)
}

extension ReplyPlan {
    /// `text` cut into `n` pieces of about equal size (for thinking deltas).
    public static func split(_ text: String, into n: Int) -> [String] {
        let chars = Array(text)
        let n = max(1, min(n, chars.count))
        return (0..<n).map { String(chars[(chars.count * $0 / n)..<(chars.count * ($0 + 1) / n)]) }
    }
}
