import Shared
import XCTest

@testable import Translate

final class FactoryErrorTests: XCTestCase {
    func body(_ status: Int, _ upstream: String) -> String {
        String(decoding: FactoryError.body(status: status, upstream: Array(upstream.utf8)), as: UTF8.self)
    }

    func testJSONUpstreamIsEmbeddedAsJSON() {
        XCTAssertEqual(
            body(429, #"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"#),
            #"{"error":{"message":"Factory returned 429","type":"rate_limit_error","upstream":{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}}}"#
        )
    }

    func testNonJSONUpstreamIsAString() {
        XCTAssertEqual(
            body(502, "<html>Bad gateway</html>\n"),
            #"{"error":{"message":"Factory returned 502","type":"api_error","upstream":"<html>Bad gateway</html>\n"}}"#)
        XCTAssertEqual(
            body(500, ""), #"{"error":{"message":"Factory returned 500","type":"api_error","upstream":""}}"#)
    }

    func testTypes() {
        let expected: [Int: String] = [
            400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
            409: "invalid_request_error", 413: "request_too_large", 422: "invalid_request_error",
            429: "rate_limit_error", 500: "api_error", 503: "api_error", 529: "overloaded_error",
        ]
        for (status, type) in expected {
            XCTAssertEqual(FactoryError.type(status: status), type, "\(status)")
            let parsed = try? JSONValue(parsing: FactoryError.body(status: status, upstream: Array("{}".utf8)))
            XCTAssertEqual(parsed?["error"]?["type"], .string(type))
        }
    }
}
