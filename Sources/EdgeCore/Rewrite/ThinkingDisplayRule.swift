/// Thinking display: today's cli-proxy-api rebuilds `Anthropic-Beta` itself for
/// Claude OAuth accounts and adds `redact-thinking-2026-02-12` unless the body
/// carries `thinking.display`; with that beta Claude answers signed thinking
/// blocks with empty text, so the user sees no thinking at all. When the client
/// turned thinking on and said nothing about how it is shown, ask for
/// `"display":"summarized"` inside its own `thinking` object. Only how thinking
/// is shown: the type, the budget and the effort are never touched.
///
/// `auto` counts as on (issue 26, against the real cli-proxy-api v7.2.140):
/// the backend checks for `display` before it turns `auto` into adaptive
/// thinking (with an effort) or passes it on, so without the member it adds
/// redact-thinking and the thinking stays hidden; with it, it adds none.
/// A Claude 5 request with no `thinking` object at all thinks by default and
/// is redacted too, but adding a `thinking` object would be choosing a
/// reasoning setting for the client (rule 7): edged leaves it alone, and the
/// README says to send `"thinking":{"type":"adaptive"}` to see it.
public enum ThinkingDisplayRule {
    /// The edit for a body whose top-level `thinking` value is at `thinking`
    /// (from the routing scan), or nil when the rule does not apply: the value
    /// is not an object, its `type` is not exactly `enabled`, `adaptive` or `auto`, it
    /// already has a `display` member (any value), it is malformed, or the
    /// configured display is empty (rule off).
    public static func edit(_ body: UnsafeRawBufferPointer, thinking: ByteRange, _ settings: RewriteSettings)
        -> (offset: Int, bytes: [UInt8])? {
        guard !settings.thinkingDisplay.isEmpty, thinking.count >= 2, body[thinking.start] == 0x7b else { return nil }
        var thinkingOn = false, seenType = false, hasDisplay = false
        var lastValueEnd: Int? = nil
        let (end, _) = JSONScan.forEachMember(body, objectAt: thinking.start) { m in
            if JSONScan.isKey(body, m.key, "display") {
                hasDisplay = true
            } else if !seenType && JSONScan.isKey(body, m.key, "type") {
                // The first `type` counts, as everywhere in the scanner.
                seenType = true
                if let t = JSONScan.stringContents(body, m.value) {
                    thinkingOn = body.equals(t, "enabled") || body.equals(t, "adaptive") || body.equals(t, "auto")
                }
            }
            lastValueEnd = m.value.end
            return !hasDisplay
        }
        guard end != nil, thinkingOn, !hasDisplay, let lastValueEnd else { return nil }
        return (lastValueEnd, settings.thinkingDisplayMember)
    }
}
