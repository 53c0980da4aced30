import Foundation
import Shared
import XCTest

/// `droidgate logout` reaches edged at once: edged drops its cached access
/// token when authd says so, instead of sending it to Factory until it expires.
final class LogoutTests: XCTestCase {
    func testLogoutStopsEdgedUsingTheCachedTokenAtOnce() throws {
        let s = try FactoryTests.Stack()
        let body = #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(try s.post("/v1/chat/completions", body).status, 200)
        let sent = try s.recorded().count
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["logout", "--config", s.dir.path + "/droidgate.json"])
        XCTAssertEqual(rc, 0, out)
        // The token edged cached is still valid at WorkOS and Factory (a logout revokes nothing
        // there): only edged dropping it keeps it from being used.
        let r = try s.post("/v1/chat/completions", body)
        XCTAssertEqual(r.status, 401, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("no Factory credentials"), r.bodyText)
        XCTAssertEqual(try s.recorded().count, sent, "nothing reached Factory after the logout")
        XCTAssertTrue(s.up.text.contains("cached token discarded"), s.up.text)
    }
}
