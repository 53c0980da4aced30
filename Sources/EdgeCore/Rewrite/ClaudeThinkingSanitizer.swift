/// Claude thinking sanitizer. Anthropic rejects (or mishandles) thinking and
/// redacted_thinking blocks replayed in earlier assistant turns; only the
/// latest assistant turn answered by trailing tool results still has live
/// thinking. Removes the stale blocks by splicing, leaving every other byte
/// as it was (key order and whitespace are the prompt-cache key).
public enum ClaudeThinkingSanitizer {
    /// A non-empty content array is required: an emptied one gets this placeholder
    /// (dropping the message would break user/assistant alternation).
    public static let placeholder = Array(#"[{"type":"text","text":"..."}]"#.utf8)

    /// True for `claude-…` and `gemini-claude-…` models (case-sensitive).
    public static func appliesTo(model: UnsafeRawBufferPointer) -> Bool {
        startsWith(model, "claude-") || startsWith(model, "gemini-claude-")
    }

    static func startsWith(_ b: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        return b.count >= n && b.equals(ByteRange(0, n), prefix)
    }

    private enum BlockType { case thinking, toolUse, toolResult, other }

    private struct Message {
        var isAssistant = false
        var isUser = false
        var contentArray: ByteRange? = nil        // the content value, when it is an array
        var blocks: [ByteRange] = []               // its elements
        var blockTypes: [BlockType] = []
    }

    /// Adds the removals to `splice`; returns how many blocks were removed
    /// (0: the body stays byte-identical). A missing or malformed `messages`
    /// changes nothing.
    @discardableResult
    public static func sanitize(_ body: UnsafeRawBufferPointer, into splice: inout Splice) -> Int {
        let start = JSONScan.skipWhitespace(body, 0)
        guard start < body.count, body[start] == 0x7b,
              let messagesValue = JSONScan.member(body, objectAt: start, named: "messages"),
              body[messagesValue.start] == 0x5b,
              let (messageRanges, _) = JSONScan.elements(body, arrayAt: messagesValue.start) else { return 0 }

        var messages: [Message] = []
        messages.reserveCapacity(messageRanges.count)
        for r in messageRanges {
            guard let m = parseMessage(body, r) else { return 0 }
            messages.append(m)
        }

        // The assistant turn just before the trailing tool-result turns keeps its thinking…
        var preserved: Int? = nil
        var i = messages.count - 1
        var trailing = 0
        while i >= 0 && isToolResultTurn(messages[i]) {
            trailing += 1
            i -= 1
        }
        if trailing > 0 && i >= 0 && messages[i].isAssistant { preserved = i }
        // …unless its thinking is clustered before its tool use (a merge the API rejects).
        if let p = preserved, isClustered(messages[p]) { preserved = nil }

        var removed = 0
        for (index, m) in messages.enumerated() where m.isAssistant && index != preserved {
            guard let array = m.contentArray else { continue }
            let remove = m.blockTypes.map { $0 == .thinking }
            let count = remove.filter { $0 }.count
            guard count > 0 else { continue }
            removed += count
            if count == m.blocks.count {
                splice.replace(array, with: placeholder)
            } else {
                JSONEdits.removeElements(m.blocks, remove, into: &splice)
            }
        }
        return removed
    }

    private static func parseMessage(_ body: UnsafeRawBufferPointer, _ r: ByteRange) -> Message? {
        guard body[r.start] == 0x7b else { return Message() }   // not an object: not ours to judge
        var m = Message()
        var seenRole = false, seenContent = false
        var content: ByteRange? = nil
        let (end, _) = JSONScan.forEachMember(body, objectAt: r.start) { member in
            if !seenRole && JSONScan.isKey(body, member.key, "role") {
                seenRole = true
                if let s = JSONScan.stringContents(body, member.value) {
                    m.isAssistant = body.equals(s, "assistant")
                    m.isUser = body.equals(s, "user")
                }
            } else if !seenContent && JSONScan.isKey(body, member.key, "content") {
                seenContent = true
                content = member.value
            }
            return true
        }
        guard end != nil else { return nil }
        if let c = content, body[c.start] == 0x5b {
            guard let (blocks, _) = JSONScan.elements(body, arrayAt: c.start) else { return nil }
            m.contentArray = c
            m.blocks = blocks
            m.blockTypes = blocks.map { blockType(body, $0) }
        }
        return m
    }

    private static func blockType(_ body: UnsafeRawBufferPointer, _ r: ByteRange) -> BlockType {
        guard body[r.start] == 0x7b,
              let t = JSONScan.member(body, objectAt: r.start, named: "type"),
              let s = JSONScan.stringContents(body, t) else { return .other }
        if body.equals(s, "thinking") || body.equals(s, "redacted_thinking") { return .thinking }
        if body.equals(s, "tool_use") { return .toolUse }
        if body.equals(s, "tool_result") { return .toolResult }
        return .other
    }

    /// A user turn whose content array holds at least one tool_result block.
    private static func isToolResultTurn(_ m: Message) -> Bool {
        m.isUser && m.blockTypes.contains(.toolResult)
    }

    /// Two or more thinking blocks, at least one tool_use, and the last thinking
    /// block before the first tool_use.
    private static func isClustered(_ m: Message) -> Bool {
        let thinking = m.blockTypes.indices.filter { m.blockTypes[$0] == .thinking }
        guard thinking.count >= 2, let firstToolUse = m.blockTypes.firstIndex(of: .toolUse) else { return false }
        return thinking.last! < firstToolUse
    }
}
