import Foundation
import Shared
import XCTest

/// The backend's CORS headers are not relayed; edged's own policy answers
/// (issue 25). The fake backend sends what cli-proxy-api's gin CORS
/// middleware sends (`Access-Control-Allow-Origin: *` and the rest).
final class EdgeCORSTests: XCTestCase {
    let chatBody = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#

    func accessControl(_ r: RawHTTP.Response) -> [String] {
        r.headers.filter { $0.0.lowercased().hasPrefix("access-control-") }.map { "\($0.0): \($0.1)" }
    }

    func testBackendsAccessControlHeadersAreDroppedAndAnAllowedOriginGetsEdgedsOwn() throws {
        let stack = try ProxyStack(config: #""clients": {"allowedOrigins": ["https://app.example"]}"#)
        // The backend itself says `*` (else this test could not fail).
        let direct = try XCTUnwrap(try request(stack.backendPort, "POST", "/v1/chat/completions", body: chatBody))
        XCTAssertEqual(direct.header("access-control-allow-origin"), "*")

        // No Origin (an SDK, a CLI): no CORS headers at all.
        let plain = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: chatBody))
        XCTAssertEqual(plain.status, 200)
        XCTAssertEqual(accessControl(plain), [], "\(plain.headers)")

        // An allowed Origin: edged's own header naming it, and Vary: Origin; none of the backend's.
        let c = try RawHTTP(port: stack.edgePort)
        for i in 0..<3 {   // kept alive: every response of the connection, not only the first
            try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nOrigin: https://app.example\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)")
            let r = try XCTUnwrap(try c.readResponse(), "response \(i)")
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(accessControl(r), ["Access-Control-Allow-Origin: https://app.example"], "\(r.headers)")
            XCTAssertTrue(r.headers.contains { $0.0 == "Vary" && $0.1 == "Origin" }, "\(r.headers)")
            XCTAssertEqual(r.json?["object"], "chat.completion", "the body is relayed whole")
        }
        // Then a request without Origin on the same connection: none again.
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)")
        let after = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(accessControl(after), [], "\(after.headers)")

        // edged's own answers say the same for an allowed Origin.
        let health = try XCTUnwrap(try request(stack.edgePort, "GET", "/healthz", headers: ["Origin": "https://app.example"]))
        XCTAssertEqual(accessControl(health), ["Access-Control-Allow-Origin: https://app.example"], "\(health.headers)")
        // An Origin not listed is still refused, without CORS headers.
        let other = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: chatBody, headers: ["Origin": "https://evil.example"]))
        XCTAssertEqual(other.status, 403)
        XCTAssertEqual(accessControl(other), [])
    }

    func testAPreflightFromAnAllowedOriginIsAnsweredByEdgedsPolicyNotTheBackends() throws {
        let stack = try ProxyStack(config: #""clients": {"allowedOrigins": ["https://app.example"]}"#)
        let preflight = try XCTUnwrap(try request(stack.edgePort, "OPTIONS", "/v1/chat/completions", headers: [
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization"]))
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(accessControl(preflight).sorted(), [
            "Access-Control-Allow-Headers: content-type, authorization", "Access-Control-Allow-Methods: POST",
            "Access-Control-Allow-Origin: https://app.example"], "\(preflight.headers)")
        // The same question from a page not listed: refused, no CORS headers.
        let other = try XCTUnwrap(try request(stack.edgePort, "OPTIONS", "/v1/chat/completions", headers: [
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"]))
        XCTAssertEqual(other.status, 403)
        XCTAssertEqual(accessControl(other), [])
        // A POST carrying the preflight headers gets no Allow-Methods/-Headers: only a preflight asks.
        let post = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: chatBody, headers: [
            "Origin": "https://app.example", "Access-Control-Request-Method": "PUT"]))
        XCTAssertEqual(accessControl(post), ["Access-Control-Allow-Origin: https://app.example"], "\(post.headers)")
    }

    func testStreamedResponsesLoseTheBackendsCORSHeadersToo() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        let body = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let r = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(accessControl(r), [], "\(r.headers)")
        XCTAssertTrue(r.bodyText.contains("data: [DONE]"), r.bodyText)
    }
}
