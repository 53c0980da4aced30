/// The Responses API paths the rules look at (path without its query, exact).
public enum ResponsesPath {
    public static func isResponses(_ path: UnsafeRawBufferPointer) -> Bool {
        let all = ByteRange(0, path.count)
        return path.equals(all, "/v1/responses") || path.equals(all, "/api/v1/responses")
    }
}
