import Values

/// The Factory route's per-model reasoning policy on pass-through bodies, as
/// byte splices (levels and values: `ReasoningLevel`). `auto` leaves the
/// client's fields alone; `off` removes them; a level sets them.
/// (The backend route never touches reasoning fields: this is Factory only.)
public enum ReasoningSplices {
    /// What the anthropic-beta header needs after the policy.
    public enum BetaChange: Sendable, Equatable { case none, add(String), remove(String) }

    public static func anthropic(_ body: UnsafeRawBufferPointer, level: ReasoningLevel, into splice: inout Splice) -> BetaChange {
        guard level != .auto, let open = JSONEdits.objectStart(body) else { return .none }
        guard let n = level.anthropicBudget else {
            JSONEdits.removeMember(body, objectAt: open, "thinking", into: &splice)
            return .remove(ReasoningLevel.interleavedThinkingBeta)
        }
        JSONEdits.setMember(body, objectAt: open, "thinking", Array(#"{"type":"enabled","budget_tokens":\#(n)}"#.utf8), into: &splice)
        if let m = JSONScan.member(body, objectAt: open, named: "max_tokens"),
           let current = Int(String(decoding: UnsafeRawBufferPointer(rebasing: body[m.start..<m.end]), as: UTF8.self)), current <= n {
            splice.replace(m, with: Array(String(ReasoningLevel.maxTokens(above: n)).utf8))
        }
        return .add(ReasoningLevel.interleavedThinkingBeta)
    }

    public static func responses(_ body: UnsafeRawBufferPointer, level: ReasoningLevel, into splice: inout Splice) {
        set(body, level, "reasoning", Array(#"{"effort":"\#(level.rawValue)","summary":"auto"}"#.utf8), into: &splice)
    }

    public static func chat(_ body: UnsafeRawBufferPointer, level: ReasoningLevel, into splice: inout Splice) {
        set(body, level, "reasoning_effort", Array(#""\#(level.rawValue)""#.utf8), into: &splice)
    }

    /// A top-level member: removed for `off`, set for a level.
    private static func set(_ body: UnsafeRawBufferPointer, _ level: ReasoningLevel, _ key: StaticString, _ value: [UInt8], into splice: inout Splice) {
        guard level != .auto, let open = JSONEdits.objectStart(body) else { return }
        if level == .off {
            JSONEdits.removeMember(body, objectAt: open, key, into: &splice)
        } else {
            JSONEdits.setMember(body, objectAt: open, key, value, into: &splice)
        }
    }

    public static func google(_ body: UnsafeRawBufferPointer, level: ReasoningLevel, into splice: inout Splice) {
        guard level != .auto, let open = JSONEdits.objectStart(body) else { return }
        let config = JSONScan.member(body, objectAt: open, named: "generationConfig")
        guard level != .off, let mapped = ReasoningLevel.geminiThinkingLevel(level.rawValue) else {
            if let c = config, body[c.start] == 0x7b {
                JSONEdits.removeMember(body, objectAt: c.start, "thinkingConfig", into: &splice)
            }
            return
        }
        let levelValue = Array(#""\#(mapped)""#.utf8)
        guard let c = config, body[c.start] == 0x7b else {
            if config == nil {
                JSONEdits.setMember(body, objectAt: open, "generationConfig", Array(#"{"thinkingConfig":{"thinkingLevel":"#.utf8) + levelValue + Array("}}".utf8), into: &splice)
            }
            return
        }
        if let t = JSONScan.member(body, objectAt: c.start, named: "thinkingConfig"), body[t.start] == 0x7b {
            JSONEdits.setMember(body, objectAt: t.start, "thinkingLevel", levelValue, into: &splice)
        } else {
            JSONEdits.setMember(body, objectAt: c.start, "thinkingConfig", Array(#"{"thinkingLevel":"#.utf8) + levelValue + [0x7d], into: &splice)
        }
    }
}
