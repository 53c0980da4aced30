import Foundation
import Shared
import XCTest

/// `droidgate backend login` against a fake cli-proxy-api whose logins behave
/// like the real ones: Claude and Antigravity wait for a browser callback on
/// the backend host and, after a while (15 s in the real program; shortened
/// here with the fake's --paste-after-ms), also read a pasted callback URL on
/// stdin; kimi/xai/codex are device flows; logging in an existing account
/// rewrites its file. Failed before: the CLI could not paste (stdin was
/// /dev/null), and re-login was reported as a failure.
final class BackendLoginTests: XCTestCase {
    typealias Harness = SupervisorTests.Harness

    func startLogin(_ h: Harness, _ provider: String, port: UInt16) throws -> RunningProcess {
        try RunningProcess(Binaries.path("droidgate"),
                           ["backend", "login", provider, "--callback-port", String(port), "--root", h.dir.path], input: true)
    }

    /// The `state` of the authorization URL the login printed.
    func authorizationState(_ p: RunningProcess) throws -> String {
        var state: String?
        _ = eventually(timeout: 15) {
            guard let r = p.text.range(of: #"state=[A-Za-z0-9_\-]+"#, options: .regularExpression) else { return false }
            state = String(p.text[r].dropFirst("state=".count))
            return true
        }
        return try XCTUnwrap(state, "no authorization URL printed: \(p.text)")
    }

    func readyHarness() throws -> Harness {
        let h = try Harness(fakeArgs: ["--paste-after-ms", "300"])
        try h.startSupervisor()
        _ = try XCTUnwrap(h.waitForState("ready"), h.supervisord!.text)
        return h
    }

    func testPastedCallbackFinishesAClaudeLoginAndWrongLinesAreRefused() throws {
        let h = try readyHarness()
        let port = freePort()
        let login = try startLogin(h, "claude", port: port)
        defer { login.signal(SIGKILL) }
        let state = try authorizationState(login)
        // Claude's redirect address is fixed; --callback-port moves only the listener.
        XCTAssertTrue(login.text.contains("http://localhost:54545/callback"), "explains where the browser lands: \(login.text)")

        login.type("hello")
        XCTAssertTrue(eventually { login.text.contains("not the callback address") }, login.text)
        login.type("http://localhost:54545/callback?code=abc&state=someoneelse")
        XCTAssertTrue(eventually { login.text.contains("another sign-in attempt") }, login.text)
        XCTAssertTrue(login.process.isRunning, "a wrong paste does not end the login")

        login.type("http://localhost:54545/callback?code=good-code&state=\(state)")
        XCTAssertEqual(login.waitForExit(timeout: 20), 0, login.text)
        XCTAssertTrue(login.text.contains("account claude-"), login.text)
        XCTAssertTrue(login.text.contains("added"), login.text)
        let accounts = try h.call("backend.accounts")["accounts"]?.arrayValue ?? []
        XCTAssertEqual(accounts.compactMap { $0["provider"]?.stringValue }, ["claude"])

        // The same account again: the file is rewritten, which is a success.
        let again = try startLogin(h, "claude", port: port)
        defer { again.signal(SIGKILL) }
        let state2 = try authorizationState(again)
        again.type("http://localhost:54545/callback?code=second&state=\(state2)")
        XCTAssertEqual(again.waitForExit(timeout: 20), 0, again.text)
        XCTAssertTrue(again.text.contains("updated account claude-"), again.text)
        XCTAssertEqual(try h.call("backend.accounts")["accounts"]?.arrayValue?.count, 1)
    }

    func testBrowserCallbackOnTheHostFinishesAnAntigravityLogin() throws {
        let h = try readyHarness()
        let port = freePort()
        let login = try startLogin(h, "antigravity", port: port)
        defer { login.signal(SIGKILL) }
        let state = try authorizationState(login)
        XCTAssertTrue(login.text.contains("http://localhost:\(port)/oauth-callback"), login.text)
        var answered = false
        XCTAssertTrue(eventually {
            answered = (try? request(port, "GET", "/oauth-callback?code=c0de&state=\(state)")) != nil
            return answered
        }, "the login's callback listener answers: \(login.text)")
        XCTAssertEqual(login.waitForExit(timeout: 20), 0, login.text)
        XCTAssertTrue(login.text.contains("account antigravity"), login.text)
    }

    func testDeviceFlowsNeedNoPaste() throws {
        let h = try readyHarness()
        for provider in ["codex", "kimi", "xai"] {
            let login = try startLogin(h, provider, port: freePort())
            defer { login.signal(SIGKILL) }
            XCTAssertEqual(login.waitForExit(timeout: 30), 0, "\(provider): \(login.text)")
            XCTAssertFalse(login.text.contains("paste it here"), "\(provider) is a device flow: \(login.text)")
            XCTAssertTrue(login.text.contains("Signed in"), login.text)
        }
        let providers = try h.call("backend.accounts")["accounts"]?.arrayValue?.compactMap { $0["provider"]?.stringValue }
        XCTAssertEqual(providers?.sorted(), ["codex", "kimi", "xai"])
    }

    func testCtrlCCancelsTheLoginProcess() throws {
        let h = try readyHarness()
        let port = freePort()
        let login = try startLogin(h, "claude", port: port)
        defer { login.signal(SIGKILL) }
        _ = try authorizationState(login)
        XCTAssertTrue(eventually { (try? RawHTTP(port: port)) != nil }, "the login listens for its callback")
        login.signal(SIGINT)
        XCTAssertEqual(login.waitForExit(timeout: 10), 130, login.text)
        XCTAssertTrue(login.text.contains("cancelled"), login.text)
        XCTAssertTrue(eventually { (try? RawHTTP(port: port)) == nil }, "the login process is gone (its callback port is closed)")
        XCTAssertTrue(eventually { h.supervisord!.text.contains("claude login was cancelled") }, h.supervisord!.text)
        XCTAssertEqual(try h.call("backend.accounts")["accounts"]?.arrayValue?.count, 0)
    }

    func testOnlyTheStartingConnectionMayTypeIntoALogin() throws {
        let h = try readyHarness()
        let login = try startLogin(h, "claude", port: freePort())
        defer { login.signal(SIGKILL) }
        _ = try authorizationState(login)
        XCTAssertThrowsError(try h.call("backend.login.input", ["login": 1, "line": "http://localhost/?code=x&state=y"])) { e in
            XCTAssertTrue("\(e)".contains("no login 1 started on this connection"), "\(e)")
        }
    }
}
