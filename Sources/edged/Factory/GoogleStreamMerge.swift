import Shared
import Translate

/// Factory's Google endpoint answers in SSE even when the client did not ask
/// for a stream. For a non-streamed chat client the events are merged into
/// one generate response (parts concatenated in order; the last finishReason
/// and usageMetadata win) and translated as such.
enum GoogleStreamMerge {
    static func merge(_ bytes: [UInt8]) -> JSONValue? {
        var parser = SSEParser()
        let events = bytes.withUnsafeBytes { parser.feed($0) } + parser.finish()
        var parts: [JSONValue] = []
        var finish: JSONValue? = nil
        var usage: JSONValue? = nil
        var any = false
        for e in events {
            guard let v = try? JSONValue(parsing: e.data) else { continue }
            any = true
            if let c = v["candidates"]?.arrayValue?.first {
                parts += c["content"]?["parts"]?.arrayValue ?? []
                if let f = c["finishReason"] { finish = f }
            }
            if let u = v["usageMetadata"] { usage = u }
        }
        guard any else { return nil }
        var candidate: JSONObject = ["content": ["role": "model", "parts": .array(parts)], "index": 0]
        if let finish { candidate["finishReason"] = finish }
        var o: JSONObject = ["candidates": [.object(candidate)]]
        if let usage { o["usageMetadata"] = usage }
        return .object(o)
    }
}
