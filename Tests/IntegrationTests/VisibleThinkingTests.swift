import Foundation
import Shared
import XCTest

/// Rule 6 end to end: against a fake cli-proxy-api that, like the real one,
/// rebuilds Anthropic-Beta for Claude and adds `redact-thinking-2026-02-12`
/// unless the body carries `thinking.display` (then thinking comes back as
/// empty text with a signature). Without the rule the user sees no thinking.
final class VisibleThinkingTests: XCTestCase {
    static let body = #"{"model":"claude-sonnet-4-6","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"think about it"}]}"#
    static let streamBody = #"{"model":"claude-sonnet-4-6","max_tokens":2048,"stream":true,"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":"think about it"}]}"#

    /// The thinking text of a non-streamed answer, and its signature.
    func thinking(_ stack: ProxyStack) throws -> (text: String, signature: String) {
        let r = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/messages", body: Self.body,
                                          headers: ["anthropic-version": "2023-06-01"]))
        XCTAssertEqual(r.status, 200, r.bodyText)
        let block = try XCTUnwrap(r.json?["content"]?.arrayValue?.first { $0["type"] == "thinking" }, r.bodyText)
        return (block["thinking"]?.stringValue ?? "", block["signature"]?.stringValue ?? "")
    }

    /// The thinking text of a streamed answer (all thinking_delta pieces).
    func streamedThinking(_ stack: ProxyStack) throws -> String {
        let r = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/messages", body: Self.streamBody,
                                          headers: ["anthropic-version": "2023-06-01"]))
        XCTAssertEqual(r.status, 200, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("event: message_stop"), r.bodyText)
        var text = ""
        for line in r.bodyText.split(separator: "\n") where line.hasPrefix("data: ") {
            guard let v = try? JSONValue(parsing: String(line.dropFirst(6))), v["delta"]?["type"] == "thinking_delta" else { continue }
            text += v["delta"]?["thinking"]?.stringValue ?? ""
        }
        XCTAssertTrue(r.bodyText.contains("signature_delta"), "a signed thinking block: \(r.bodyText)")
        return text
    }

    func testThinkingIsVisibleThroughEdged() throws {
        let stack = try ProxyStack()
        let (text, signature) = try thinking(stack)
        XCTAssertFalse(text.isEmpty, "thinking text arrives")
        XCTAssertFalse(signature.isEmpty)
        XCTAssertFalse(try streamedThinking(stack).isEmpty, "streamed thinking text arrives")
        // What the backend got: display added, nothing else changed; and so no redaction beta upstream.
        let recorded = try stack.recorded()
        let first = String(decoding: Data(base64Encoded: recorded.first?["raw_base64"]?.stringValue ?? "") ?? Data(), as: UTF8.self)
        XCTAssertTrue(first.hasSuffix(#""thinking":{"type":"enabled","budget_tokens":1024,"display":"summarized"},"messages":[{"role":"user","content":"think about it"}]}"#), first)
        for r in recorded {
            let beta = r["upstream_anthropic_beta"]?.stringValue ?? ""
            XCTAssertFalse(beta.contains("redact-thinking"), beta)
        }
    }

    func testThinkingIsEmptyWithTheRuleOff() throws {
        let stack = try ProxyStack(config: #""rewrites": {"thinkingDisplay": ""}"#)
        let (text, signature) = try thinking(stack)
        XCTAssertEqual(text, "", "the backend asks for redacted thinking")
        XCTAssertFalse(signature.isEmpty)
        XCTAssertEqual(try streamedThinking(stack), "")
        let beta = try stack.recorded().last?["upstream_anthropic_beta"]?.stringValue ?? ""
        XCTAssertTrue(beta.contains("redact-thinking-2026-02-12"), beta)
    }
}
