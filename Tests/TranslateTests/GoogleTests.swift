import Shared
import XCTest

@testable import Translate

final class GoogleTests: XCTestCase {
    let model = "gemini-3-pro-preview"

    func testRequest() throws {
        let chat = json(
            #"""
            {
              "model": "gemini",
              "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "user", "content": [
                  {"type": "text", "text": "What's this and the weather?"},
                  {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                  {"type": "image_url", "image_url": {"url": "https://example.com/photo.JPG?x=1"}}
                ]},
                {"role": "assistant", "content": "Checking.", "tool_calls": [
                  {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}},
                  {"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "09:00"},
                {"role": "tool", "tool_call_id": "call_0", "content": "sunny"},
                {"role": "user", "content": "ok"}
              ],
              "tools": [
                {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": false}}},
                {"type": "function", "function": {"name": "get_time"}}
              ],
              "tool_choice": "required",
              "max_tokens": 1000,
              "temperature": 0.7,
              "top_p": 0.9,
              "stop": "STOP",
              "stream": true
            }
            """#)
        assertJSON(
            try ChatRequest.toGoogle(chat, context(model: model)),
            #"""
            {
              "model": "gemini-3-pro-preview",
              "contents": [
                {"role": "user", "parts": [
                  {"text": "What's this and the weather?"},
                  {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}},
                  {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo.JPG?x=1"}}
                ]},
                {"role": "model", "parts": [
                  {"text": "Checking."},
                  {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}, "thoughtSignature": "skip_thought_signature_validator"},
                  {"functionCall": {"name": "get_time", "args": {}}, "thoughtSignature": "skip_thought_signature_validator"}
                ]},
                {"role": "user", "parts": [
                  {"functionResponse": {"name": "get_time", "response": {"content": "09:00"}}},
                  {"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}},
                  {"text": "ok"}
                ]}
              ],
              "systemInstruction": {"parts": [{"text": "You are Droid."}, {"text": "Be terse."}]},
              "tools": [{"functionDeclarations": [
                {"name": "get_weather", "description": "Weather",
                  "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": false}},
                {"name": "get_time"}
              ]}],
              "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
              "generationConfig": {"maxOutputTokens": 1000, "temperature": 0.7, "topP": 0.9, "stopSequences": ["STOP"]}
            }
            """#)
    }

    func testToolChoiceModes() throws {
        let cases: [(String, String)] = [
            (#""auto""#, #"{"mode":"AUTO"}"#), (#""none""#, #"{"mode":"NONE"}"#),
            (#"{"type":"function","function":{"name":"f"}}"#, #"{"mode":"ANY","allowedFunctionNames":["f"]}"#),
        ]
        for (choice, expected) in cases {
            let chat = json(#"{"messages":[{"role":"user","content":"x"}],"tool_choice":\#(choice)}"#)
            assertJSON(
                try ChatRequest.toGoogle(chat, context())["toolConfig"]?["functionCallingConfig"] ?? .null, expected)
        }
    }

    func testToolResultWithUnknownCallIDIsAnError() {
        let chat = json(
            #"{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_7","content":"r"}]}"#)
        XCTAssertThrowsError(try ChatRequest.toGoogle(chat, context())) { error in
            XCTAssertTrue((error as? TranslationError)?.message.contains("call_7") == true, "\(error)")
        }
    }

    func testReply() {
        let reply = json(
            #"""
            {
              "candidates": [{
                "content": {"role": "model", "parts": [
                  {"text": "Planning the lookup.", "thought": true},
                  {"text": "Looking it up."},
                  {"functionCall": {"name": "get_weather", "args": {"city": "Rome", "days": 2}}, "thoughtSignature": "CiQBjz1rX"},
                  {"functionCall": {"name": "get_time", "args": {}}}
                ]},
                "finishReason": "STOP", "index": 0
              }],
              "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "thoughtsTokenCount": 50, "totalTokenCount": 200},
              "modelVersion": "gemini-3-pro-preview", "responseId": "abc"
            }
            """#)
        assertJSON(
            ChatResponse.fromGoogle(reply, context(model: model)),
            #"""
            {
              "id": "chatcmpl-test", "object": "chat.completion", "created": 1700000000, "model": "gemini-3-pro-preview",
              "choices": [{"index": 0, "message": {
                "role": "assistant", "content": "Looking it up.", "reasoning_content": "Planning the lookup.",
                "tool_calls": [
                  {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\",\"days\":2}"}},
                  {"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
                ]
              }, "finish_reason": "tool_calls"}],
              "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200, "completion_tokens_details": {"reasoning_tokens": 50}}
            }
            """#)
    }

    func testFinishReasons() {
        for (native, chat) in [("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("OTHER", "stop")] {
            let reply = json(#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"\#(native)"}]}"#)
            XCTAssertEqual(
                ChatResponse.fromGoogle(reply, context())["choices"]?.arrayValue?.first?["finish_reason"],
                .string(chat))
        }
        let blocked = json(#"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}}"#)
        assertJSON(
            ChatResponse.fromGoogle(blocked, context(model: model)),
            #"""
            {"id":"chatcmpl-test","object":"chat.completion","created":1700000000,"model":"gemini-3-pro-preview",
             "choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"content_filter"}],
             "usage":{"prompt_tokens":4,"completion_tokens":0,"total_tokens":4}}
            """#)
    }

    // MARK: Streaming

    static let stream = """
        data: {"candidates": [{"content": {"parts": [{"text": "Weighing options","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9},"modelVersion": "gemini-3-pro-preview"}

        data: {"candidates": [{"content": {"parts": [{"text": "The answer"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 2,"totalTokenCount": 11}}

        data: {"candidates": [{"content": {"parts": [{"text": " is"},{"functionCall": {"name": "calc","args": {"expr": "6*7"}},"thoughtSignature": "Cq0B"}],"role": "model"},"index": 0}]}

        data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 12,"thoughtsTokenCount": 20,"totalTokenCount": 41}}

        """

    func testStream() {
        var translator = GoogleToChatStream(context(model: model))
        let output = translate(&translator, Self.stream)
        XCTAssertEqual(
            output,
            frames([
                Chunk.role(model),
                Chunk.reasoning(model, "Weighing options"),
                Chunk.content(model, "The answer"),
                Chunk.content(model, " is"),
                Chunk.delta(
                    model,
                    #"{"tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"calc","arguments":"{\"expr\":\"6*7\"}"}}]}"#
                ),
                Chunk.finish(
                    model, "tool_calls",
                    usage: #"{"prompt_tokens":9,"completion_tokens":32,"total_tokens":41,"completion_tokens_details":{"reasoning_tokens":20}}"#
                ),
            ]))
        XCTAssertEqual(output.occurrences(of: "[DONE]"), 1)
    }

    func testStreamCutBeforeFinishReasonGetsNoDone() {
        let cut = Self.stream.components(separatedBy: "\n\n").prefix(2).joined(separator: "\n\n")
        var translator = GoogleToChatStream(context(model: model))
        let output = translate(&translator, cut, complete: true)
        XCTAssertEqual(
            output, frames([Chunk.role(model), Chunk.reasoning(model, "Weighing options"), Chunk.content(model, "The answer")], done: false))
    }

    func testStreamError() {
        let sse = """
            data: {"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}

            """
        var translator = GoogleToChatStream(context(model: model))
        XCTAssertEqual(
            translate(&translator, sse),
            frames([#"{"error":{"message":"Resource exhausted","type":"RESOURCE_EXHAUSTED"}}"#], done: false))
        XCTAssertTrue(translator.failed)
    }
}
