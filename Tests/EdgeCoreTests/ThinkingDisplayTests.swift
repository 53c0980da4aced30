import Foundation
import XCTest
@testable import EdgeCore
import Shared

/// Rule 6 of the rewrite spec: `"display":"summarized"` spliced into a Claude
/// request's `thinking` object that turns thinking on and has no `display`.
final class ThinkingDisplayTests: XCTestCase {
    struct Vector {
        let name, target, input, output: String
    }

    static func vectors() throws -> [Vector] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/thinking-display.jsonl")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let v = try JSONValue(parsing: String(line))
            return Vector(name: v["name"]!.stringValue!, target: v["target"]!.stringValue!,
                          input: v["in"]!.stringValue!, output: v["out"]!.stringValue!)
        }
    }

    func testVectorsByteForByte() throws {
        let vectors = try Self.vectors()
        XCTAssertGreaterThanOrEqual(vectors.count, 17)
        for v in vectors {
            let c = RewriteCase(target: v.target, body: v.input)
            XCTAssertEqual(c.out(), v.output, v.name)
            let plan = c.plan()
            let changedByRule6 = plan.applied.contains(.thinkingDisplay)
            XCTAssertEqual(changedByRule6, v.output.contains(#""display":"summarized""#) && !v.input.contains(#""display":"summarized""#), v.name)
        }
    }

    func testSameRequestTwiceGivesIdenticalBytes() throws {
        for v in try Self.vectors() {
            let c = RewriteCase(target: v.target, body: v.input)
            XCTAssertEqual(c.out(), c.out(), v.name)
            // A forwarded body fed through again is left alone: display is set now.
            let again = RewriteCase(target: v.target, body: c.out())
            XCTAssertFalse(again.plan().applied.contains(.thinkingDisplay), v.name)
        }
    }

    func testOffWhenConfiguredEmpty() throws {
        var config = RewritesConfig()
        config.thinkingDisplay = ""
        let off = RewriteSettings(config)
        for v in try Self.vectors() where v.name != "aliased_model" {
            XCTAssertEqual(RewriteCase(target: v.target, body: v.input).out(off), v.input, v.name)
        }
    }

    func testConfiguredValueIsUsed() {
        var config = RewritesConfig()
        config.thinkingDisplay = "omitted"
        let body = #"{"model":"claude-sonnet-4-6","thinking":{"type":"enabled","budget_tokens":1024}}"#
        XCTAssertEqual(RewriteCase(body: body).out(RewriteSettings(config)),
                       #"{"model":"claude-sonnet-4-6","thinking":{"type":"enabled","budget_tokens":1024,"display":"omitted"}}"#)
    }

    /// Only how thinking is shown: type, budget and effort keep their bytes.
    func testNeverChangesTheReasoningAmount() {
        let body = #"{"model":"claude-opus-4-7","thinking":{"type":"enabled","budget_tokens":31999},"output_config":{"effort":"high"},"messages":[]}"#
        let out = RewriteCase(body: body).out()
        XCTAssertTrue(out.contains(#""type":"enabled","budget_tokens":31999,"#), out)
        XCTAssertTrue(out.contains(#""output_config":{"effort":"high"}"#), out)
        XCTAssertEqual(out.count, body.count + #","display":"summarized""#.count)
    }

    func testOnlyOnPost() {
        let body = #"{"model":"claude-sonnet-4-6","thinking":{"type":"enabled"}}"#
        XCTAssertNil(RewriteCase(method: "PUT", body: body).plan().body)
    }

    func testWorksBesideTheSanitizer() {
        let body = #"{"model":"claude-sonnet-4-6","thinking":{"type":"adaptive"},"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"old","signature":"s"},{"type":"text","text":"a"}]},{"role":"user","content":"next"}]}"#
        let p = RewriteCase(body: body).plan()
        XCTAssertEqual(p.applied, [.sanitize, .beta, .thinkingDisplay])
        XCTAssertEqual(String(decoding: p.body!, as: UTF8.self),
                       #"{"model":"claude-sonnet-4-6","thinking":{"type":"adaptive","display":"summarized"},"messages":[{"role":"assistant","content":[{"type":"text","text":"a"}]},{"role":"user","content":"next"}]}"#)
    }

    func testConfigRejectsABadValue() {
        let bad = #"{"rewrites": {"thinkingDisplay": "sum marized"}}"#
        XCTAssertThrowsError(try ConfigLoader.parse(Array(bad.utf8), file: "t.json")) { e in
            XCTAssertTrue("\(e)".contains("rewrites.thinkingDisplay"), "\(e)")
        }
        let off = try? ConfigLoader.parse(Array(#"{"rewrites": {"thinkingDisplay": ""}}"#.utf8), file: "t.json")
        XCTAssertEqual(off?.rewrites.thinkingDisplay, "")
    }
}
