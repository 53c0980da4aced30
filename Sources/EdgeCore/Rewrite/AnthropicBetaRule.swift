/// Anthropic-Beta: with thinking on, Claude only returns visible reasoning
/// when the visible-thinking betas are present and `redact-thinking-…` is
/// not; without this rewrite it emits signed empty thinking blocks.
/// All `anthropic-beta` headers are folded into one, appended last.
public enum AnthropicBetaRule {
    public static let redactThinking = "redact-thinking-2026-02-12"

    public enum Outcome: Sendable, Equatable {
        /// Headers pass through unchanged.
        case unchanged
        /// Drop every `anthropic-beta` header and append this value as one (nil: append none).
        case replace(String?)
    }

    /// The header values as sent (every `anthropic-beta` header, any casing).
    public static func currentValues(_ buf: UnsafeRawBufferPointer, _ head: RequestHead) -> [String] {
        var values: [String] = []
        for h in head.headers where h.kind == .anthropicBeta {
            values += buf.string(h.value).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return values
    }

    /// - thinkingType: the string value of `thinking.type`, if any.
    public static func decide(current: [String], isClaude: Bool, thinkingType: String?, _ settings: RewriteSettings) -> Outcome {
        guard isClaude else { return .unchanged }
        let thinkingOn = thinkingType == "enabled" || thinkingType == "adaptive" || thinkingType == "auto"
        if thinkingOn {
            var values = current + settings.visibleThinkingBetas
            values = values.map { $0.trimmingSpaces() }.filter { !$0.isEmpty && $0.lowercased() != redactThinking }
            values = stripped(values, settings)
            let list = dedupe(values)
            return .replace(list.isEmpty ? nil : list.joined(separator: ","))
        }
        // Not thinking: only the configured prefixes are stripped, and only if one matches.
        guard !settings.stripBetaPrefixes.isEmpty, !current.isEmpty else { return .unchanged }
        let trimmed = current.map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        let kept = stripped(trimmed, settings)
        guard kept.count != trimmed.count else { return .unchanged }
        let list = dedupe(kept)
        return .replace(list.isEmpty ? nil : list.joined(separator: ","))
    }

    static func stripped(_ values: [String], _ settings: RewriteSettings) -> [String] {
        guard !settings.stripBetaPrefixes.isEmpty else { return values }
        let prefixes = settings.stripBetaPrefixes.map { $0.lowercased() }
        return values.filter { v in
            let l = v.lowercased()
            return !prefixes.contains { l.hasPrefix($0) }
        }
    }

    /// Case-insensitive duplicates dropped, the first spelling kept.
    static func dedupe(_ values: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for v in values where seen.insert(v.lowercased()).inserted { out.append(v) }
        return out
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
