import Foundation
import XCTest
@testable import EdgeCore
import Shared

/// Runs the rewrite pipeline on a request given as text.
struct RewriteCase {
    let head: [UInt8]
    let body: [UInt8]

    init(method: String = "POST", target: String = "/v1/messages", headers: [String] = [], body: String) {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: x\r\n"
        for h in headers { text += h + "\r\n" }
        text += "\r\n"
        self.head = Array(text.utf8)
        self.body = Array(body.utf8)
    }

    func plan(_ settings: RewriteSettings = RewriteSettings()) -> RequestRewriter.Plan {
        head.withUnsafeBytes { h in
            guard case .complete(let parsed) = RequestParser.parse(h, maxBody: 1 << 30) else { fatalError("bad head") }
            return body.withUnsafeBytes { RequestRewriter.plan(h, parsed, body: $0, settings) }
        }
    }

    /// The body as forwarded.
    func out(_ settings: RewriteSettings = RewriteSettings()) -> String {
        let p = plan(settings)
        return String(decoding: p.body ?? body, as: UTF8.self)
    }
}

final class SanitizerVectorTests: XCTestCase {
    /// Every vector from the shared set, byte for byte.
    func testVectors() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sanitizer.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 12)
        for line in lines {
            let v = try JSONValue(parsing: String(line))
            let name = v["name"]!.stringValue!
            let input = v["in"]!.stringValue!
            let expected = v["out"]!.stringValue!
            XCTAssertEqual(RewriteCase(body: input).out(), expected, name)
            let plan = RewriteCase(body: input).plan()
            XCTAssertEqual(plan.applied.contains(.sanitize), input != expected, name)
            if input == expected { XCTAssertNil(plan.body, "\(name): untouched bodies are not copied") }
        }
    }
}

final class RoutingScanTests: XCTestCase {
    func scan(_ s: String) -> (RoutingScan?, [UInt8]) {
        let b = Array(s.utf8)
        return (b.withUnsafeBytes { RoutingScan.scan($0) }, b)
    }

    func model(_ s: String) -> String? {
        let (r, b) = scan(s)
        guard let m = r?.modelContents else { return nil }
        return String(decoding: b[m.start..<m.end], as: UTF8.self)
    }

    func testFindsTopLevelKeysOnly() {
        XCTAssertEqual(model(#"{"messages":[{"model":"inner"}],"model":"outer"}"#), "outer")
        XCTAssertEqual(model(#"{"a":{"model":"nested"},"model":"top"}"#), "top")
        XCTAssertNil(model(#"{"a":{"model":"nested"}}"#))
    }

    func testEscapedKeysAreNotMatched() {
        XCTAssertNil(model(#"{"mod\u0065l":"sneaky"}"#))
        XCTAssertEqual(model(#"{"mod\u0065l":"sneaky","model":"real"}"#), "real")
        XCTAssertEqual(model(#"{"x":"a\"model\":\"no","model":"yes"}"#), "yes", "quotes inside strings")
        XCTAssertEqual(model(#"{"x":"\\","model":"after-escaped-backslash"}"#), "after-escaped-backslash")
    }

    func testBracketsAndQuotesInsideStringsAreSkipped() {
        XCTAssertEqual(model(#"{"messages":[{"content":"]}]}{[\"["}],"model":"m"}"#), "m")
    }

    func testDuplicateKeysFirstWins() {
        XCTAssertEqual(model(#"{"model":"first","model":"second"}"#), "first")
        XCTAssertNil(model(#"{"model":1,"model":"second"}"#), "first occurrence wins even when not a string")
    }

    func testServiceTierPresentEvenAsNull() {
        XCTAssertEqual(scan(#"{"model":"m","service_tier":null}"#).0?.serviceTierPresent, true)
        XCTAssertEqual(scan(#"{"model":"m"}"#).0?.serviceTierPresent, false)
    }

    func testThinkingType() {
        let (r, b) = scan(#"{"thinking":{"budget_tokens":5,"type":"enabled"},"model":"claude-x"}"#)
        let t = r!.thinkingType!
        XCTAssertEqual(String(decoding: b[t.start..<t.end], as: UTF8.self), "enabled")
        XCTAssertNil(scan(#"{"thinking":{"type":{"x":1}}}"#).0?.thinkingType)
        XCTAssertNil(scan(#"{"thinking":"enabled"}"#).0?.thinkingType)
    }

    func testStopsEarlyWhenAllKeysFound() {
        // Malformed after all three keys: the pass already returned.
        XCTAssertNotNil(scan(#"{"model":"m","service_tier":"x","thinking":{},"rest":[[[}"#).0)
        // Malformed before the pass finished: nothing.
        XCTAssertNil(scan(#"{"messages":[[[},"model":"m"}"#).0)
        XCTAssertNil(scan(#"{"model":"m","x":tru}"#).0)
        XCTAssertNil(scan(#"{"model":"m"} trailing"#).0)
        XCTAssertNil(scan(#"["model"]"#).0)
        XCTAssertNil(scan("").0)
    }

    func testWhitespaceTolerated() {
        XCTAssertEqual(model(" \n{ \"model\" :\t\"spaced\" , \"x\" : [ 1 , 2 ] }\n "), "spaced")
    }

    func testDeepNestingDoesNotRecurse() {
        let deep = "{\"messages\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ",\"model\":\"deep\"}"
        XCTAssertEqual(model(deep), "deep")
        let unbalanced = "{\"messages\":" + String(repeating: "[", count: 100_000) + ",\"model\":\"deep\"}"
        XCTAssertNil(model(unbalanced))
    }
}

final class RuleTests: XCTestCase {
    // MARK: 1. Alias

    func testAliasReplacesTheValueAndKeepsEverythingElse() {
        let c = RewriteCase(target: "/v1/chat/completions", body: "{ \"model\" : \"ag-c46s-thinking\" ,\"x\":1}")
        XCTAssertEqual(c.out(), "{ \"model\" : \"claude-sonnet-4-6\" ,\"x\":1}")
        XCTAssertEqual(c.plan().applied, [.alias])
        XCTAssertEqual(c.body.withUnsafeBytes { c.plan().model(in: $0) }, "claude-sonnet-4-6")
    }

    func testAliasIsExactAndCaseSensitive() {
        XCTAssertNil(RewriteCase(body: #"{"model":"AG-C46S-THINKING"}"#).plan().body)
        XCTAssertNil(RewriteCase(body: #"{"model":"ag-c46s-thinking-x"}"#).plan().body)
    }

    func testAliasOnlyOnPost() {
        XCTAssertNil(RewriteCase(method: "PUT", body: #"{"model":"ag-c46s-thinking"}"#).plan().body)
    }

    func testConfiguredAliasTargetIsEscaped() {
        var cfg = RewritesConfig()
        cfg.modelAliases = [("a", "b/c")]
        XCTAssertEqual(RewriteCase(body: #"{"model":"a"}"#).out(RewriteSettings(cfg)), #"{"model":"b/c"}"#)
        XCTAssertEqual(JSONEdits.jsonString(Array("q\"\\\n".utf8)), Array(#""q\"\\\u000a""#.utf8))
    }

    // MARK: 2. Fast mode

    func fast(_ models: [String]) -> RewriteSettings {
        var c = RewritesConfig()
        c.fastModeModels = models
        return RewriteSettings(c)
    }

    func testFastModeInsertsAfterTheModelValue() {
        let c = RewriteCase(target: "/v1/responses", body: #"{"model" : "gpt-5" , "input":"x"}"#)
        XCTAssertEqual(c.out(fast(["gpt-5"])), #"{"model" : "gpt-5","service_tier":"priority" , "input":"x"}"#)
        XCTAssertEqual(c.plan(fast(["gpt-5"])).applied, [.fastMode])
    }

    func testFastModePathsWithQueryButNotTrailingSlash() {
        XCTAssertNotNil(RewriteCase(target: "/api/v1/responses?x=1", body: #"{"model":"gpt-5"}"#).plan(fast(["gpt-5"])).body)
        XCTAssertNil(RewriteCase(target: "/v1/responses/", body: #"{"model":"gpt-5"}"#).plan(fast(["gpt-5"])).body)
        XCTAssertNil(RewriteCase(target: "/v1/chat/completions", body: #"{"model":"gpt-5"}"#).plan(fast(["gpt-5"])).body)
    }

    func testFastModeRespectsAnExistingServiceTierEvenNull() {
        XCTAssertNil(RewriteCase(target: "/v1/responses", body: #"{"model":"gpt-5","service_tier":null}"#).plan(fast(["gpt-5"])).body)
        XCTAssertNil(RewriteCase(target: "/v1/responses", body: #"{"service_tier":"default","model":"gpt-5"}"#).plan(fast(["gpt-5"])).body)
    }

    func testFastModeIsCaseSensitiveAndSeesTheAliasedModel() {
        XCTAssertNil(RewriteCase(target: "/v1/responses", body: #"{"model":"GPT-5"}"#).plan(fast(["gpt-5"])).body)
        var cfg = RewritesConfig()
        cfg.modelAliases = [("fastie", "gpt-5")]
        cfg.fastModeModels = ["gpt-5"]
        XCTAssertEqual(RewriteCase(target: "/v1/responses", body: #"{"model":"fastie"}"#).out(RewriteSettings(cfg)),
                       #"{"model":"gpt-5","service_tier":"priority"}"#)
    }

    // MARK: 3. Sanitizer edges

    func testSanitizerPreservesWhitespaceAroundKeptElements() {
        let body = "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"assistant\",\"content\":[ {\"type\":\"text\",\"text\":\"a\"} ,\n {\"type\":\"thinking\",\"thinking\":\"t\"} ]},{\"role\":\"user\",\"content\":\"next\"}]}"
        XCTAssertEqual(RewriteCase(body: body).out(),
                       "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"assistant\",\"content\":[ {\"type\":\"text\",\"text\":\"a\"} ]},{\"role\":\"user\",\"content\":\"next\"}]}")
        let middle = "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}, {\"type\":\"redacted_thinking\",\"data\":\"d\"} , {\"type\":\"text\",\"text\":\"b\"}]}]}"
        XCTAssertEqual(RewriteCase(body: middle).out(),
                       "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}, {\"type\":\"text\",\"text\":\"b\"}]}]}")
    }

    func testSanitizerOnlyForClaudeModels() {
        let body = #"{"model":"gpt-5","messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"x"},{"type":"text","text":"y"}]}]}"#
        XCTAssertNil(RewriteCase(body: body).plan().body)
        let gc = body.replacingOccurrences(of: "gpt-5", with: "gemini-claude-sonnet")
        XCTAssertNotNil(RewriteCase(body: gc).plan().body)
        let upper = body.replacingOccurrences(of: "gpt-5", with: "Claude-sonnet")
        XCTAssertNil(RewriteCase(body: upper).plan().body, "case-sensitive prefix")
    }

    func testSanitizerLeavesMalformedOrMissingMessagesAlone() {
        for body in [#"{"model":"claude-x"}"#, #"{"model":"claude-x","messages":"nope"}"#,
                     #"{"model":"claude-x","messages":[{"role":"assistant","content":[{"type":"thinking"}, ]}]}"#] {
            XCTAssertNil(RewriteCase(body: body).plan().body, body)
        }
    }

    func testSanitizerIgnoresEscapedTypeNames() {
        let body = #"{"model":"claude-x","messages":[{"role":"assistant","content":[{"type":"thinkin\u0067","thinking":"x"},{"type":"text","text":"y"}]}]}"#
        XCTAssertNil(RewriteCase(body: body).plan().body)
    }

    // MARK: 4. Gemini path (retired, issue 26)

    func testNoGeminiRequestHasItsPathChanged() {
        for (target, model) in [("/v1/responses", "gemini-3-pro-preview"), ("/api/v1/responses?alt=sse&x=1", "gemini-2.5-flash-preview"),
                                ("/v1/responses", "gemini-3-flash")] {
            XCTAssertNil(RewriteCase(target: target, body: #"{"model":"\#(model)"}"#).plan().target, "\(target) \(model)")
        }
    }

    // MARK: 5. Anthropic-Beta

    func betas(_ headers: [String], thinking: String? = "enabled", model: String = "claude-sonnet-4-6",
               _ settings: RewriteSettings = RewriteSettings()) -> AnthropicBetaRule.Outcome {
        let t = thinking.map { #","thinking":{"type":"\#($0)"}"# } ?? ""
        return RewriteCase(headers: headers, body: #"{"model":"\#(model)"\#(t)}"#).plan(settings).beta
    }

    func testBetaFoldsHeadersDropsRedactAndDedupes() {
        let out = betas(["anthropic-beta: redact-thinking-2026-02-12, custom-beta", "Anthropic-Beta: OAUTH-2025-04-20 ,, x"])
        let expected = ["custom-beta", "OAUTH-2025-04-20", "x"] + RewriteSettings().visibleThinkingBetas.filter { $0 != "oauth-2025-04-20" }
        XCTAssertEqual(out, .replace(expected.joined(separator: ",")))
    }

    func testBetaNeedsClaudeAndThinkingOn() {
        XCTAssertEqual(betas(["anthropic-beta: a"], thinking: "disabled"), .unchanged)
        XCTAssertEqual(betas(["anthropic-beta: a"], thinking: nil), .unchanged)
        XCTAssertEqual(betas(["anthropic-beta: a"], model: "gpt-5"), .unchanged)
        XCTAssertEqual(betas(["anthropic-beta: a"], thinking: "Enabled"), .unchanged, "exact value")
        for t in ["enabled", "adaptive", "auto"] { XCTAssertNotEqual(betas([], thinking: t), .unchanged, t) }
    }

    /// The rule kept for backends that need the Claude Code betas: configured, they are appended once.
    func testConfiguredBetasAreAppendedOnce() {
        var cfg = RewritesConfig()
        cfg.visibleThinkingBetas = RewritesConfig.visibleThinkingBetasOfTheSpec
        let out = betas(["anthropic-beta: redact-thinking-2026-02-12, custom-beta", "Anthropic-Beta: OAUTH-2025-04-20"], RewriteSettings(cfg))
        let expected = ["custom-beta", "OAUTH-2025-04-20"] + RewritesConfig.visibleThinkingBetasOfTheSpec.filter { $0 != "oauth-2025-04-20" }
        XCTAssertEqual(out, .replace(expected.joined(separator: ",")))
        // By default nothing the client did not send is added.
        XCTAssertEqual(betas(["anthropic-beta: custom-beta"]), .replace("custom-beta"))
        XCTAssertEqual(betas([]), .replace(nil))
    }

    func testStripBetaPrefixes() {
        var cfg = RewritesConfig()
        cfg.visibleThinkingBetas = RewritesConfig.visibleThinkingBetasOfTheSpec
        cfg.stripBetaPrefixes = ["fast-mode-"]
        let s = RewriteSettings(cfg)
        guard case .replace(let v?) = betas([], s) else { return XCTFail() }
        XCTAssertFalse(v.contains("fast-mode-"))
        XCTAssertEqual(betas(["anthropic-beta: fast-mode-2026-02-01"], thinking: nil, s), .replace(nil), "nothing left: no header")
        XCTAssertEqual(betas(["anthropic-beta: fast-mode-2026-02-01, keep"], thinking: nil, s), .replace("keep"))
        XCTAssertEqual(betas(["anthropic-beta: keep"], thinking: nil, s), .unchanged, "nothing matched: untouched")
        XCTAssertEqual(betas(["anthropic-beta: fast-mode-x"], thinking: nil, model: "gpt-5", s), .unchanged, "Claude only")
    }

    // MARK: 6. Reasoning fields

    func testNoRuleEverAddsOrChangesAReasoningField() {
        let reasoning = #""thinking":{"type":"enabled","budget_tokens":1024},"reasoning":{"effort":"high"},"reasoning_effort":"low","output_config":{"x":1},"generationConfig":{"thinkingConfig":{"thinkingBudget":9}},"budget_tokens":5"#
        for (target, model) in [("/v1/responses", "gpt-5"), ("/v1/messages", "claude-sonnet-4-6"), ("/v1/responses", "gemini-3-pro-preview"),
                                ("/v1/chat/completions", "ag-c46o-thinking")] {
            let body = #"{"model":"\#(model)",\#(reasoning),"messages":[]}"#
            let out = RewriteCase(target: target, body: body).out(fast([model]))
            // Rule 6 may say how Claude's thinking is shown (display), never how much.
            let shown = out.replacingOccurrences(of: #","display":"summarized""#, with: "")
            XCTAssertTrue(shown.contains(reasoning), "\(model): reasoning fields intact in \(out)")
        }
        // No reasoning field appears where there was none.
        let bare = RewriteCase(target: "/v1/messages", body: #"{"model":"claude-sonnet-4-6","messages":[]}"#).out()
        for k in ["thinking", "reasoning", "output_config", "budget_tokens", "generationConfig"] { XCTAssertFalse(bare.contains(k)) }
    }

    func testMalformedBodiesAreForwardedUnchanged() {
        for body in [#"{"model":"ag-c46s-thinking""#, #"{"model":"ag-c46s-thinking",}"#, "not json", #"{"model":"ag-c46s-thinking"} {}"#] {
            let p = RewriteCase(body: body).plan()
            XCTAssertNil(p.body, body)
            XCTAssertEqual(p.beta, .unchanged)
        }
    }

    // MARK: Reasoning log

    func testReasoningLogLine() {
        let body = Array(#"{"model":"m","messages":[],"service_tier":null,"reasoning_effort":"high","thinking":{"type":"enabled","text":"a\nb"}}"#.utf8)
        let line = body.withUnsafeBytes { ReasoningLog.line($0) }
        XCTAssertEqual(line, #"model=m reasoning_effort="high" thinking={"type":"enabled","text":"a\nb"} service_tier=null"#)
        let long = Array((#"{"model":"m","reasoning":""# + String(repeating: "x", count: 1000) + #""}"#).utf8)
        XCTAssertEqual(long.withUnsafeBytes { ReasoningLog.line($0) }?.count, "model=m reasoning=".count + 512)
        XCTAssertNil(Array(#"{"model":"m"}"#.utf8).withUnsafeBytes { ReasoningLog.line($0) })
        XCTAssertNil(Array(#"{"model":1,"thinking":{}}"#.utf8).withUnsafeBytes { ReasoningLog.line($0) })
    }
}

final class VectorisedSkipTests: XCTestCase {
    /// The vectorised skipper and the byte walk agree on many shapes, including
    /// escapes and strings that cross 64-byte block boundaries.
    func testAgreesWithTheByteWalk() {
        var seed: UInt64 = 7
        func next() -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) }
        let pieces = ["\"a\"", "\"\\\"\"", "\"\\\\\"", "\"\\\\\\\"]\"", "[", "]", "{\"k\":", "}", ",", "1", "\"[{]}\"", "\"x\\\\\\\\\"", " ", "\"" + String(repeating: "\\\\", count: 33) + "\""]
        for round in 0..<2000 {
            // Build a balanced random document of varied length.
            var s = "["
            var stack: [Character] = ["]"]
            let n = 5 + next() % 300
            for _ in 0..<n {
                switch next() % 6 {
                case 0: s += "["; stack.append("]")
                case 1: s += "{\"k\":["; stack.append("}"); stack.append("]")
                case 2 where stack.count > 1: s += String(stack.removeLast())
                default: s += pieces[next() % pieces.count] + ","
                }
            }
            while let c = stack.popLast() { s += String(c) }
            s += String(repeating: " ", count: next() % 70)
            let bytes = Array(s.utf8)
            bytes.withUnsafeBytes { b in
                let walked = JSONScan.endOfContainerBytewise(b, 0)
                if let walked { XCTAssertEqual(JSONScan.endOfContainerVectorised(b, 0), walked, "round \(round): \(s)") }
            }
        }
    }

    func testUnterminatedContainersAndStrings() {
        for s in ["[1,2", "[\"abc]", "{\"a\":[}", String(repeating: "[", count: 100), "[\"\\\"]"] {
            Array(s.utf8).withUnsafeBytes { XCTAssertNil(JSONScan.endOfContainerVectorised($0, 0), s) }
        }
    }
}
