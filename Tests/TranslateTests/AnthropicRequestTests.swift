import Shared
import XCTest

@testable import Translate

final class AnthropicRequestTests: XCTestCase {
    static let agentTurn = #"""
        {
          "model": "claude-sonnet",
          "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools when useful."}]},
            {"role": "user", "content": [
              {"type": "text", "text": "What is in this image, and the weather in Paris?"},
              {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
              {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}}
            ]},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
              {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\",\"unit\":\"c\"}"}},
              {"id": "toolu_02", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\": \"Europe/Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "toolu_01", "content": "18C, cloudy"},
            {"role": "tool", "tool_call_id": "toolu_02", "content": "14:05"},
            {"role": "user", "content": "Thanks, summarize."}
          ],
          "tools": [
            {"type": "function", "function": {"name": "get_weather", "description": "Current weather",
              "parameters": {"type": "object", "properties": {"unit": {"type": "string", "enum": ["c", "f"]}, "city": {"type": "string"}}, "required": ["city"]}}},
            {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}}
          ],
          "tool_choice": "auto",
          "stop": "END",
          "temperature": 0.3,
          "stream": true
        }
        """#

    func testFullAgentTurn() throws {
        let (body, betas) = try ChatRequest.toAnthropic(json(Self.agentTurn), context())
        XCTAssertEqual(betas, [])
        assertJSON(
            body,
            #"""
            {
              "model": "claude-sonnet-4-5",
              "max_tokens": 4096,
              "system": [
                {"type": "text", "text": "You are Droid."},
                {"type": "text", "text": "Be terse."},
                {"type": "text", "text": "Use tools when useful."}
              ],
              "messages": [
                {"role": "user", "content": [
                  {"type": "text", "text": "What is in this image, and the weather in Paris?"},
                  {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                  {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
                ]},
                {"role": "assistant", "content": [
                  {"type": "text", "text": "Let me check."},
                  {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris", "unit": "c"}},
                  {"type": "tool_use", "id": "toolu_02", "name": "get_time", "input": {"tz": "Europe/Paris"}}
                ]},
                {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18C, cloudy"},
                  {"type": "tool_result", "tool_use_id": "toolu_02", "content": "14:05"},
                  {"type": "text", "text": "Thanks, summarize."}
                ]}
              ],
              "tools": [
                {"name": "get_weather", "description": "Current weather",
                  "input_schema": {"type": "object", "properties": {"unit": {"type": "string", "enum": ["c", "f"]}, "city": {"type": "string"}}, "required": ["city"]}},
                {"name": "get_time", "input_schema": {"type": "object", "properties": {"tz": {"type": "string"}}}}
              ],
              "tool_choice": {"type": "auto"},
              "stop_sequences": ["END"],
              "temperature": 0.3,
              "stream": true
            }
            """#)
    }

    func testNoPromptAndNoSystemMessagesMeansNoSystem() throws {
        let chat = json(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#)
        let (body, _) = try ChatRequest.toAnthropic(chat, context(prompt: ""))
        assertJSON(
            body,
            #"{"model":"claude-sonnet-4-5","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#)
    }

    func testEmptyPromptKeepsClientSystemBlocksWithCacheControl() throws {
        let chat = json(
            #"""
            {"messages":[
              {"role":"system","content":[{"type":"text","text":"Long rules","cache_control":{"type":"ephemeral"}}]},
              {"role":"user","content":"hi"}]}
            """#)
        let (body, _) = try ChatRequest.toAnthropic(chat, context(prompt: ""))
        assertJSON(
            body["system"] ?? .null, #"[{"type":"text","text":"Long rules","cache_control":{"type":"ephemeral"}}]"#)
    }

    func testStopArrayAndMaxTokens() throws {
        let chat = json(
            #"{"messages":[{"role":"user","content":"x"}],"stop":["\n\nHuman:","STOP"],"max_tokens":100,"top_p":0.9}"#)
        let (body, _) = try ChatRequest.toAnthropic(chat, context(prompt: ""))
        XCTAssertEqual(body["max_tokens"], 100)
        assertJSON(body["stop_sequences"] ?? .null, #"["\n\nHuman:","STOP"]"#)
        XCTAssertEqual(body["top_p"]?.serializedString(), "0.9")
    }

    func testMaxCompletionTokensWinsOverMaxTokens() throws {
        let chat = json(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":100,"max_completion_tokens":2000}"#)
        XCTAssertEqual(try ChatRequest.toAnthropic(chat, context()).body["max_tokens"], 2000)
    }

    func testTemperatureAboveAnthropicRangeIsClamped() throws {
        let chat = json(#"{"messages":[{"role":"user","content":"x"}],"temperature":1.7}"#)
        XCTAssertEqual(try ChatRequest.toAnthropic(chat, context()).body["temperature"], 1)
    }

    func testToolChoiceMapping() throws {
        let cases: [(String, String)] = [
            (#""auto""#, #"{"type":"auto"}"#),
            (#""required""#, #"{"type":"any"}"#),
            (#""none""#, #"{"type":"none"}"#),
            (#"{"type":"function","function":{"name":"get_weather"}}"#, #"{"type":"tool","name":"get_weather"}"#),
        ]
        for (choice, expected) in cases {
            let chat = json(
                #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get_weather"}}],"tool_choice":\#(choice)}"#
            )
            let (body, _) = try ChatRequest.toAnthropic(chat, context())
            assertJSON(body["tool_choice"] ?? .null, expected)
        }
    }

    func testParallelToolCallsFalse() throws {
        let tools = #""tools":[{"type":"function","function":{"name":"f"}}]"#
        var chat = json(#"{"messages":[{"role":"user","content":"x"}],\#(tools),"parallel_tool_calls":false}"#)
        assertJSON(
            try ChatRequest.toAnthropic(chat, context()).body["tool_choice"] ?? .null,
            #"{"type":"auto","disable_parallel_tool_use":true}"#)
        chat = json(
            #"{"messages":[{"role":"user","content":"x"}],\#(tools),"tool_choice":"required","parallel_tool_calls":false}"#)
        assertJSON(
            try ChatRequest.toAnthropic(chat, context()).body["tool_choice"] ?? .null,
            #"{"type":"any","disable_parallel_tool_use":true}"#)
        // A tool without parameters gets an empty object schema.
        assertJSON(
            try ChatRequest.toAnthropic(chat, context()).body["tools"] ?? .null,
            #"[{"name":"f","input_schema":{"type":"object","properties":{}}}]"#)
    }

    func testToolResultWithPartsAndFollowingAssistantWithoutText() throws {
        let chat = json(
            #"""
            {"messages":[
              {"role":"user","content":"shot"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"screenshot","arguments":""}}]},
              {"role":"tool","tool_call_id":"t1","content":[{"type":"text","text":"here"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}
            ]}
            """#)
        let (body, _) = try ChatRequest.toAnthropic(chat, context(prompt: ""))
        assertJSON(
            body["messages"] ?? .null,
            #"""
            [
              {"role":"user","content":[{"type":"text","text":"shot"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"screenshot","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[
                {"type":"text","text":"here"},
                {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}}]}]}
            ]
            """#)
    }

    func testPDFFilePartBecomesDocument() throws {
        let chat = json(
            #"{"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0x"}}]}]}"#
        )
        let (body, _) = try ChatRequest.toAnthropic(chat, context(prompt: ""))
        assertJSON(
            body["messages"] ?? .null,
            #"[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}}]}]"#
        )
    }

    func testInvalidToolArgumentsNameTheToolCall() {
        let chat = json(
            #"""
            {"messages":[{"role":"user","content":"x"},
              {"role":"assistant","tool_calls":[{"id":"call_9","type":"function","function":{"name":"run","arguments":"{\"cmd\": ls}"}}]}]}
            """#)
        XCTAssertThrowsError(try ChatRequest.toAnthropic(chat, context())) { error in
            let message = (error as? TranslationError)?.message ?? ""
            XCTAssertTrue(message.contains("call_9"), message)
            XCTAssertTrue(message.contains("run"), message)
            XCTAssertTrue(message.contains("messages[1].tool_calls[0]"), message)
        }
    }

    func testMalformedBodiesAreTranslationErrors() {
        let bad: [(String, String)] = [
            (#"[1]"#, "JSON object"),
            (#"{"model":"m"}"#, "\"messages\" must be an array"),
            (#"{"messages":[{"content":"x"}]}"#, "messages[0] has no \"role\""),
            (#"{"messages":[{"role":"function","content":"x"}]}"#, "unsupported role \"function\""),
            (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}"#, "image URL"),
            (#"{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}"#, "input_audio"),
            (#"{"messages":[{"role":"tool","content":"x"}]}"#, "tool_call_id"),
            (#"{"messages":[{"role":"user","content":"x"}],"max_tokens":-1}"#, "max_tokens"),
            (#"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]}"#, "web_search"),
        ]
        for (body, fragment) in bad {
            XCTAssertThrowsError(try ChatRequest.toAnthropic(json(body), context()), body) { error in
                let message = (error as? TranslationError)?.message ?? ""
                XCTAssertTrue(message.contains(fragment), "\(body): \(message)")
            }
        }
    }

    func testIsStreaming() {
        XCTAssertTrue(ChatRequest.isStreaming(json(#"{"stream":true}"#)))
        XCTAssertFalse(ChatRequest.isStreaming(json(#"{"stream":false}"#)))
        XCTAssertFalse(ChatRequest.isStreaming(json(#"{}"#)))
    }
}
