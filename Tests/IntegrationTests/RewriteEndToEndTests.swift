import Foundation
import Shared
import XCTest

/// Each rewrite rule through a running edged: the exact bytes the recording
/// fake backend receives (request line, headers, body).
final class RewriteEndToEndTests: XCTestCase {
    var stack: ProxyStack!

    override func setUpWithError() throws {
        stack = try ProxyStack(config: #""rewrites": {"fastModeModels": ["gpt-5"], "stripBetaPrefixes": []}"#)
    }

    override func tearDown() { stack = nil }

    /// Sends `head` + body and returns what the backend received.
    func roundTrip(_ requestLine: String, headers: [String] = [], body: String, status: Int = 200) throws -> String {
        let c = try RawHTTP(port: stack.edgePort)
        var text = requestLine + "\r\nHost: localhost\r\n"
        for h in headers { text += h + "\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        try c.send(text)
        let r = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(r.status, status, r.bodyText)
        return try XCTUnwrap(try stack.recordedRaw().last)
    }

    var hostLine: String { "Host: 127.0.0.1:\(stack.backendPort)\r\n" }

    func testAlias() throws {
        let body = #"{"model": "ag-c46s-thinking", "messages":[{"role":"user","content":"hi"}]}"#
        let raw = try roundTrip("POST /v1/chat/completions HTTP/1.1", headers: ["Content-Type: application/json"], body: body)
        let out = #"{"model": "claude-sonnet-4-6", "messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(raw, "POST /v1/chat/completions HTTP/1.1\r\n\(hostLine)Content-Type: application/json\r\nContent-Length: \(out.utf8.count)\r\n\r\n\(out)")
        XCTAssertTrue(eventually { stack.edged.text.contains("rewrite alias: model ag-c46s-thinking -> claude-sonnet-4-6") })
    }

    func testFastMode() throws {
        let body = #"{"model":"gpt-5","input":"hi"}"#
        let raw = try roundTrip("POST /v1/responses?x=1 HTTP/1.1", body: body)
        let out = #"{"model":"gpt-5","service_tier":"priority","input":"hi"}"#
        XCTAssertEqual(raw, "POST /v1/responses?x=1 HTTP/1.1\r\n\(hostLine)Content-Length: \(out.utf8.count)\r\n\r\n\(out)")
    }

    func testSanitizer() throws {
        let body = #"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":[{"type":"text","text":"hello"}]},{"role":"assistant","content":[{"type":"thinking","signature":"s","thinking":"x"}]},{"role":"user","content":[{"type":"text","text":"go"}]}]}"#
        let raw = try roundTrip("POST /v1/messages HTTP/1.1", headers: ["anthropic-version: 2023-06-01"], body: body)
        let out = #"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":[{"type":"text","text":"hello"}]},{"role":"assistant","content":[{"type":"text","text":"..."}]},{"role":"user","content":[{"type":"text","text":"go"}]}]}"#
        XCTAssertEqual(raw, "POST /v1/messages HTTP/1.1\r\n\(hostLine)anthropic-version: 2023-06-01\r\nContent-Length: \(out.utf8.count)\r\n\r\n\(out)")
    }

    /// The Gemini path rule is retired (issue 26): a Gemini preview model's
    /// Responses request keeps its path (the real backend serves it).
    func testGeminiPreviewKeepsTheResponsesPath() throws {
        let body = #"{"model":"gemini-3-pro-preview","input":"hi"}"#
        let raw = try roundTrip("POST /v1/responses?alt=sse HTTP/1.1", body: body)
        XCTAssertEqual(raw, "POST /v1/responses?alt=sse HTTP/1.1\r\n\(hostLine)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    func testAnthropicBeta() throws {
        let body = #"{"model":"claude-opus-4-6","thinking":{"type":"enabled","budget_tokens":2048},"messages":[]}"#
        let raw = try roundTrip("POST /v1/messages HTTP/1.1",
                                headers: ["ANTHROPIC-BETA: redact-thinking-2026-02-12,my-beta", "X-Keep: 1", "anthropic-beta: Claude-Code-20250219"],
                                body: body)
        // Only the client's own betas, redact-thinking dropped (no betas are added by default, #26).
        let betas = ["my-beta", "Claude-Code-20250219"].joined(separator: ",")
        // Rule 6 says how the thinking is shown; nothing else in the body changes.
        let out = #"{"model":"claude-opus-4-6","thinking":{"type":"enabled","budget_tokens":2048,"display":"summarized"},"messages":[]}"#
        XCTAssertEqual(raw, "POST /v1/messages HTTP/1.1\r\n\(hostLine)X-Keep: 1\r\nContent-Length: \(out.utf8.count)\r\nAnthropic-Beta: \(betas)\r\n\r\n\(out)",
                       "betas folded into one header appended last; display added inside thinking")
    }

    func testNoRuleLeavesEverythingByteIdentical() throws {
        let body = "{ \"model\" : \"gpt-4o\" ,\n \"messages\" : [ ] }"
        let raw = try roundTrip("POST /v1/chat/completions HTTP/1.1", headers: ["anthropic-beta: a, b", "X-A: b"], body: body)
        XCTAssertEqual(raw, "POST /v1/chat/completions HTTP/1.1\r\n\(hostLine)anthropic-beta: a, b\r\nX-A: b\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    func testReasoningFieldsArriveByteIdentical() throws {
        let reasoning = #""thinking":{"type":"enabled","budget_tokens":1024},"reasoning":{"effort":"high","summary":"auto"},"reasoning_effort":"low","output_config":{"effort":"max"},"generationConfig":{"thinkingConfig":{"thinkingBudget":9,"includeThoughts":true}},"budget_tokens":5"#
        for (path, model) in [("/v1/responses", "gpt-5"), ("/v1/messages", "claude-sonnet-4-6"), ("/v1/chat/completions", "ag-c46o-thinking"),
                              ("/v1/responses", "gemini-3-pro-preview")] {
            let body = #"{"model":"\#(model)",\#(reasoning),"messages":[]}"#
            let raw = try roundTrip("POST \(path) HTTP/1.1", body: body)
            // For Claude, rule 6 adds how thinking is shown, never how much.
            let shown = raw.replacingOccurrences(of: #","display":"summarized""#, with: "")
            XCTAssertTrue(shown.contains(reasoning), "\(model): \(raw)")
            XCTAssertEqual(raw.contains("display"), model.contains("c4") || model.hasPrefix("claude"), "\(model): \(raw)")
        }
    }

    func testMalformedBodyIsForwardedUnchanged() throws {
        let body = #"{"model":"ag-c46s-thinking","messages":[}"#
        let raw = try roundTrip("POST /v1/chat/completions HTTP/1.1", body: body, status: 400)   // the backend's verdict
        XCTAssertTrue(raw.hasSuffix("\r\n\r\n" + body), raw)
    }

    func testRewritesAreCountedInMetrics() throws {
        _ = try roundTrip("POST /v1/chat/completions HTTP/1.1", body: #"{"model":"ag-c46s-thinking"}"#)
        _ = try roundTrip("POST /v1/responses HTTP/1.1", body: #"{"model":"gpt-5"}"#)
        let metrics = try XCTUnwrap(try request(stack.edgePort, "GET", "/metrics")).bodyText
        XCTAssertTrue(metrics.contains(#"droidgate_rewrites_total{rule="alias"} 1"#), metrics)
        XCTAssertTrue(metrics.contains(#"droidgate_rewrites_total{rule="fast_mode"} 1"#), metrics)
    }

    func testReasoningDebugLine() throws {
        _ = try roundTrip("POST /v1/chat/completions HTTP/1.1", body: #"{"model":"gpt-5","reasoning_effort":"high"}"#)
        XCTAssertTrue(eventually { stack.edged.text.contains(#"REQUEST REASONING model=gpt-5 reasoning_effort="high""#) }, stack.edged.text)
    }
}
