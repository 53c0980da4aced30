/// Realistic chat bodies: a long `messages` array (user prompts, assistant
/// replies with code, tool_use with JSON input, tool_result with file
/// contents), with `model` last — the worst case for the routing scan.
enum Corpus {
    static let words = ["the", "function", "return", "value", "let", "var", "if", "else", "self", "config",
                        "request", "buffer", "error", "\\\"quoted\\\"", "path/to/file.swift", "{", "}", "[", "]",
                        "x = 1;", "\\n", "\\t", "count", "index", "async", "await", "struct", "class", "é", "日本"]

    /// Deterministic pseudo-random text of about `n` bytes (escaped JSON string content).
    static func text(_ n: Int, seed: inout UInt64) -> String {
        var s = ""
        s.reserveCapacity(n + 16)
        while s.utf8.count < n {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            s += words[Int(seed >> 33) % words.count]
            s += (seed >> 20) & 7 == 0 ? "\\n" : " "
        }
        return s
    }

    static func body(targetBytes: Int) -> [UInt8] {
        var seed: UInt64 = 42
        var messages: [String] = []
        var size = 0
        var turn = 0
        while size < targetBytes {
            let m: String
            switch turn % 4 {
            case 0:
                m = #"{"role":"user","content":[{"type":"text","text":"\#(text(400, seed: &seed))"}]}"#
            case 1:
                m = #"{"role":"assistant","content":[{"type":"text","text":"\#(text(1500, seed: &seed))"},{"type":"tool_use","id":"toolu_\#(turn)","name":"Read","input":{"path":"Sources/File\#(turn).swift","lines":[1,200],"options":{"follow":true}}}]}"#
            case 2:
                m = #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_\#(turn - 1)","content":"\#(text(6000, seed: &seed))"}]}"#
            default:
                m = #"{"role":"assistant","content":"\#(text(800, seed: &seed))"}"#
            }
            messages.append(m)
            size += m.utf8.count + 1
            turn += 1
        }
        let json = #"{"max_tokens":32000,"messages":[\#(messages.joined(separator: ","))],"stream":true,"system":"You are a helpful assistant.","model":"claude-sonnet-4-6"}"#
        return Array(json.utf8)
    }
}
