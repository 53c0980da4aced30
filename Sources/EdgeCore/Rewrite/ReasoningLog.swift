/// The `REQUEST REASONING` debug line: what the client asked for, as sent.
/// A separate, second scan that runs only when debug logging is on, so the
/// routing pass stays narrow.
public enum ReasoningLog {
    public static let keys: [StaticString] = ["reasoning", "reasoning_effort", "thinking", "output_config", "service_tier", "generationConfig"]
    public static let maxValueCharacters = 512

    /// `model=<m> <key>=<raw value>…` in the fixed key order, or nil when the
    /// body has no string model or none of the keys.
    public static func line(_ body: UnsafeRawBufferPointer) -> String? {
        let start = JSONScan.skipWhitespace(body, 0)
        guard start < body.count, body[start] == 0x7b else { return nil }
        var model: ByteRange? = nil
        var seenModel = false
        var found = [ByteRange?](repeating: nil, count: keys.count)
        let (end, _) = JSONScan.forEachMember(body, objectAt: start) { m in
            if !seenModel && JSONScan.isKey(body, m.key, "model") {
                seenModel = true
                model = JSONScan.stringContents(body, m.value)
            }
            for (i, k) in keys.enumerated() where found[i] == nil && JSONScan.isKey(body, m.key, k) { found[i] = m.value }
            return true
        }
        guard end != nil, let model, found.contains(where: { $0 != nil }) else { return nil }
        var parts = ["model=" + clean(body.string(model))]
        for (i, k) in keys.enumerated() {
            guard let v = found[i] else { continue }
            parts.append("\(k)=" + clean(body.string(v)))
        }
        return parts.joined(separator: " ")
    }

    static func clean(_ s: String) -> String {
        var scalars = String.UnicodeScalarView()
        for u in s.unicodeScalars.prefix(maxValueCharacters) { scalars.append(u == "\r" || u == "\n" ? " " : u) }
        return String(scalars)
    }
}
