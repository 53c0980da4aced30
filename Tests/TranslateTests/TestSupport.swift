import Shared
import XCTest

@testable import Translate

func context(
    model: String = "claude-sonnet-4-5", prompt: String = "You are Droid.", reasoning: ReasoningLevel = .auto
) -> TranslationContext {
    TranslationContext(model: model, systemPrompt: prompt, reasoning: reasoning, created: 1_700_000_000, id: "chatcmpl-test")
}

/// Parses a fixture; fails the test (and returns null) when it is not JSON.
func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
    do {
        return try JSONValue(parsing: text)
    } catch {
        XCTFail("fixture is not JSON: \(error)", file: file, line: line)
        return .null
    }
}

/// A fixture's compact serialization: whitespace-insensitive, key-order-sensitive.
func compact(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    json(text, file: file, line: line).serializedString()
}

/// Asserts `value` serializes to exactly the fixture's bytes (order included).
func assertJSON(_ value: JSONValue, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(value.serializedString(), compact(expected, file: file, line: line), file: file, line: line)
}

/// `data: <compact json>\n\n` for each fixture, then (by default) `data: [DONE]\n\n`.
func frames(_ chunks: [String], done: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> String {
    var out = chunks.map { "data: \(compact($0, file: file, line: line))\n\n" }.joined()
    if done { out += "data: [DONE]\n\n" }
    return out
}

/// Feeds an SSE fixture through the parser and a translator; returns everything emitted.
func translate<T: ChatStreamTranslator>(_ translator: inout T, _ sse: String, complete: Bool = true) -> String {
    var parser = SSEParser()
    var out: [UInt8] = []
    for event in parser.feed(Array(sse.utf8)) + parser.finish() {
        out += translator.feed(event)
    }
    out += translator.finish(complete: complete)
    return String(decoding: out, as: UTF8.self)
}

/// Chunk fixtures for the shared test context.
enum Chunk {
    static func head(_ model: String) -> String {
        #""id":"chatcmpl-test","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)""#
    }

    static func role(_ model: String) -> String {
        #"{\#(head(model)),"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
    }

    static func delta(_ model: String, _ delta: String) -> String {
        #"{\#(head(model)),"choices":[{"index":0,"delta":\#(delta),"finish_reason":null}]}"#
    }

    static func content(_ model: String, _ text: String) -> String {
        delta(model, #"{"content":"\#(text)"}"#)
    }

    static func reasoning(_ model: String, _ text: String) -> String {
        delta(model, #"{"reasoning_content":"\#(text)"}"#)
    }

    static func finish(_ model: String, _ reason: String, usage: String) -> String {
        #"{\#(head(model)),"choices":[{"index":0,"delta":{},"finish_reason":"\#(reason)"}],"usage":\#(usage)}"#
    }
}

extension String {
    /// Occurrences of `needle`.
    func occurrences(of needle: String) -> Int {
        components(separatedBy: needle).count - 1
    }
}
