import Shared
import XCTest

@testable import Translate

final class ResponsesTests: XCTestCase {
    let model = "gpt-5-codex"

    func testRequest() throws {
        let chat = json(
            #"""
            {
              "model": "gpt-5",
              "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "developer", "content": "Prefer tools."},
                {"role": "user", "content": [
                  {"type": "text", "text": "Describe and check weather"},
                  {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
                ]},
                {"role": "assistant", "content": "On it.", "tool_calls": [
                  {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_abc", "content": "{\"temp\":18}"},
                {"role": "user", "content": "Thanks"}
              ],
              "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
              "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
              "parallel_tool_calls": true,
              "max_tokens": 2048,
              "temperature": 0.5,
              "stop": ["x"],
              "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}, "strict": true}},
              "stream": true
            }
            """#)
        assertJSON(
            try ChatRequest.toResponses(chat, context(model: model)),
            #"""
            {
              "model": "gpt-5-codex",
              "instructions": "You are Droid.\n\nBe terse.\n\nPrefer tools.",
              "input": [
                {"type": "message", "role": "user", "content": [
                  {"type": "input_text", "text": "Describe and check weather"},
                  {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
                  {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"}
                ]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "On it."}]},
                {"type": "function_call", "call_id": "call_abc", "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"},
                {"type": "function_call_output", "call_id": "call_abc", "output": "{\"temp\":18}"},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks"}]}
              ],
              "tools": [{"type": "function", "name": "get_weather", "description": "Weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, "strict": false}],
              "tool_choice": {"type": "function", "name": "get_weather"},
              "parallel_tool_calls": true,
              "max_output_tokens": 2048,
              "temperature": 0.5,
              "text": {"format": {"type": "json_schema", "name": "w", "schema": {"type": "object"}, "strict": true}},
              "store": false,
              "stream": true
            }
            """#)
    }

    func testRequestWithoutPromptOrSystem() throws {
        let chat = json(#"{"messages":[{"role":"user","content":"hi"}],"tool_choice":"required"}"#)
        assertJSON(
            try ChatRequest.toResponses(chat, context(model: model, prompt: "")),
            #"""
            {"model":"gpt-5-codex","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}],
             "tool_choice":"required","store":false}
            """#)
    }

    func testReply() {
        let reply = json(
            #"""
            {
              "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41", "object": "response", "created_at": 1741476777,
              "status": "completed", "error": null, "incomplete_details": null, "model": "gpt-5-2025-08-07",
              "output": [
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "**Plan**"}, {"type": "summary_text", "text": "Call the tool."}]},
                {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                  "content": [{"type": "output_text", "text": "Let me look.", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_9", "name": "get_weather", "arguments": "{\"city\":\"Oslo\"}", "status": "completed"}
              ],
              "usage": {"input_tokens": 328, "input_tokens_details": {"cached_tokens": 128}, "output_tokens": 52,
                "output_tokens_details": {"reasoning_tokens": 30}, "total_tokens": 380}
            }
            """#)
        assertJSON(
            ChatResponse.fromResponses(reply, context(model: model)),
            #"""
            {
              "id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": "gpt-5-codex",
              "choices": [{"index": 0, "message": {
                "role": "assistant", "content": "Let me look.", "reasoning_content": "**Plan**\n\nCall the tool.",
                "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]
              }, "finish_reason": "tool_calls"}],
              "usage": {"prompt_tokens": 328, "completion_tokens": 52, "total_tokens": 380,
                "prompt_tokens_details": {"cached_tokens": 128}, "completion_tokens_details": {"reasoning_tokens": 30}}
            }
            """#)
    }

    func testIncompleteReplyIsLength() {
        let reply = json(
            #"""
            {"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},
             "output":[{"type":"message","content":[{"type":"output_text","text":"Partial"}]}],
             "usage":{"input_tokens":10,"output_tokens":16,"total_tokens":26}}
            """#)
        assertJSON(
            ChatResponse.fromResponses(reply, context(model: model))["choices"] ?? .null,
            #"[{"index":0,"message":{"role":"assistant","content":"Partial"},"finish_reason":"length"}]"#)
    }

    // MARK: Streaming

    static let stream = """
        event: response.created
        data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}

        event: response.in_progress
        data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress"}}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}

        event: response.reasoning_summary_part.added
        data: {"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}

        event: response.reasoning_summary_text.delta
        data: {"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Thinking"}

        event: response.reasoning_summary_part.added
        data: {"type":"response.reasoning_summary_part.added","sequence_number":5,"item_id":"rs_1","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":""}}

        event: response.reasoning_summary_text.delta
        data: {"type":"response.reasoning_summary_text.delta","sequence_number":6,"item_id":"rs_1","output_index":0,"summary_index":1,"delta":"More"}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":7,"output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}}

        event: response.content_part.added
        data: {"type":"response.content_part.added","sequence_number":8,"item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":9,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hi"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_1","output_index":1,"content_index":0,"delta":" there"}

        event: response.output_text.done
        data: {"type":"response.output_text.done","sequence_number":11,"item_id":"msg_1","output_index":1,"content_index":0,"text":"Hi there"}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":12,"output_index":2,"item":{"type":"function_call","id":"fc_1","call_id":"call_xyz","name":"get_weather","arguments":"","status":"in_progress"}}

        event: response.function_call_arguments.delta
        data: {"type":"response.function_call_arguments.delta","sequence_number":13,"item_id":"fc_1","output_index":2,"delta":"{\\"city\\":"}

        event: response.function_call_arguments.delta
        data: {"type":"response.function_call_arguments.delta","sequence_number":14,"item_id":"fc_1","output_index":2,"delta":"\\"Oslo\\"}"}

        event: response.function_call_arguments.done
        data: {"type":"response.function_call_arguments.done","sequence_number":15,"item_id":"fc_1","output_index":2,"arguments":"{\\"city\\":\\"Oslo\\"}"}

        event: response.output_item.done
        data: {"type":"response.output_item.done","sequence_number":16,"output_index":2,"item":{"type":"function_call","id":"fc_1","call_id":"call_xyz","name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}","status":"completed"}}

        event: response.completed
        data: {"type":"response.completed","sequence_number":17,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}}

        """

    func testStream() {
        var translator = ResponsesToChatStream(context(model: model))
        let output = translate(&translator, Self.stream)
        XCTAssertEqual(
            output,
            frames([
                Chunk.role(model),
                Chunk.reasoning(model, "Thinking"),
                Chunk.reasoning(model, #"\n\n"#),
                Chunk.reasoning(model, "More"),
                Chunk.content(model, "Hi"),
                Chunk.content(model, " there"),
                Chunk.delta(
                    model,
                    #"{"tool_calls":[{"index":0,"id":"call_xyz","type":"function","function":{"name":"get_weather","arguments":""}}]}"#
                ),
                Chunk.delta(model, #"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"#),
                Chunk.delta(model, #"{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}"#),
                Chunk.finish(
                    model, "tool_calls",
                    usage: #"{"prompt_tokens":37,"completion_tokens":11,"total_tokens":48,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#
                ),
            ]))
        XCTAssertEqual(output.occurrences(of: "[DONE]"), 1)
    }

    func testTextOnlyStreamFinishesWithStop() {
        let sse = """
            data: {"type":"response.created","response":{"status":"in_progress"}}

            data: {"type":"response.output_text.delta","delta":"Yes"}

            data: {"type":"response.completed","response":{"status":"completed","usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}}}

            """
        var translator = ResponsesToChatStream(context(model: model))
        XCTAssertEqual(
            translate(&translator, sse),
            frames([
                Chunk.role(model), Chunk.content(model, "Yes"),
                Chunk.finish(model, "stop", usage: #"{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}"#),
            ]))
    }

    func testArgumentsOnlyInItemDone() {
        let sse = """
            data: {"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","id":"fc_2","call_id":"call_2","name":"ls","arguments":""}}

            data: {"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","id":"fc_2","call_id":"call_2","name":"ls","arguments":"{\\"path\\":\\".\\"}"}}

            data: {"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}

            """
        var translator = ResponsesToChatStream(context(model: model))
        XCTAssertEqual(
            translate(&translator, sse),
            frames([
                Chunk.role(model),
                Chunk.delta(
                    model,
                    #"{"tool_calls":[{"index":0,"id":"call_2","type":"function","function":{"name":"ls","arguments":""}}]}"#),
                Chunk.delta(model, #"{"tool_calls":[{"index":0,"function":{"arguments":"{\"path\":\".\"}"}}]}"#),
                #"{\#(Chunk.head(model)),"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
            ]))
    }

    func testFailedStream() {
        let sse = """
            event: response.created
            data: {"type":"response.created","response":{"status":"in_progress"}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","delta":"Par"}

            event: response.failed
            data: {"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"The model failed"}}}

            """
        var translator = ResponsesToChatStream(context(model: model))
        let output = translate(&translator, sse)
        XCTAssertEqual(
            output,
            frames(
                [
                    Chunk.role(model), Chunk.content(model, "Par"),
                    #"{"error":{"message":"The model failed","type":"server_error"}}"#,
                ], done: false))
        XCTAssertTrue(translator.failed)
    }

    func testStreamCutBeforeCompletedGetsNoDone() {
        let cut = Self.stream.components(separatedBy: "event: response.completed")[0]
        var translator = ResponsesToChatStream(context(model: model))
        let output = translate(&translator, cut, complete: true)
        XCTAssertEqual(output.occurrences(of: "[DONE]"), 0)
        XCTAssertEqual(output.occurrences(of: "finish_reason\":\""), 0)
    }
}
