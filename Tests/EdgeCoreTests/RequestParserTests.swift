import XCTest
@testable import EdgeCore

final class RequestParserTests: XCTestCase {
    func parse(_ s: String, maxBody: Int = 1 << 20) -> (RequestParser.Result, [UInt8]) {
        let bytes = Array(s.utf8)
        return (bytes.withUnsafeBytes { RequestParser.parse($0, maxBody: maxBody) }, bytes)
    }

    func head(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> (RequestHead, [UInt8])? {
        let (r, b) = parse(s)
        guard case .complete(let h) = r else { XCTFail("expected a complete head, got \(r)", file: file, line: line); return nil }
        return (h, b)
    }

    func failure(_ s: String, maxBody: Int = 1 << 20) -> HTTPError? {
        if case .failed(let e) = parse(s, maxBody: maxBody).0 { return e }
        return nil
    }

    func testSimpleGet() throws {
        let (h, b) = try XCTUnwrap(head("GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\nX-Custom:  spaced value \t\r\n\r\n"))
        b.withUnsafeBytes { buf in
            XCTAssertEqual(buf.string(h.method), "GET")
            XCTAssertEqual(buf.string(h.target), "/v1/models?x=1")
            XCTAssertEqual(buf.string(h.path(in: buf)), "/v1/models")
            XCTAssertEqual(h.headers.count, 2)
            XCTAssertEqual(buf.string(h.headers[1].name), "X-Custom", "casing kept")
            XCTAssertEqual(buf.string(h.headers[1].value), "spaced value")
            XCTAssertEqual(buf.string(h.headers[1].line), "X-Custom:  spaced value \t\r\n")
        }
        XCTAssertEqual(h.headLength, b.count)
        XCTAssertEqual(h.framing, .none)
        XCTAssertTrue(h.keepAlive)
    }

    func testIncompleteUntilBlankLine() {
        for partial in ["", "GET", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r"] {
            guard case .incomplete = parse(partial).0 else { return XCTFail("\(partial.debugDescription) should be incomplete") }
        }
    }

    func testContentLengthAndChunked() throws {
        let (h, _) = try XCTUnwrap(head("POST /v1/messages HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n"))
        XCTAssertEqual(h.framing, .length(42))
        let (c, _) = try XCTUnwrap(head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"))
        XCTAssertEqual(c.framing, .chunked)
        let (same, _) = try XCTUnwrap(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"))
        XCTAssertEqual(same.framing, .length(5), "identical duplicates are one value")
    }

    func testSmugglingVectorsAreRefused() {
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")?.status, 501)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")?.status, 501)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n")?.status, 400, "space before colon")
        XCTAssertEqual(failure("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")?.status, 400, "obs-fold")
    }

    func testHeaderInjectionIsRefused() {
        XCTAssertEqual(failure("GET / HTTP/1.1\r\nHost: a\r\nX: a\rInjected: b\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("GET / HTTP/1.1\r\nHost: a\r\nX: a\nInjected: b\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("GET / HTTP/1.1\nHost: a\r\n\r\n")?.status, 400, "bare LF line end")
    }

    func testMalformedRequestLines() {
        for line in ["GET\r\n", "GET /\r\n", " GET / HTTP/1.1\r\n", "GET  / HTTP/1.1\r\n", "GET / HTTP/1.1 \r\n",
                     "GET / HTTTP/1.1\r\n", "GET http://x/ HTTP/1.1\r\n", "G@T / HTTP/1.1\r\n", "GET /a\u{1}b HTTP/1.1\r\n"] {
            XCTAssertEqual(failure(line + "Host: a\r\n\r\n")?.status, 400, line.debugDescription)
        }
        XCTAssertEqual(failure("GET / HTTP/2.0\r\nHost: a\r\n\r\n")?.status, 505)
    }

    func testHostRules() {
        XCTAssertEqual(failure("GET / HTTP/1.1\r\n\r\n")?.status, 400)
        XCTAssertEqual(failure("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")?.status, 400)
        guard case .complete = parse("GET / HTTP/1.0\r\n\r\n").0 else { return XCTFail("HTTP/1.0 needs no Host") }
    }

    func testKeepAliveRules() throws {
        XCTAssertEqual(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")?.0.keepAlive, false)
        XCTAssertEqual(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, Upgrade\r\n\r\n")?.0.keepAlive, true)
        XCTAssertEqual(head("GET / HTTP/1.0\r\n\r\n")?.0.keepAlive, false)
        XCTAssertEqual(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")?.0.keepAlive, true)
    }

    func testExpect() throws {
        XCTAssertEqual(head("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")?.0.expectContinue, true)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n")?.status, 417)
    }

    func testLimits() {
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 70_000) + "\r\n\r\n"
        XCTAssertEqual(failure(big)?.status, 431)
        let unterminated = "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 70_000)
        XCTAssertEqual(failure(unterminated)?.status, 431, "no need to wait for the end")
        let many = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: 1\r\n", count: 200) + "\r\n"
        XCTAssertEqual(failure(many)?.status, 431)
        XCTAssertEqual(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n", maxBody: 1024)?.status, 413)
    }

    func testLeadingEmptyLinesAreSkipped() throws {
        let (h, b) = try XCTUnwrap(head("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        b.withUnsafeBytes { XCTAssertEqual($0.string(h.method), "GET") }
    }

    func testPipelinedRequestsParseOneAtATime() throws {
        let two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
        let (h, b) = try XCTUnwrap(head(two))
        let rest = Array(b[h.headLength...])
        let second = rest.withUnsafeBytes { RequestParser.parse($0, maxBody: 10) }
        guard case .complete(let h2) = second else { return XCTFail() }
        rest.withUnsafeBytes { XCTAssertEqual($0.string(h2.target), "/2") }
    }
}

final class ChunkedDecoderTests: XCTestCase {
    func decodeAll(_ s: String, split: Int? = nil, maxBody: Int = 1 << 20) throws -> (String, Int, Bool) {
        let bytes = Array(s.utf8)
        var d = ChunkedDecoder(maxBody: maxBody)
        var body: [UInt8] = []
        var used = 0
        let parts = split.map { stride(from: 0, to: bytes.count, by: $0).map { Array(bytes[$0..<min($0 + split!, bytes.count)]) } } ?? [bytes]
        for p in parts where !d.isComplete {
            used += try p.withUnsafeBytes { (b) throws(HTTPError) in try d.decode(b, into: &body) }
        }
        return (String(decoding: body, as: UTF8.self), used, d.isComplete)
    }

    func testDecodesAndStopsAtTheEnd() throws {
        let wire = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\nNEXT"
        for split in [nil, 1, 2, 3, 7] as [Int?] {
            let (body, used, done) = try decodeAll(wire, split: split)
            XCTAssertEqual(body, "hello, world", "split \(String(describing: split))")
            XCTAssertTrue(done)
            if split == nil { XCTAssertEqual(used, wire.utf8.count - 4, "NEXT is left for the next request") }
        }
    }

    func testBadChunks() {
        for bad in ["x\r\n", "5\r\nhelloXX", "5\nhello\r\n", "-1\r\n", "\r\n", "1234567890123456\r\n", "0\r\nBad\nTrailer\r\n\r\n"] {
            XCTAssertThrowsError(try decodeAll(bad), bad.debugDescription)
        }
    }

    func testBodyLimit() {
        XCTAssertThrowsError(try decodeAll("400\r\n", maxBody: 1000)) { XCTAssertEqual(($0 as? HTTPError)?.status, 413) }
    }
}

final class ResponseParserTests: XCTestCase {
    func parse(_ s: String, head: Bool = false) -> ResponseHead? {
        Array(s.utf8).withUnsafeBytes {
            if case .complete(let h) = ResponseParser.parse($0, requestWasHead: head) { return h }
            return nil
        }
    }

    func testFramings() {
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n")?.framing, .length(12))
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?.framing, .chunked)
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\n\r\n")?.framing, .untilClose)
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\n\r\n")?.close, true)
        XCTAssertEqual(parse("HTTP/1.1 204 No Content\r\n\r\n")?.framing, .noBody)
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head: true)?.framing, .noBody)
        XCTAssertEqual(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n")?.close, true)
        XCTAssertEqual(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n")?.close, true)
        XCTAssertEqual(parse("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1\r\n\r\n")?.status, 503)
    }

    func testChunkedEndTracker() throws {
        var t = ChunkedEndTracker()
        let parts = ["4\r\nda", "ta\r\n", "0\r\n", "\r\nHTTP/1.1 200"]
        var used: [Int] = []
        for p in parts { used.append(try Array(p.utf8).withUnsafeBytes { (b) throws(HTTPError) in try t.consume(b) }) }
        XCTAssertTrue(t.isComplete)
        XCTAssertEqual(used, [5, 4, 3, 2])
    }
}
