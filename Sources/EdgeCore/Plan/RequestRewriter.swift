/// Applies the backend route's rules, in their fixed order (README, "The request path and its rewrites"), to one request:
/// 1 model alias, 2 fast mode, 3 Claude thinking sanitizer, (4, the Gemini
/// path, is retired), 5 Anthropic-Beta, 6 thinking display. Never adds or changes a reasoning
/// amount (rule 6 only says how thinking the client turned on is shown).
/// Works on the request's bytes in place: a request no rule touches costs
/// the routing scan and no copy.
public enum RequestRewriter {
    public enum Rule: String, Sendable, CaseIterable {
        case alias, fastMode = "fast_mode", sanitize, beta
        case thinkingDisplay = "thinking_display"
    }

    public struct Plan: Sendable {
        /// New request target (path and query), nil: unchanged.
        public var target: [UInt8]? = nil
        /// New body, nil: unchanged.
        public var body: [UInt8]? = nil
        public var beta: AnthropicBetaRule.Outcome = .unchanged
        public var applied: [Rule] = []
        /// One info line per rule applied (names, never body content).
        public var notes: [String] = []
        /// The model's string contents in the original body (before aliasing).
        public var modelRange: ByteRange? = nil
        /// The model as routed when an alias renamed it.
        public var aliasTarget: [UInt8]? = nil
        public var scan: RoutingScan? = nil
        /// The body edits, in the original body's coordinates (for checks).
        public var splice = Splice()
        /// The rules' edits could not be applied (a bug in a rule): the request
        /// must not be forwarded; this says which edit and which rules.
        public var conflict: String? = nil

        public init() {}

        /// The model as routed (after aliasing), for logs; `body` is the original body.
        public func model(in body: UnsafeRawBufferPointer) -> String? {
            if let aliasTarget { return String(decoding: aliasTarget, as: UTF8.self) }
            return modelRange.map { body.string($0) }
        }
    }

    /// - buf/head: the request head as parsed; body: the request body.
    /// - scan: the routing scan if the caller already ran it (it runs once per request).
    public static func plan(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, body: UnsafeRawBufferPointer,
                            _ settings: RewriteSettings, scan precomputed: RoutingScan?? = nil) -> Plan {
        var plan = Plan()
        guard body.count > 0, let scan = precomputed ?? RoutingScan.scan(body) else { return plan }
        plan.scan = scan
        plan.modelRange = scan.modelContents
        let isPost = buf.equals(head.method, "POST")
        let pathRange = head.path(in: buf)
        let path = UnsafeRawBufferPointer(rebasing: buf[pathRange.start..<pathRange.end])
        var splice = Splice()
        let original = scan.modelContents.map { UnsafeRawBufferPointer(rebasing: body[$0.start..<$0.end]) }

        if isPost, let value = scan.modelValue, let original {
            // 1. Alias
            if let target = ModelAliasRule.target(for: original, settings) {
                splice.replace(value, with: JSONEdits.jsonString(target))
                plan.aliasTarget = target
                plan.applied.append(.alias)
                plan.notes.append("rewrite alias: model \(String(decoding: original, as: UTF8.self)) -> \(String(decoding: target, as: UTF8.self))")
            }
            // 2. Fast mode
            let fast = plan.aliasTarget.map { t in t.withUnsafeBytes { FastModeRule.applies(path: path, model: $0, serviceTierPresent: scan.serviceTierPresent, settings) } }
                ?? FastModeRule.applies(path: path, model: original, serviceTierPresent: scan.serviceTierPresent, settings)
            if fast {
                splice.insert(FastModeRule.insertion, at: value.end)
                plan.applied.append(.fastMode)
                plan.notes.append("rewrite fast_mode: service_tier priority for \(plan.model(in: body) ?? "?")")
            }
        }

        // The model as the later rules see it (after aliasing), without a copy.
        func routed<R>(_ f: (UnsafeRawBufferPointer) -> R) -> R? {
            if let t = plan.aliasTarget { return t.withUnsafeBytes(f) }
            return original.map(f)
        }
        let isClaude = routed { ClaudeThinkingSanitizer.appliesTo(model: $0) } ?? false
        // 3. Thinking sanitizer
        if isPost && isClaude {
            let removed = ClaudeThinkingSanitizer.sanitize(body, into: &splice)
            if removed > 0 {
                plan.applied.append(.sanitize)
                plan.notes.append("rewrite sanitize: removed \(removed) stale thinking block\(removed == 1 ? "" : "s") for \(plan.model(in: body) ?? "?")")
            }
        }
        // 4. (The Gemini path rule is retired, issue 26: the backend it was written for
        //    served `gemini-…-preview` through Gemini CLI's OAuth, which could not take
        //    the Responses API; cli-proxy-api removed that provider on 2026-06-18, and for
        //    today's Gemini API-key providers `/v1/responses` works — suites/real-backend
        //    sends one — while the rewrite turned it into chat SSE that Responses
        //    clients cannot parse.)
        // 5. Anthropic-Beta (any method with a body; Claude models only)
        if isClaude {
            let thinkingType = scan.thinkingType.map { body.string($0) }
            let outcome = AnthropicBetaRule.decide(current: AnthropicBetaRule.currentValues(buf, head), isClaude: true,
                                                   thinkingType: thinkingType, settings)
            if outcome != .unchanged {
                plan.beta = outcome
                plan.applied.append(.beta)
                plan.notes.append("rewrite beta: anthropic-beta rebuilt for \(plan.model(in: body) ?? "?")")
            }
        }

        // 6. Thinking display
        if isPost && isClaude, let thinking = scan.thinkingValue,
           let edit = ThinkingDisplayRule.edit(body, thinking: thinking, settings) {
            splice.insert(edit.bytes, at: edit.offset)
            plan.applied.append(.thinkingDisplay)
            plan.notes.append("rewrite thinking_display: display \(settings.thinkingDisplay) for \(plan.model(in: body) ?? "?")")
        }

        if !splice.isEmpty {
            do { plan.body = try splice.apply(to: body) } catch {
                plan.conflict = "\(error) (rules: \(plan.applied.map(\.rawValue).joined(separator: ", ")))"
            }
        }
        plan.splice = splice
        return plan
    }
}
