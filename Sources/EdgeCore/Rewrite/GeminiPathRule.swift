/// Gemini path: the OAuth Code Assist Gemini models (`gemini-…-preview`)
/// cannot use the Responses API, so their `/responses` becomes
/// `/chat/completions`. Every other Gemini model keeps `/v1/responses`:
/// rewriting those returns chat SSE the client cannot parse, and it hangs.
public enum GeminiPathRule {
    public static func applies(path: UnsafeRawBufferPointer, model: UnsafeRawBufferPointer) -> Bool {
        guard ResponsesPath.isResponses(path) else { return false }
        let p = Array("gemini-".utf8), s = Array("-preview".utf8)
        guard model.count >= p.count && model.count >= s.count else { return false }
        return model.equalsBytes(ByteRange(0, p.count), p)
            && model.equalsBytes(ByteRange(model.count - s.count, model.count), s)
    }

    /// The new target: the path's trailing `/responses` replaced, the query kept.
    public static func rewrite(target: UnsafeRawBufferPointer, pathLength: Int) -> [UInt8] {
        let suffix = "/responses".utf8.count
        var out = Array(UnsafeRawBufferPointer(rebasing: target[0..<(pathLength - suffix)]))
        out += Array("/chat/completions".utf8)
        out += Array(UnsafeRawBufferPointer(rebasing: target[pathLength...]))
        return out
    }
}
