import Foundation
import Shared
import XCTest

/// A 3xx from Factory (or whatever answers at factory.baseURL) is never
/// followed: the repeated request would carry authd's token to another host.
final class FactoryRedirectTests: XCTestCase {
    func testARedirectFromFactoryIsNeverFollowed() throws {
        let s = try FactoryTests.Stack()
        let elsewhere = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { elsewhere.close() }
        let port = elsewhere.localAddress()!.port
        for status in [307, 308] {
            try s.next(#"{"redirect": "http://127.0.0.1:\#(port)/api/llm/o/v1/chat/completions", "redirect_status": \#(status)}"#)
            let r = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#)
            XCTAssertEqual(r.status, 502, r.bodyText)
            let message = r.json?["error"]?["message"]?.stringValue ?? ""
            XCTAssertTrue(message.contains("answered \(status) redirecting to http://127.0.0.1:\(port)") && message.contains("not followed"), message)
        }
        XCTAssertEqual(try Poll.readable(elsewhere.fd, timeoutMs: 200), false, "the redirect target received a connection")
        XCTAssertEqual(try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
    }
}
