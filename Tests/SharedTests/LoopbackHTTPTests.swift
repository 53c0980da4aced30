import XCTest
@testable import Shared

/// The one blocking control-call client: framing parsed once, in linear time.
final class LoopbackHTTPTests: XCTestCase {
    func body(_ raw: String) -> String? {
        guard case .response(_, let b) = LoopbackHTTP.parse(Array(raw.utf8), timeout: 1) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    func testFraming() {
        XCTAssertEqual(body("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA"), "hi")
        XCTAssertEqual(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhi\r\n3\r\n th\r\n0\r\n\r\n"), "hi th")
        XCTAssertEqual(body("HTTP/1.0 200 OK\r\n\r\nto the end"), "to the end")
        XCTAssertNil(body("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"))
        XCTAssertNil(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"))
        XCTAssertNil(body("SSH-2.0-OpenSSH\r\n\r\n"))
    }

    /// 100 000 one-byte chunks: a quadratic de-chunker (copying the rest per chunk) takes minutes.
    func testDechunkingIsLinear() {
        var raw = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for _ in 0..<100_000 { raw += Array("1\r\nx\r\n".utf8) }
        raw += Array("0\r\n\r\n".utf8)
        guard case .response(200, let b) = LoopbackHTTP.parse(raw, timeout: 1) else { return XCTFail("not parsed") }
        XCTAssertEqual(b.count, 100_000)
    }
}
