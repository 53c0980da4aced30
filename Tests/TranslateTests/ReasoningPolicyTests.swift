import Shared
import XCTest

@testable import Translate

final class ReasoningPolicyTests: XCTestCase {
    let plain = #"{"messages":[{"role":"user","content":"x"}]}"#
    let withClientFields =
        #"{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","thinking":{"type":"enabled","budget_tokens":2048}}"#

    // MARK: Anthropic

    func testAnthropicFixedLevels() throws {
        // droid2api's chat → Anthropic translation (transformers/request-anthropic.js): xhigh = high's budget.
        let expected: [ReasoningLevel: Int] = [.low: 4096, .medium: 12288, .high: 24576, .xhigh: 24576]
        for (level, budget) in expected {
            let (body, betas) = try ChatRequest.toAnthropic(json(plain), context(prompt: "", reasoning: level))
            XCTAssertEqual(betas, ["interleaved-thinking-2025-05-14"], "\(level)")
            assertJSON(body["thinking"] ?? .null, #"{"type":"enabled","budget_tokens":\#(budget)}"#)
            // The default 4096 is not above the budget: raised to budget + 4096.
            XCTAssertEqual(body["max_tokens"]?.intValue, budget + 4096, "\(level)")
        }
    }

    func testAnthropicHighExactBody() throws {
        let chat = json(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":64000,"stream":true}"#)
        let (body, betas) = try ChatRequest.toAnthropic(chat, context(prompt: "", reasoning: .high))
        XCTAssertEqual(betas, ["interleaved-thinking-2025-05-14"])
        assertJSON(
            body,
            #"""
            {"model":"claude-sonnet-4-5","max_tokens":64000,
             "messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],
             "thinking":{"type":"enabled","budget_tokens":24576},"stream":true}
            """#)
    }

    func testAnthropicFixedLevelOverridesClientThinking() throws {
        let (body, _) = try ChatRequest.toAnthropic(json(withClientFields), context(reasoning: .medium))
        assertJSON(body["thinking"] ?? .null, #"{"type":"enabled","budget_tokens":12288}"#)
    }

    func testAnthropicOffRemovesThinking() throws {
        let (body, betas) = try ChatRequest.toAnthropic(json(withClientFields), context(reasoning: .off))
        XCTAssertNil(body["thinking"])
        XCTAssertEqual(betas, [])
        XCTAssertEqual(body["max_tokens"], 4096)
    }

    func testAnthropicAutoKeepsClientThinkingAndRaisesMaxTokens() throws {
        let chat = json(
            #"{"messages":[{"role":"user","content":"x"}],"max_tokens":1000,"thinking":{"type":"enabled","budget_tokens":2048}}"#)
        let (body, betas) = try ChatRequest.toAnthropic(chat, context(reasoning: .auto))
        assertJSON(body["thinking"] ?? .null, #"{"type":"enabled","budget_tokens":2048}"#)
        XCTAssertEqual(body["max_tokens"], 6144)
        XCTAssertEqual(betas, [])
    }

    func testAnthropicAutoMapsReasoningEffort() throws {
        for (effort, budget) in [("low", 4096), ("medium", 12288), ("high", 24576)] {
            let chat = json(#"{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"\#(effort)"}"#)
            let (body, betas) = try ChatRequest.toAnthropic(chat, context(reasoning: .auto))
            assertJSON(body["thinking"] ?? .null, #"{"type":"enabled","budget_tokens":\#(budget)}"#)
            XCTAssertEqual(betas, ["interleaved-thinking-2025-05-14"])
        }
        let minimal = json(#"{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"minimal"}"#)
        XCTAssertNil(try ChatRequest.toAnthropic(minimal, context(reasoning: .auto)).body["thinking"])
    }

    func testAnthropicAutoWithoutClientFieldsHasNoThinking() throws {
        let (body, betas) = try ChatRequest.toAnthropic(json(plain), context(reasoning: .auto))
        XCTAssertNil(body["thinking"])
        XCTAssertEqual(betas, [])
    }

    func testAnthropicThinkingDropsIncompatibleSampling() throws {
        let chat = json(#"{"messages":[{"role":"user","content":"x"}],"temperature":0.2,"top_p":0.5}"#)
        let (body, _) = try ChatRequest.toAnthropic(chat, context(reasoning: .low))
        XCTAssertNil(body["temperature"])
        XCTAssertNil(body["top_p"])
        let kept = json(#"{"messages":[{"role":"user","content":"x"}],"temperature":1,"top_p":0.95}"#)
        let (body2, _) = try ChatRequest.toAnthropic(kept, context(reasoning: .low))
        XCTAssertEqual(body2["temperature"], 1)
        XCTAssertEqual(body2["top_p"]?.serializedString(), "0.95")
    }

    func testAnthropicForcedToolWinsOverPolicyThinking() throws {
        let chat = json(
            #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}"#
        )
        let (body, betas) = try ChatRequest.toAnthropic(chat, context(reasoning: .high))
        XCTAssertNil(body["thinking"])
        XCTAssertEqual(betas, [])
    }

    func testAnthropicNoThinkingMidToolCycle() throws {
        // The last assistant turn's signed thinking block cannot come back through chat, and
        // Anthropic requires it while tool results are being answered: no thinking then.
        let midCycle = json(
            #"""
            {"messages":[{"role":"user","content":"list files"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"ls","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"t1","content":"a.txt"}],
             "temperature":0.2,
             "thinking":{"type":"enabled","budget_tokens":2048}}
            """#)
        for level in [ReasoningLevel.high, .auto] {
            let (body, betas) = try ChatRequest.toAnthropic(midCycle, context(reasoning: level))
            XCTAssertNil(body["thinking"], "\(level)")
            XCTAssertEqual(betas, [])
            XCTAssertEqual(body["max_tokens"], 4096)
            XCTAssertEqual(body["temperature"]?.serializedString(), "0.2")
        }
        // A new user message after the tool results starts a new turn: thinking is back.
        var next = midCycle
        if case .object(var object) = next, case .array(var messages)? = object["messages"] {
            messages.append(["role": "assistant", "content": "There is a.txt."])
            messages.append(["role": "user", "content": "Thanks. Now explain it."])
            object["messages"] = .array(messages)
            next = .object(object)
        }
        let (body, betas) = try ChatRequest.toAnthropic(next, context(reasoning: .high))
        assertJSON(body["thinking"] ?? .null, #"{"type":"enabled","budget_tokens":24576}"#)
        XCTAssertEqual(betas, ["interleaved-thinking-2025-05-14"])
        XCTAssertNil(body["temperature"])
    }

    // MARK: Responses

    func testResponsesLevels() throws {
        for level in [ReasoningLevel.low, .medium, .high, .xhigh] {
            let body = try ChatRequest.toResponses(json(withClientFields), context(reasoning: level))
            assertJSON(body["reasoning"] ?? .null, #"{"effort":"\#(level.rawValue)","summary":"auto"}"#)
        }
        XCTAssertNil(try ChatRequest.toResponses(json(withClientFields), context(reasoning: .off))["reasoning"])
        assertJSON(
            try ChatRequest.toResponses(json(withClientFields), context(reasoning: .auto))["reasoning"] ?? .null,
            #"{"effort":"low","summary":"auto"}"#)
        XCTAssertNil(try ChatRequest.toResponses(json(plain), context(reasoning: .auto))["reasoning"])
    }

    // MARK: Google

    func testGoogleLevels() throws {
        let expected: [ReasoningLevel: String] = [.low: "LOW", .medium: "MEDIUM", .high: "HIGH"]
        for (level, name) in expected {
            let body = try ChatRequest.toGoogle(json(plain), context(reasoning: level))
            assertJSON(
                body["generationConfig"] ?? .null,
                #"{"thinkingConfig":{"thinkingLevel":"\#(name)","includeThoughts":true}}"#)
        }
        // The upstream rejects XHIGH; droid2api (transformers/request-google.js) sends no config for it.
        XCTAssertNil(try ChatRequest.toGoogle(json(plain), context(reasoning: .xhigh))["generationConfig"]?["thinkingConfig"])
        XCTAssertNil(try ChatRequest.toGoogle(json(withClientFields), context(reasoning: .off))["generationConfig"])
        assertJSON(
            try ChatRequest.toGoogle(json(withClientFields), context(reasoning: .auto))["generationConfig"] ?? .null,
            #"{"thinkingConfig":{"thinkingLevel":"LOW","includeThoughts":true}}"#)
        XCTAssertNil(try ChatRequest.toGoogle(json(plain), context(reasoning: .auto))["generationConfig"])
    }
}
