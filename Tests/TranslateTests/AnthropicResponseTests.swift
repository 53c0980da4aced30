import Shared
import XCTest

@testable import Translate

final class AnthropicResponseTests: XCTestCase {
    let model = "claude-sonnet-4-5"

    func testTextThinkingAndToolUse() {
        let reply = json(
            #"""
            {
              "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
              "content": [
                {"type": "thinking", "thinking": "The user wants weather.", "signature": "EqQBCgIYAhIM"},
                {"type": "text", "text": "Checking "},
                {"type": "text", "text": "now."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}}
              ],
              "stop_reason": "tool_use", "stop_sequence": null,
              "usage": {"input_tokens": 472, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 2000, "output_tokens": 91}
            }
            """#)
        assertJSON(
            ChatResponse.fromAnthropic(reply, context()),
            #"""
            {
              "id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": "claude-sonnet-4-5",
              "choices": [{"index": 0, "message": {
                "role": "assistant", "content": "Checking now.", "reasoning_content": "The user wants weather.",
                "tool_calls": [{"id": "toolu_01A09q90qw90lq917835lq9", "type": "function",
                  "function": {"name": "get_weather", "arguments": "{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}}]
              }, "finish_reason": "tool_calls"}],
              "usage": {"prompt_tokens": 2572, "completion_tokens": 91, "total_tokens": 2663, "prompt_tokens_details": {"cached_tokens": 2000}}
            }
            """#)
    }

    func testToolOnlyReplyHasNullContent() {
        let reply = json(
            #"{"content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}"#
        )
        assertJSON(
            ChatResponse.fromAnthropic(reply, context())["choices"] ?? .null,
            #"""
            [{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]
            """#)
    }

    func testStopReasonMapping() {
        let cases = [
            ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
            ("refusal", "content_filter"), ("pause_turn", "stop"),
        ]
        for (native, chat) in cases {
            let reply = json(#"{"content":[{"type":"text","text":"x"}],"stop_reason":"\#(native)"}"#)
            XCTAssertEqual(
                ChatResponse.fromAnthropic(reply, context())["choices"]?.arrayValue?.first?["finish_reason"],
                .string(chat), native)
        }
        let noUsage = ChatResponse.fromAnthropic(json(#"{"content":[],"stop_reason":"end_turn"}"#), context())
        XCTAssertNil(noUsage["usage"])
        XCTAssertEqual(noUsage["choices"]?.arrayValue?.first?["message"]?["content"], "")
    }

    // MARK: Streaming

    static let toolStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5","stop_sequence":null,"usage":{"input_tokens":472,"cache_read_input_tokens":100,"output_tokens":2},"content":[],"stop_reason":null}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Need the weather."}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Okay, let's check"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" the weather."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\":"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \\"SF\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: content_block_start
        data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":3}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    /// An event whose data is not JSON is skipped — and counted, so edged can say so (#28);
    /// a `[DONE]` some streams end with is not counted.
    func testNonJSONEventsAreSkippedAndCounted() {
        var translator = AnthropicToChatStream(context())
        _ = translator.feed(SSEEvent(event: "message_start", data: "<html>gateway error</html>"))
        _ = translator.feed(SSEEvent(event: nil, data: "[DONE]"))
        _ = translator.feed(SSEEvent(event: "ping", data: "not json either"))
        XCTAssertEqual(translator.skippedEvents, 2)
    }

    func testToolStream() {
        var translator = AnthropicToChatStream(context())
        let output = translate(&translator, Self.toolStream)
        XCTAssertEqual(
            output,
            frames([
                Chunk.role(model),
                Chunk.reasoning(model, "Need the weather."),
                Chunk.content(model, "Okay, let's check"),
                Chunk.content(model, " the weather."),
                Chunk.delta(
                    model,
                    #"{"tool_calls":[{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function","function":{"name":"get_weather","arguments":""}}]}"#
                ),
                Chunk.delta(model, #"{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}"#),
                Chunk.delta(model, #"{"tool_calls":[{"index":0,"function":{"arguments":" \"SF\"}"}}]}"#),
                Chunk.delta(
                    model,
                    #"{"tool_calls":[{"index":1,"id":"toolu_02","type":"function","function":{"name":"get_time","arguments":""}}]}"#
                ),
                Chunk.delta(model, #"{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}"#),
                Chunk.finish(
                    model, "tool_calls",
                    usage: #"{"prompt_tokens":572,"completion_tokens":89,"total_tokens":661,"prompt_tokens_details":{"cached_tokens":100}}"#
                ),
            ]))
        XCTAssertEqual(output.occurrences(of: "data: [DONE]"), 1)
        XCTAssertFalse(translator.failed)
        XCTAssertTrue(translator.finished)
    }

    func testRepeatedInputCountsInMessageDelta() {
        // Newer API versions repeat the (cumulative) input counts in message_delta; a relay
        // that zeroes them must not erase the message_start values.
        let sse = """
            data: {"type":"message_start","message":{"usage":{"input_tokens":30,"cache_read_input_tokens":10,"output_tokens":1}}}

            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":0,"cache_read_input_tokens":0,"output_tokens":7}}

            data: {"type":"message_stop"}

            """
        var translator = AnthropicToChatStream(context())
        XCTAssertEqual(
            translate(&translator, sse),
            frames([
                Chunk.role(model),
                Chunk.finish(
                    model, "stop",
                    usage: #"{"prompt_tokens":40,"completion_tokens":7,"total_tokens":47,"prompt_tokens_details":{"cached_tokens":10}}"#),
            ]))
    }

    static let textStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-haiku","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":15}}

        event: message_stop
        data: {"type":"message_stop"}

        """

    func testTextStreamWithLengthFinish() {
        var translator = AnthropicToChatStream(context())
        XCTAssertEqual(
            translate(&translator, Self.textStream),
            frames([
                Chunk.role(model), Chunk.content(model, "Hello"),
                Chunk.finish(model, "length", usage: #"{"prompt_tokens":25,"completion_tokens":15,"total_tokens":40}"#),
            ]))
    }

    func testCRLFStreamGivesTheSameBytes() {
        var lf = AnthropicToChatStream(context())
        var crlf = AnthropicToChatStream(context())
        XCTAssertEqual(
            translate(&lf, Self.toolStream),
            translate(&crlf, Self.toolStream.replacingOccurrences(of: "\n", with: "\r\n")))
    }

    func testFinishAfterMessageDeltaOwesDone() {
        // The upstream closed cleanly right after message_delta: [DONE] is still owed.
        let cut = Self.textStream.components(separatedBy: "event: message_stop")[0]
        var translator = AnthropicToChatStream(context())
        let output = translate(&translator, cut, complete: true)
        XCTAssertTrue(output.hasSuffix("\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":25,\"completion_tokens\":15,\"total_tokens\":40}}\n\ndata: [DONE]\n\n"), output)
        XCTAssertEqual(output.occurrences(of: "[DONE]"), 1)
        // A second finish adds nothing.
        XCTAssertEqual(translator.finish(complete: true), [])
    }

    func testMidStreamDeathEmitsNothingMore() {
        let cut = Self.textStream.components(separatedBy: "event: content_block_stop")[0]
        for complete in [true, false] {
            var translator = AnthropicToChatStream(context())
            let output = translate(&translator, cut, complete: complete)
            XCTAssertEqual(output, frames([Chunk.role(model), Chunk.content(model, "Hello")], done: false))
            XCTAssertFalse(translator.finished)
            XCTAssertFalse(translator.failed)
        }
    }

    func testErrorEventEndsWithErrorFrame() {
        let sse = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

            event: error
            data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

            event: message_stop
            data: {"type":"message_stop"}

            """
        var translator = AnthropicToChatStream(context())
        let output = translate(&translator, sse, complete: true)
        XCTAssertEqual(
            output,
            frames(
                [
                    Chunk.role(model), Chunk.content(model, "Hi"),
                    #"{"error":{"message":"Overloaded","type":"overloaded_error"}}"#,
                ], done: false))
        XCTAssertTrue(translator.failed)
        XCTAssertFalse(translator.finished)
    }
}
