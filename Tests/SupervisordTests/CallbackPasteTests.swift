import XCTest
@testable import supervisord

/// What reaches a browser login's stdin: only a line cli-proxy-api can use
/// (internal/misc/oauth.go ParseOAuthCallback, and the state check in
/// sdk/auth/claude.go); anything else would end the login there.
final class CallbackPasteTests: XCTestCase {
    let state = "st4te"

    func verdict(_ line: String, expected: String? = "st4te") -> CallbackPaste.Verdict {
        CallbackPaste.check(line, expectedState: expected)
    }

    func refused(_ line: String, _ containing: String, file: StaticString = #filePath, line n: UInt = #line) {
        guard case .refuse(let why) = verdict(line) else { return XCTFail("\(line) was forwarded", file: file, line: n) }
        XCTAssertTrue(why.contains(containing), why, file: file, line: n)
    }

    func testTheCallbackAddressIsForwardedTrimmed() {
        XCTAssertEqual(verdict("  http://localhost:54545/callback?code=abc&state=st4te \r"),
                       .forward("http://localhost:54545/callback?code=abc&state=st4te"))
        XCTAssertEqual(verdict("http://localhost:51121/oauth-callback?state=st4te&code=a%2Fb&scope=x"),
                       .forward("http://localhost:51121/oauth-callback?state=st4te&code=a%2Fb&scope=x"))
        // Parameters in the fragment count when the query lacks them.
        XCTAssertEqual(verdict("http://localhost:54545/callback#code=abc&state=st4te"),
                       .forward("http://localhost:54545/callback#code=abc&state=st4te"))
        // Without a known state (the URL line was not seen) any state passes.
        XCTAssertEqual(verdict("http://localhost:54545/callback?code=abc&state=other", expected: nil),
                       .forward("http://localhost:54545/callback?code=abc&state=other"))
        // An OAuth error callback (the user said no) goes through: the login then ends with it.
        XCTAssertEqual(verdict("http://localhost:54545/callback?error=access_denied&state=st4te"),
                       .forward("http://localhost:54545/callback?error=access_denied&state=st4te"))
    }

    func testWrongLinesAreRefusedWithTheReason() {
        refused("", "nothing was pasted")
        refused("   ", "nothing was pasted")
        refused("https://claude.ai/oauth/authorize?client_id=x&state=st4te", "no code=")
        refused("hello", "no code=")
        refused("http://localhost:54545/callback?code=abc", "no state=")
        refused("http://localhost:54545/callback?code=abc&state=old", "another sign-in attempt")
        refused("http://localhost:54545/callback?code=a\u{1b}[2J&state=st4te", "control characters")
        refused("http://localhost/?code=" + String(repeating: "a", count: 9000) + "&state=st4te", "too long")
    }

    func testTheStateIsTakenFromTheAuthorizationURL() {
        XCTAssertEqual(CallbackPaste.authorizationState(in: "https://claude.ai/oauth/authorize?code=true&client_id=9d&state=abc123&code_challenge=x"), "abc123")
        XCTAssertEqual(CallbackPaste.authorizationState(in: "Visit the following URL to continue authentication:"), nil)
        XCTAssertEqual(CallbackPaste.authorizationState(in: "open https://x.invalid/a?state=s1 now"), "s1")
    }
}
