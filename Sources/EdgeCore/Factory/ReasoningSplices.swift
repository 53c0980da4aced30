/// The Factory route's per-model reasoning policy on pass-through bodies
/// (spec/factory.md, "Reasoning policy"), as byte splices. `auto` leaves the
/// client's fields alone; `off` removes them; a level sets them.
/// (The backend route never touches reasoning fields: this is Factory only.)
public enum ReasoningSplices {
    public static let interleavedThinkingBeta = "interleaved-thinking-2025-05-14"

    /// What the anthropic-beta header needs after the policy.
    public enum BetaChange: Sendable, Equatable { case none, add(String), remove(String) }

    static func budget(_ level: String) -> Int? {
        switch level {
        case "low": 4096
        case "medium": 12288
        case "high": 24576
        case "xhigh": 40960
        default: nil
        }
    }

    /// Sets `key` to `value` in the object at `open` (replaces the first such member, or adds it first).
    static func setMember(_ body: UnsafeRawBufferPointer, objectAt open: Int, _ key: StaticString, _ value: [UInt8], into splice: inout Splice) {
        if let v = JSONScan.member(body, objectAt: open, named: key) {
            splice.replace(v, with: value)
            return
        }
        let keyBytes = [0x22] + Array(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) + [0x22, 0x3a]
        let next = JSONScan.skipWhitespace(body, open + 1)
        let empty = next < body.count && body[next] == 0x7d
        splice.insert(keyBytes + value + (empty ? [] : [0x2c]), at: open + 1)
    }

    public static func anthropic(_ body: UnsafeRawBufferPointer, level: String, into splice: inout Splice) -> BetaChange {
        guard level != "auto", let open = FactorySplices.objectStart(body) else { return .none }
        if level == "off" {
            _ = FactorySplices.removeMember(body, objectAt: open, "thinking", into: &splice)
            return .remove(interleavedThinkingBeta)
        }
        guard let n = budget(level) else { return .none }
        setMember(body, objectAt: open, "thinking", Array(#"{"type":"enabled","budget_tokens":\#(n)}"#.utf8), into: &splice)
        // Anthropic requires max_tokens above the thinking budget.
        if let m = JSONScan.member(body, objectAt: open, named: "max_tokens"),
           let current = Int(String(decoding: UnsafeRawBufferPointer(rebasing: body[m.start..<m.end]), as: UTF8.self)), current <= n {
            splice.replace(m, with: Array(String(n + 4096).utf8))
        }
        return .add(interleavedThinkingBeta)
    }

    public static func responses(_ body: UnsafeRawBufferPointer, level: String, into splice: inout Splice) {
        guard level != "auto", let open = FactorySplices.objectStart(body) else { return }
        if level == "off" {
            _ = FactorySplices.removeMember(body, objectAt: open, "reasoning", into: &splice)
            return
        }
        setMember(body, objectAt: open, "reasoning", Array(#"{"effort":"\#(level)","summary":"auto"}"#.utf8), into: &splice)
    }

    public static func chat(_ body: UnsafeRawBufferPointer, level: String, into splice: inout Splice) {
        guard level != "auto", let open = FactorySplices.objectStart(body) else { return }
        if level == "off" {
            _ = FactorySplices.removeMember(body, objectAt: open, "reasoning_effort", into: &splice)
            return
        }
        setMember(body, objectAt: open, "reasoning_effort", Array(#""\#(level)""#.utf8), into: &splice)
    }

    /// Gemini's `thinkingLevel` for a policy level; nil: remove the config. Only
    /// low/medium/high map (droid2api, routes.js /v1/generate): the upstream
    /// rejects `XHIGH`, so xhigh removes the config like off.
    static func googleLevel(_ level: String) -> String? {
        switch level {
        case "low", "medium", "high": level.uppercased()
        default: nil
        }
    }

    public static func google(_ body: UnsafeRawBufferPointer, level: String, into splice: inout Splice) {
        guard level != "auto", let open = FactorySplices.objectStart(body) else { return }
        let config = JSONScan.member(body, objectAt: open, named: "generationConfig")
        guard let mapped = googleLevel(level) else {
            if let c = config, body[c.start] == 0x7b {
                _ = FactorySplices.removeMember(body, objectAt: c.start, "thinkingConfig", into: &splice)
            }
            return
        }
        let levelValue = Array(#""\#(mapped)""#.utf8)
        guard let c = config, body[c.start] == 0x7b else {
            if config == nil {
                setMember(body, objectAt: open, "generationConfig", Array(#"{"thinkingConfig":{"thinkingLevel":"#.utf8) + levelValue + Array("}}".utf8), into: &splice)
            }
            return
        }
        if let t = JSONScan.member(body, objectAt: c.start, named: "thinkingConfig"), body[t.start] == 0x7b {
            setMember(body, objectAt: t.start, "thinkingLevel", levelValue, into: &splice)
        } else {
            setMember(body, objectAt: c.start, "thinkingConfig", Array(#"{"thinkingLevel":"#.utf8) + levelValue + [0x7d], into: &splice)
        }
    }
}
