/// The Factory pass-through routes' body edits, as byte splices (never a
/// re-serialisation: key order and whitespace are the prompt-cache key):
/// the configured system prompt, the reasoning policy, and the upstream model name.
public enum FactorySplices {
    // MARK: Model and tier

    /// Fast mode on the Responses pass-through: `"service_tier":"priority"`
    /// unless the client chose a tier itself (droid2api, transformers/request-openai.js).
    public static func priorityTier(_ body: UnsafeRawBufferPointer, into splice: inout Splice) {
        guard JSONEdits.topLevel(body, "service_tier") == nil else { return }
        JSONEdits.insertFirstMember(body, Array(#""service_tier":"priority""#.utf8), into: &splice)
    }

    /// Replaces the top-level `model` value with `name` (when it differs).
    public static func setModel(_ body: UnsafeRawBufferPointer, _ name: String, into splice: inout Splice) {
        let token = JSONEdits.jsonString(name)
        if let m = JSONEdits.topLevel(body, "model") {
            if !body.equalsBytes(m.value, token) { splice.replace(m.value, with: token) }
        } else {
            JSONEdits.insertFirstMember(body, Array("\"model\":".utf8) + token, into: &splice)
        }
    }

    // MARK: System prompt

    /// Anthropic `system`: a string is kept and prefixed; an array gets the
    /// prompt as its first text block; none gets a one-block array.
    public static func anthropicSystem(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty else { return }
        let block = Array(#"{"type":"text","text":"#.utf8) + JSONEdits.jsonString(prompt) + [0x7d]
        guard let m = JSONEdits.topLevel(body, "system") else {
            JSONEdits.insertFirstMember(body, Array(#""system":["#.utf8) + block + [0x5d], into: &splice)
            return
        }
        switch body[m.value.start] {
        case 0x22:
            splice.insert(JSONEdits.escaped(prompt) + Array(#"\n\n"#.utf8), at: m.value.start + 1)
        case 0x5b:
            JSONEdits.insertFirstElement(body, arrayAt: m.value.start, block, into: &splice)
        default:
            break   // null or something odd: Factory will judge it; not ours to reshape
        }
    }

    /// Responses `instructions`: prefixed, or added.
    public static func responsesInstructions(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty else { return }
        if let m = JSONEdits.topLevel(body, "instructions"), body[m.value.start] == 0x22 {
            splice.insert(JSONEdits.escaped(prompt) + Array(#"\n\n"#.utf8), at: m.value.start + 1)
        } else if JSONEdits.topLevel(body, "instructions") == nil {
            JSONEdits.insertFirstMember(body, Array(#""instructions":"#.utf8) + JSONEdits.jsonString(prompt), into: &splice)
        }
    }

    /// Chat (`common`): a first system message.
    public static func chatSystemMessage(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty, let m = JSONEdits.topLevel(body, "messages"), body[m.value.start] == 0x5b else { return }
        let message = Array(#"{"role":"system","content":"#.utf8) + JSONEdits.jsonString(prompt) + [0x7d]
        JSONEdits.insertFirstElement(body, arrayAt: m.value.start, message, into: &splice)
    }

    /// Google `systemInstruction.parts`: the prompt as the first part.
    public static func googleSystemInstruction(_ body: UnsafeRawBufferPointer, prompt: String, into splice: inout Splice) {
        guard !prompt.isEmpty else { return }
        let part = Array(#"{"text":"#.utf8) + JSONEdits.jsonString(prompt) + [0x7d]
        guard let si = JSONEdits.topLevel(body, "systemInstruction") ?? JSONEdits.topLevel(body, "system_instruction") else {
            JSONEdits.insertFirstMember(body, Array(#""systemInstruction":{"parts":["#.utf8) + part + Array("]}".utf8), into: &splice)
            return
        }
        guard body[si.value.start] == 0x7b, let parts = JSONScan.member(body, objectAt: si.value.start, named: "parts"),
              body[parts.start] == 0x5b else { return }
        JSONEdits.insertFirstElement(body, arrayAt: parts.start, part, into: &splice)
    }
}
