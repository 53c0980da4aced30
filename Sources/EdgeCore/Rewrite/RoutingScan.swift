/// The one pass over a request body that routing and the rewrite rules need:
/// the top-level `model`, `service_tier` and `thinking` members, stopping as
/// soon as all three are found. Bodies can be megabytes and `messages` usually
/// comes first, so nested values are skipped as opaque, never walked.
public struct RoutingScan: Sendable, Equatable {
    /// The model value's range including its quotes (only when it is a string).
    public var modelValue: ByteRange?
    /// `service_tier` counts as present with any value, `null` included.
    public var serviceTierPresent = false
    /// The `thinking` value's range (any type).
    public var thinkingValue: ByteRange?
    /// The string contents of `thinking.type`, when `thinking` is an object with a string `type`.
    public var thinkingType: ByteRange?

    public init() {}

    /// The model name's bytes (between the quotes).
    public var modelContents: ByteRange? { modelValue.map { ByteRange($0.start + 1, $0.end - 1) } }

    /// Scans the top level of `body`. Returns nil when the body is not a JSON
    /// object or is malformed before the pass could finish: such a body is
    /// forwarded unchanged (the backend may still accept it).
    public static func scan(_ body: UnsafeRawBufferPointer) -> RoutingScan? {
        let start = JSONScan.skipWhitespace(body, 0)
        guard start < body.count, body[start] == 0x7b else { return nil }
        var result = RoutingScan()
        var seenModel = false, seenTier = false, seenThinking = false
        let (end, stopped) = JSONScan.forEachMember(body, objectAt: start) { m in
            let key = m.key
            // First occurrence of a key wins.
            if !seenModel && JSONScan.isKey(body, key, "model") {
                seenModel = true
                if body[m.value.start] == 0x22 { result.modelValue = m.value }
            } else if !seenTier && JSONScan.isKey(body, key, "service_tier") {
                seenTier = true
                result.serviceTierPresent = true
            } else if !seenThinking && JSONScan.isKey(body, key, "thinking") {
                seenThinking = true
                result.thinkingValue = m.value
                if body[m.value.start] == 0x7b,
                   let t = JSONScan.member(body, objectAt: m.value.start, named: "type"),
                   let contents = JSONScan.stringContents(body, t) {
                    result.thinkingType = contents
                }
            }
            return !(seenModel && seenTier && seenThinking)
        }
        guard stopped || end != nil else { return nil }
        if !stopped, let end, JSONScan.skipWhitespace(body, end) != body.count { return nil }
        return result
    }
}
