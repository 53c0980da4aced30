import Shared
import XCTest

@testable import Translate

final class CommonTests: XCTestCase {
    func testRequestKeepsEverythingInOrder() throws {
        let chat = json(
            #"""
            {"model":"glm","temperature":0.2,"messages":[{"role":"system","content":"Client rules"},{"role":"user","content":"hi"}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"b":1,"a":2}}}],"stream":true,"stream_options":{"include_usage":true}}
            """#)
        assertJSON(
            try ChatRequest.toCommon(chat, context(model: "glm-4.6")),
            #"""
            {"model":"glm-4.6","temperature":0.2,"messages":[{"role":"system","content":"You are Droid."},{"role":"system","content":"Client rules"},{"role":"user","content":"hi"}],
             "tools":[{"type":"function","function":{"name":"f","parameters":{"b":1,"a":2}}}],"stream":true,"stream_options":{"include_usage":true}}
            """#)
    }

    func testRequestWithoutPromptIsUnchangedButModel() throws {
        let text = #"{"model":"glm","messages":[{"role":"user","content":"hi"}]}"#
        assertJSON(
            try ChatRequest.toCommon(json(text), context(model: "glm-4.6", prompt: "")),
            #"{"model":"glm-4.6","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertThrowsError(try ChatRequest.toCommon(json(#"{"model":"x"}"#), context()))
    }

    func testPassthroughStream() {
        let sse = """
            data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

            : keep-alive

            data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}

            data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: [DONE]

            data: [DONE]

            """
        var translator = ChatPassthroughStream(context())
        let output = translate(&translator, sse)
        XCTAssertEqual(
            output,
            """
            data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

            data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}

            data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: [DONE]


            """)
    }

    func testPassthroughAddsMissingDoneOnlyAfterAFinishReason() {
        let finished = """
            data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            """
        var a = ChatPassthroughStream(context())
        XCTAssertTrue(translate(&a, finished, complete: true).hasSuffix("data: [DONE]\n\n"))
        var b = ChatPassthroughStream(context())
        XCTAssertFalse(translate(&b, finished, complete: false).contains("[DONE]"))
        let unfinished = """
            data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}

            """
        var c = ChatPassthroughStream(context())
        XCTAssertFalse(translate(&c, unfinished, complete: true).contains("[DONE]"))
    }

    func testPassthroughErrorFrame() {
        let sse = """
            data: {"error":{"message":"boom","type":"server_error"}}

            data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            """
        var translator = ChatPassthroughStream(context())
        XCTAssertEqual(translate(&translator, sse), "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n")
        XCTAssertTrue(translator.failed)
    }
}
