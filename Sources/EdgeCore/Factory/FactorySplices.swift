/// The Factory pass-through routes' body edits, as byte splices (never a
/// re-serialisation: key order and whitespace are the prompt-cache key):
/// the configured system prompt, the reasoning policy, and the upstream model name.
public enum FactorySplices {
    /// A JSON string token for `s` (escaped).
    public static func jsonString(_ s: String) -> [UInt8] { ModelAliasRule.jsonString(Array(s.utf8)) }

    /// The bytes of `s` escaped for use inside a JSON string (no quotes).
    static func escaped(_ s: String) -> [UInt8] {
        let q = jsonString(s)
        return Array(q[1..<(q.count - 1)])
    }

    /// Offset just after the top-level object's `{`, or nil if the body is not an object.
    static func objectStart(_ body: UnsafeRawBufferPointer) -> Int? {
        let i = JSONScan.skipWhitespace(body, 0)
        guard i < body.count, body[i] == 0x7b else { return nil }
        return i
    }

    /// Inserts `member` (`"key":value`) as the object's first member.
    static func insertFirstMember(_ body: UnsafeRawBufferPointer, _ member: [UInt8], into splice: inout Splice) -> Bool {
        guard let open = objectStart(body) else { return false }
        let next = JSONScan.skipWhitespace(body, open + 1)
        let empty = next < body.count && body[next] == 0x7d
        splice.insert(member + (empty ? [] : [0x2c]), at: open + 1)
        return true
    }

    /// The first top-level member named `key`.
    static func topLevel(_ body: UnsafeRawBufferPointer, _ key: StaticString) -> JSONScan.Member? {
        guard let open = objectStart(body) else { return nil }
        var found: JSONScan.Member? = nil
        _ = JSONScan.forEachMember(body, objectAt: open) { m in
            if JSONScan.isKey(body, m.key, key) { found = m; return false }
            return true
        }
        return found
    }

    /// Removes a member together with one separating comma (as the sanitizer does for blocks).
    static func removeMember(_ body: UnsafeRawBufferPointer, objectAt open: Int, _ key: StaticString, into splice: inout Splice) -> Bool {
        var members: [JSONScan.Member] = []
        _ = JSONScan.forEachMember(body, objectAt: open) { members.append($0); return true }
        guard let i = members.firstIndex(where: { JSONScan.isKey(body, $0.key, key) }) else { return false }
        if i + 1 < members.count {
            splice.delete(ByteRange(members[i].key.start, members[i + 1].key.start))
        } else if i > 0 {
            splice.delete(ByteRange(members[i - 1].value.end, members[i].value.end))
        } else {
            splice.delete(ByteRange(members[i].key.start, members[i].value.end))
        }
        return true
    }

    // MARK: Model

    /// Replaces the top-level `model` value with `name` (when it differs).
    /// Fast mode on the Responses pass-through: `"service_tier":"priority"`
    /// unless the client chose a tier itself (droid2api, transformers/request-openai.js).
    public static func priorityTier(_ body: UnsafeRawBufferPointer, into splice: inout Splice) {
        guard topLevel(body, "service_tier") == nil else { return }
        _ = insertFirstMember(body, Array(#""service_tier":"priority""#.utf8), into: &splice)
    }

    public static func setModel(_ body: UnsafeRawBufferPointer, _ name: String, into splice: inout Splice) {
        let token = jsonString(name)
        if let m = topLevel(body, "model") {
            if !body.equalsBytes(m.value, token) { splice.replace(m.value, with: token) }
        } else {
            _ = insertFirstMember(body, Array("\"model\":".utf8) + token, into: &splice)
        }
    }

    // MARK: System prompt

    /// Anthropic `system`: a string is kept and prefixed; an array gets the
    /// prompt as its first text block; none gets a one-block array.
    public static func anthropicSystem(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty else { return }
        let block = Array(#"{"type":"text","text":"#.utf8) + jsonString(prompt) + [0x7d]
        guard let m = topLevel(body, "system") else {
            _ = insertFirstMember(body, Array(#""system":["#.utf8) + block + [0x5d], into: &splice)
            return
        }
        switch body[m.value.start] {
        case 0x22:
            splice.insert(escaped(prompt) + Array(#"\n\n"#.utf8), at: m.value.start + 1)
        case 0x5b:
            let next = JSONScan.skipWhitespace(body, m.value.start + 1)
            let empty = next < body.count && body[next] == 0x5d
            splice.insert(block + (empty ? [] : [0x2c]), at: m.value.start + 1)
        default:
            break   // null or something odd: Factory will judge it; not ours to reshape
        }
    }

    /// Responses `instructions`: prefixed, or added.
    public static func responsesInstructions(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty else { return }
        if let m = topLevel(body, "instructions"), body[m.value.start] == 0x22 {
            splice.insert(escaped(prompt) + Array(#"\n\n"#.utf8), at: m.value.start + 1)
        } else if topLevel(body, "instructions") == nil {
            _ = insertFirstMember(body, Array(#""instructions":"#.utf8) + jsonString(prompt), into: &splice)
        }
    }

    /// Chat (`common`): a first system message.
    public static func chatSystemMessage(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty, let m = topLevel(body, "messages"), body[m.value.start] == 0x5b else { return }
        let message = Array(#"{"role":"system","content":"#.utf8) + jsonString(prompt) + [0x7d]
        let next = JSONScan.skipWhitespace(body, m.value.start + 1)
        let empty = next < body.count && body[next] == 0x5d
        splice.insert(message + (empty ? [] : [0x2c]), at: m.value.start + 1)
    }

    /// Google `systemInstruction.parts`: the prompt as the first part.
    public static func googleSystemInstruction(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty else { return }
        let part = Array(#"{"text":"#.utf8) + jsonString(prompt) + [0x7d]
        guard let si = topLevel(body, "systemInstruction") ?? topLevel(body, "system_instruction") else {
            _ = insertFirstMember(body, Array(#""systemInstruction":{"parts":["#.utf8) + part + Array("]}".utf8), into: &splice)
            return
        }
        guard body[si.value.start] == 0x7b, let parts = JSONScan.member(body, objectAt: si.value.start, named: "parts"),
              body[parts.start] == 0x5b else { return }
        let next = JSONScan.skipWhitespace(body, parts.start + 1)
        let empty = next < body.count && body[next] == 0x5d
        splice.insert(part + (empty ? [] : [0x2c]), at: parts.start + 1)
    }
}
