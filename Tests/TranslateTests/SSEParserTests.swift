import XCTest

@testable import Translate

final class SSEParserTests: XCTestCase {
    static let stream = """
        : comment at the start
        event: message_start
        data: {"type":"message_start"}

        event: content_block_delta
        data: {"a":
        data:1}

        data:no space after colon
        id: 7
        retry: 100

        event: ping
        data: {"type": "ping"}

        event: only-name

        data:
        data: second

        """

    static let expected = [
        SSEEvent(event: "message_start", data: #"{"type":"message_start"}"#),
        SSEEvent(event: "content_block_delta", data: "{\"a\":\n1}"),
        SSEEvent(event: nil, data: "no space after colon"),
        SSEEvent(event: "ping", data: #"{"type": "ping"}"#),
        SSEEvent(event: nil, data: "\nsecond"),
    ]

    func parseAll(_ bytes: [UInt8], splits: [Int]) -> [SSEEvent] {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var start = 0
        for split in splits + [bytes.count] {
            events += parser.feed(Array(bytes[start..<split]))
            start = split
        }
        return events + parser.finish()
    }

    /// A line or an event without end stops the parser at its bound (#27): it
    /// says which, and holds no more than the bound.
    func testALineOrAnEventPastItsBoundIsAnOverflow() {
        var lines = SSEParser(maxLineBytes: 16, maxEventBytes: 1024)
        XCTAssertEqual(lines.feed(Array("data: 0123456789abcdefXYZ".utf8)), [])
        XCTAssertEqual(lines.overflow, "an event-stream line longer than 16 bytes")
        XCTAssertEqual(lines.feed(Array("\n\n".utf8)), [], "nothing after an overflow")
        var events = SSEParser(maxLineBytes: 64, maxEventBytes: 32)
        _ = events.feed(Array(String(repeating: "data: 0123456789\n", count: 5).utf8))
        XCTAssertEqual(events.overflow, "an event larger than 32 bytes")
        var fine = SSEParser(maxLineBytes: 64, maxEventBytes: 64)
        XCTAssertEqual(fine.feed(Array("data: {}\n\n".utf8)), [SSEEvent(data: "{}")])
        XCTAssertNil(fine.overflow)
    }

    func testWholeBuffer() {
        XCTAssertEqual(parseAll(Array(Self.stream.utf8), splits: []), Self.expected)
    }

    func testSplitAtEveryByteOffset() {
        for text in [
            Self.stream, Self.stream.replacingOccurrences(of: "\n", with: "\r\n"),
            Self.stream.replacingOccurrences(of: "\n", with: "\r"),
        ] {
            let bytes = Array(text.utf8)
            for offset in 0...bytes.count {
                XCTAssertEqual(parseAll(bytes, splits: [offset]), Self.expected, "split at \(offset)")
            }
        }
    }

    func testOneByteAtATime() {
        let bytes = Array(Self.stream.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        XCTAssertEqual(parseAll(bytes, splits: Array(0..<bytes.count)), Self.expected)
    }

    func testMultiByteUTF8SplitAcrossFeeds() {
        let bytes = Array("data: héllo — 世界 🎉\n\n".utf8)
        for offset in 0...bytes.count {
            XCTAssertEqual(parseAll(bytes, splits: [offset]), [SSEEvent(data: "héllo — 世界 🎉")])
        }
    }

    func testLastEventWithoutBlankLine() {
        var parser = SSEParser()
        XCTAssertEqual(parser.feed(Array("event: x\ndata: tail".utf8)), [])
        XCTAssertEqual(parser.finish(), [SSEEvent(event: "x", data: "tail")])
        XCTAssertEqual(parser.finish(), [])
    }

    func testBOMAndUnsafeBufferEntryPoint() {
        var parser = SSEParser()
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("data: a\n\n".utf8)
        let events = bytes.withUnsafeBytes { parser.feed($0) }
        XCTAssertEqual(events, [SSEEvent(data: "a")])
    }
}
