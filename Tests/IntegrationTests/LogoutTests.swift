import Foundation
import IPC
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
        XCTAssertTrue(s.up.waitFor("cached token discarded"), s.up.text)
    }

    /// An edged that was not connected when the credentials went away learns it on reconnecting.
    func testAnEdgedThatMissedTheLogoutDropsItsTokenOnReconnect() throws {
        let s = try FactoryTests.Stack(env: [:])   // no DROID_REFRESH_KEY to fall back on
        _ = try request(s.workosPort, "POST", "/_fake/seed", body: #"{"refresh_token":"reconnect-rt"}"#)
        let (rc, out) = try runWithStdin(Binaries.path("droidgate"), ["login", "--refresh-token", "-", "--config", s.dir.path + "/droidgate.json"],
                                         stdin: "reconnect-rt\n")
        XCTAssertEqual(rc, 0, out)
        let body = #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertTrue(eventually { (try? s.post("/v1/chat/completions", body).status) == 200 }, s.up.text)
        // authd dies and its tokens go (an operator removing tokens.json); the launcher restarts
        // it, and edged subscribes again.
        let authdPid = try XCTUnwrap(try IPCClient(path: s.dir.path + "/.droidgate/run/authd.sock", role: "test").call("status").result["pid"]?.intValue)
        kill(Int32(authdPid), SIGKILL)
        try FileManager.default.removeItem(atPath: s.dir.path + "/.droidgate/state/auth/tokens.json")
        XCTAssertTrue(eventually(timeout: 15) { s.up.text.contains("cached token discarded") }, s.up.text)
        let r = try s.post("/v1/chat/completions", body)
        XCTAssertEqual(r.status, 401, r.bodyText)
    }
}
