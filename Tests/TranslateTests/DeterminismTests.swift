import Shared
import XCTest

@testable import Translate

/// Same input → same bytes, for every direction (prompt caches depend on it).
final class DeterminismTests: XCTestCase {
    func testRequestsAreByteStable() throws {
        let chat = json(AnthropicRequestTests.agentTurn)
        for level in ReasoningLevel.allCases {
            let ctx = context(reasoning: level)
            XCTAssertEqual(
                try ChatRequest.toAnthropic(chat, ctx).body.serialized(),
                try ChatRequest.toAnthropic(json(AnthropicRequestTests.agentTurn), ctx).body.serialized())
            XCTAssertEqual(
                try ChatRequest.toResponses(chat, ctx).serialized(), try ChatRequest.toResponses(chat, ctx).serialized())
            XCTAssertEqual(
                try ChatRequest.toGoogle(chat, ctx).serialized(), try ChatRequest.toGoogle(chat, ctx).serialized())
        }
    }

    func testClientKeyOrderIsKeptInSchemasAndInputs() throws {
        // Deliberately non-alphabetical keys: copied objects keep the client's order.
        let chat = json(
            #"""
            {"messages":[{"role":"user","content":"x"},
              {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":{\"y\":2,\"b\":3}}"}}]}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","required":["z"],"properties":{"z":{"type":"integer"},"a":{"type":"object"}}}}}]}
            """#)
        let (anthropic, _) = try ChatRequest.toAnthropic(chat, context())
        assertJSON(
            anthropic["messages"]?.arrayValue?[1]["content"]?.arrayValue?[0]["input"] ?? .null,
            #"{"z":1,"a":{"y":2,"b":3}}"#)
        assertJSON(
            anthropic["tools"]?.arrayValue?[0]["input_schema"] ?? .null,
            #"{"type":"object","required":["z"],"properties":{"z":{"type":"integer"},"a":{"type":"object"}}}"#)
        let google = try ChatRequest.toGoogle(chat, context())
        assertJSON(
            google["contents"]?.arrayValue?[1]["parts"]?.arrayValue?[0]["functionCall"]?["args"] ?? .null,
            #"{"z":1,"a":{"y":2,"b":3}}"#)
    }

    func testRepliesAndStreamsAreByteStable() {
        let reply = json(#"{"content":[{"type":"tool_use","id":"t","name":"f","input":{"b":1,"a":[2,{"d":3,"c":4}]}}],"stop_reason":"tool_use"}"#)
        let first = ChatResponse.fromAnthropic(reply, context()).serialized()
        XCTAssertEqual(first, ChatResponse.fromAnthropic(reply, context()).serialized())
        XCTAssertTrue(String(decoding: first, as: UTF8.self).contains(#""arguments":"{\"b\":1,\"a\":[2,{\"d\":3,\"c\":4}]}""#))

        var a = AnthropicToChatStream(context())
        var b = AnthropicToChatStream(context())
        XCTAssertEqual(
            translate(&a, AnthropicResponseTests.toolStream), translate(&b, AnthropicResponseTests.toolStream))
        var g1 = GoogleToChatStream(context())
        var g2 = GoogleToChatStream(context())
        XCTAssertEqual(translate(&g1, GoogleTests.stream), translate(&g2, GoogleTests.stream))
        var r1 = ResponsesToChatStream(context())
        var r2 = ResponsesToChatStream(context())
        XCTAssertEqual(translate(&r1, ResponsesTests.stream), translate(&r2, ResponsesTests.stream))
    }

    func testStreamsAreIndependentOfNetworkChunking() {
        // Whatever the byte split, the client sees the same bytes.
        let cases: [(String, () -> any ChatStreamTranslator)] = [
            (AnthropicResponseTests.toolStream, { AnthropicToChatStream(context()) }),
            (ResponsesTests.stream, { ResponsesToChatStream(context()) }),
            (GoogleTests.stream, { GoogleToChatStream(context()) }),
        ]
        for (sse, make) in cases {
            var whole = make()
            let expected = Self.run(&whole, Array(sse.utf8), step: Int.max)
            for step in [1, 7, 64] {
                var translator = make()
                XCTAssertEqual(Self.run(&translator, Array(sse.utf8), step: step), expected, "step \(step)")
            }
        }
    }

    static func run(_ translator: inout any ChatStreamTranslator, _ bytes: [UInt8], step: Int) -> String {
        var parser = SSEParser()
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + min(step, bytes.count))
            for event in parser.feed(Array(bytes[start..<end])) { out += translator.feed(event) }
            start = end
        }
        for event in parser.finish() { out += translator.feed(event) }
        out += translator.finish(complete: true)
        return String(decoding: out, as: UTF8.self)
    }
}
