import XCTest
@testable import EdgeCore

final class ResponseHeadCloseTests: XCTestCase {
    func close(_ head: String) -> String {
        String(decoding: Array(head.utf8).withUnsafeBytes { ResponseHeadClose.apply($0) }, as: UTF8.self)
    }

    func testAddsConnectionCloseAndDropsKeepAliveHeaders() {
        XCTAssertEqual(close("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n"),
                       "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(close("HTTP/1.1 204 No Content\r\n\r\n"), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(close("HTTP/1.1 200 OK\r\nCONNECTION : Upgrade\r\nX-Connection: keep\r\nContent-Length: 0\r\n\r\n"),
                       "HTTP/1.1 200 OK\r\nX-Connection: keep\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    func testBareLineFeedsAreTolerated() {
        XCTAssertEqual(close("HTTP/1.1 200 OK\nConnection: keep-alive\nContent-Length: 2\n\n"),
                       "HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\r\n\n")
    }
}
