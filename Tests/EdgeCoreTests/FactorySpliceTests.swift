import XCTest
@testable import EdgeCore

final class FactorySpliceTests: XCTestCase {
    func apply(_ body: String, _ edit: (UnsafeRawBufferPointer, inout Splice) -> Void) -> String { spliced(body, edit) }

    func testAnthropicSystemStringIsKeptAfterThePrompt() {
        let out = apply(#"{"model":"m", "system" : "Be brief.","messages":[]}"#) { FactorySplices.anthropicSystem($0, prompt: "Droid \"rules\"", into: &$1) }
        XCTAssertEqual(out, #"{"model":"m", "system" : "Droid \"rules\"\n\nBe brief.","messages":[]}"#)
    }

    func testAnthropicSystemArrayGetsThePromptFirst() {
        let out = apply(#"{"system":[ {"type":"text","text":"mine"}],"x":1}"#) { FactorySplices.anthropicSystem($0, prompt: "P", into: &$1) }
        XCTAssertEqual(out, #"{"system":[{"type":"text","text":"P"}, {"type":"text","text":"mine"}],"x":1}"#)
        let empty = apply(#"{"system":[]}"#) { FactorySplices.anthropicSystem($0, prompt: "P", into: &$1) }
        XCTAssertEqual(empty, #"{"system":[{"type":"text","text":"P"}]}"#)
    }

    func testAnthropicSystemAddedWhenAbsentAndRestByteIdentical() {
        let out = apply("{ \"model\":\"m\",\n  \"messages\":[] }") { FactorySplices.anthropicSystem($0, prompt: "P", into: &$1) }
        XCTAssertEqual(out, "{\"system\":[{\"type\":\"text\",\"text\":\"P\"}], \"model\":\"m\",\n  \"messages\":[] }")
        XCTAssertEqual(apply(#"{"a":1}"#) { FactorySplices.anthropicSystem($0, prompt: "", into: &$1) }, #"{"a":1}"#, "no prompt, no edit")
    }

    func testResponsesInstructionsAndChatAndGoogle() {
        XCTAssertEqual(apply(#"{"instructions":"x","input":"y"}"#) { FactorySplices.responsesInstructions($0, prompt: "P", into: &$1) },
                       #"{"instructions":"P\n\nx","input":"y"}"#)
        XCTAssertEqual(apply(#"{"input":"y"}"#) { FactorySplices.responsesInstructions($0, prompt: "P", into: &$1) },
                       #"{"instructions":"P","input":"y"}"#)
        XCTAssertEqual(apply(#"{"messages":[{"role":"user","content":"hi"}]}"#) { FactorySplices.chatSystemMessage($0, prompt: "P", into: &$1) },
                       #"{"messages":[{"role":"system","content":"P"},{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(apply(#"{"contents":[]}"#) { FactorySplices.googleSystemInstruction($0, prompt: "P", into: &$1) },
                       #"{"systemInstruction":{"parts":[{"text":"P"}]},"contents":[]}"#)
        XCTAssertEqual(apply(#"{"systemInstruction":{"parts":[{"text":"mine"}]}}"#) { FactorySplices.googleSystemInstruction($0, prompt: "P", into: &$1) },
                       #"{"systemInstruction":{"parts":[{"text":"P"},{"text":"mine"}]}}"#)
    }

    func testModelReplacement() {
        XCTAssertEqual(apply(#"{"model":"alias","x":1}"#) { FactorySplices.setModel($0, "claude-opus-4-6", into: &$1) }, #"{"model":"claude-opus-4-6","x":1}"#)
        XCTAssertEqual(apply(#"{"model":"same"}"#) { FactorySplices.setModel($0, "same", into: &$1) }, #"{"model":"same"}"#)
    }

    func testAnthropicReasoningPolicy() {
        var change = ReasoningSplices.BetaChange.none
        let high = apply(#"{"model":"m","max_tokens":1000,"messages":[]}"#) { change = ReasoningSplices.anthropic($0, level: .high, into: &$1) }
        XCTAssertEqual(high, #"{"thinking":{"type":"enabled","budget_tokens":24576},"model":"m","max_tokens":28672,"messages":[]}"#)
        XCTAssertEqual(change, .add("interleaved-thinking-2025-05-14"))
        let replaced = apply(#"{"thinking":{"type":"enabled","budget_tokens":1},"max_tokens":99999}"#) { _ = ReasoningSplices.anthropic($0, level: .low, into: &$1) }
        XCTAssertEqual(replaced, #"{"thinking":{"type":"enabled","budget_tokens":4096},"max_tokens":99999}"#)
        let off = apply(#"{"model":"m","thinking":{"type":"enabled","budget_tokens":5},"messages":[]}"#) { change = ReasoningSplices.anthropic($0, level: .off, into: &$1) }
        XCTAssertEqual(off, #"{"model":"m","messages":[]}"#)
        XCTAssertEqual(change, .remove("interleaved-thinking-2025-05-14"))
        let auto = apply(#"{"thinking":{"type":"enabled","budget_tokens":5}}"#) { change = ReasoningSplices.anthropic($0, level: .auto, into: &$1) }
        XCTAssertEqual(auto, #"{"thinking":{"type":"enabled","budget_tokens":5}}"#)
        XCTAssertEqual(change, .none)
    }

    func testOtherReasoningPolicies() {
        XCTAssertEqual(apply(#"{"model":"m"}"#) { ReasoningSplices.responses($0, level: .medium, into: &$1) },
                       #"{"reasoning":{"effort":"medium","summary":"auto"},"model":"m"}"#)
        XCTAssertEqual(apply(#"{"model":"m","reasoning":{"effort":"low"}}"#) { ReasoningSplices.responses($0, level: .off, into: &$1) }, #"{"model":"m"}"#)
        XCTAssertEqual(apply(#"{"reasoning_effort":"low","model":"m"}"#) { ReasoningSplices.chat($0, level: .xhigh, into: &$1) }, #"{"reasoning_effort":"xhigh","model":"m"}"#)
        XCTAssertEqual(apply(#"{"reasoning_effort":"low","model":"m"}"#) { ReasoningSplices.chat($0, level: .off, into: &$1) }, #"{"model":"m"}"#)
        XCTAssertEqual(apply(#"{"contents":[]}"#) { ReasoningSplices.google($0, level: .high, into: &$1) },
                       #"{"generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"}},"contents":[]}"#)
        XCTAssertEqual(apply(#"{"generationConfig":{"temperature":1,"thinkingConfig":{"includeThoughts":true}}}"#) { ReasoningSplices.google($0, level: .low, into: &$1) },
                       #"{"generationConfig":{"temperature":1,"thinkingConfig":{"thinkingLevel":"LOW","includeThoughts":true}}}"#)
        XCTAssertEqual(apply(#"{"generationConfig":{"temperature":1,"thinkingConfig":{"thinkingBudget":9}}}"#) { ReasoningSplices.google($0, level: .off, into: &$1) },
                       #"{"generationConfig":{"temperature":1}}"#)
        // XHIGH is rejected upstream: xhigh removes the config like off (droid2api routes.js, /v1/generate).
        XCTAssertEqual(apply(#"{"generationConfig":{"temperature":1,"thinkingConfig":{"thinkingLevel":"LOW"}}}"#) { ReasoningSplices.google($0, level: .xhigh, into: &$1) },
                       #"{"generationConfig":{"temperature":1}}"#)
        XCTAssertEqual(apply(#"{"contents":[]}"#) { ReasoningSplices.google($0, level: .xhigh, into: &$1) }, #"{"contents":[]}"#)
        // The Anthropic pass-through keeps droid2api's 40960 for xhigh (routes.js /v1/messages).
        XCTAssertEqual(apply(#"{"model":"m"}"#) { _ = ReasoningSplices.anthropic($0, level: .xhigh, into: &$1) },
                       #"{"thinking":{"type":"enabled","budget_tokens":40960},"model":"m"}"#)
    }

    func testFastModeOnTheResponsesPassThrough() {
        XCTAssertEqual(apply(#"{"model":"m","input":"hi"}"#) { FactorySplices.priorityTier($0, into: &$1) },
                       #"{"service_tier":"priority","model":"m","input":"hi"}"#)
        XCTAssertEqual(apply(#"{"model":"m","service_tier":"flex"}"#) { FactorySplices.priorityTier($0, into: &$1) },
                       #"{"model":"m","service_tier":"flex"}"#, "the client's own tier stays")
    }
}
