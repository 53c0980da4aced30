import Foundation
import IPC
import Shared
import XCTest

/// Token custody: what authd does with the refresh token when WorkOS, the disk,
/// Factory or the operator misbehave, and what leaves the daemons' memory.
final class CustodyTests: XCTestCase {
    typealias Harness = AuthdTests.Harness

    func startedWithToken(_ seed: String) throws -> Harness {
        let h = try Harness()
        try h.seed(seed)
        try h.startAuthd(env: ["DROID_REFRESH_KEY": seed])
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"]?.stringValue != nil }, h.authd!.text)
        return h
    }

    // MARK: 1. importing Droid CLI's login

    func testImportSaysTheTokenIsSharedAndNeedsConsent() throws {
        let h = try Harness()
        try h.startAuthd()
        try h.seed("shared-rt")
        let file = h.dir.write("auth.json", #"{"access_token": "not-a-jwt", "refresh_token": "shared-rt"}"#)
        // stdin is not a terminal (runToEnd gives /dev/null): without --yes nothing is imported.
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["login", "--import", file, "--root", h.dir.path])
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("rotates the refresh token on every refresh"), out)
        XCTAssertTrue(out.contains("`droidgate login`") && out.contains("device flow"), out)
        XCTAssertTrue(out.contains("pass --yes"), out)
        XCTAssertEqual(try h.call("status")["tier"], "passthrough", "nothing reached authd")
        let (yrc, yout) = try runToEnd(Binaries.path("droidgate"), ["login", "--import", file, "--yes", "--root", h.dir.path])
        XCTAssertEqual(yrc, 0, yout)
        XCTAssertTrue(yout.contains("rotates the refresh token"), "the warning is said with --yes too: \(yout)")
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"]?.stringValue?.hasPrefix("eyJ") == true }, h.authd!.text)
    }

    func testATerminalIsAskedBeforeImporting() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("needs script(1) for a terminal") }
        let h = try Harness()
        try h.startAuthd()
        try h.seed("tty-rt")
        let file = h.dir.write("auth.json", #"{"access_token": "not-a-jwt", "refresh_token": "tty-rt"}"#)
        // script(1) runs the command on a pseudo-terminal fed from our stdin.
        let command = "\(Binaries.path("droidgate")) login --import \(file) --root \(h.dir.path)"
        let (rc, out) = try runWithStdin("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: "n\n")
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("Import anyway? [y/N]") && out.contains("nothing imported"), out)
        XCTAssertEqual(try h.call("status")["tier"], "passthrough")
        let (yrc, yout) = try runWithStdin("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: "y\n")
        XCTAssertEqual(yrc, 0, yout)
        XCTAssertTrue(yout.contains("Logged in"), yout)
        XCTAssertEqual(try h.call("status")["tier"], "refresh-token")
    }

    func testDroidsEncryptedStoreIsRefusedByName() throws {
        let h = try Harness()
        try h.startAuthd()
        let file = h.dir.write("auth.v2.file", "q83vEjRWeJA=:ESIzRFVmd4g=:qrvM3e7/ABE=\n")
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["login", "--import", file, "--yes", "--root", h.dir.path])
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("encrypted login store") && out.contains("does not decrypt"), out)
        XCTAssertTrue(out.contains("droidgate login"), out)
        XCTAssertEqual(try h.call("status")["tier"], "passthrough")
    }

    // MARK: 2. only invalid_grant means relogin

    func testOther4xxAreDegradedAndTheTokenIsStillServed() throws {
        let h = try startedWithToken("fourxx-seed")
        let token = try h.call("token.get")["token"]?.stringValue
        for knob in [#"{"status": 403}"#, #"{"status": 404}"#, #"{"status": 401, "error": "invalid_client"}"#,
                     #"{"status": 400, "error": "invalid_request"}"#] {
            try h.knobs(knob)
            XCTAssertEqual(try h.call("token.refresh")["token"]?.stringValue, token, "\(knob): still served")
            let s = try h.call("status")
            XCTAssertEqual(s["credentials"], "degraded", "\(knob): \(s)")
            XCTAssertNotNil(s["nextRefresh"]?.stringValue, "\(knob): a retry is scheduled")
        }
        XCTAssertTrue(h.authd!.text.contains("WorkOS answered 403"), h.authd!.text)
        // invalid_grant, and only it, ends the session.
        try h.knobs(#"{"status": 400, "error": "invalid_grant"}"#)
        XCTAssertThrowsError(try h.call("token.refresh"))
        XCTAssertEqual(try h.call("status")["credentials"], "relogin_required")
    }

    // MARK: 3. a rotated pair that could not be written

    func testTheRotatedPairHeldInMemoryIsTheOneRefreshedNext() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to bind-mount over tokens.json") }
        let h = try startedWithToken("persist-seed")
        let stored = h.stateDir + "/tokens.json"
        // A file mounted over tokens.json: the temp file can still be made (so the worker
        // refreshes, and WorkOS rotates), but the rename onto it fails (EBUSY), and reading it
        // shows the pair of before the rotation. (A read-only dir would stop the worker before
        // it refreshes, which rotates nothing.)
        let decoy = h.dir.path + "/decoy.json"
        try FileManager.default.copyItem(atPath: stored, toPath: decoy)
        XCTAssertEqual(try runToEnd("/bin/mount", ["--bind", decoy, stored]).0, 0)
        defer { unmount(stored) }
        _ = try h.call("token.refresh")
        var s = try h.call("status")
        XCTAssertEqual(s["unsaved"], true, "\(s)")
        XCTAssertTrue(s["lastError"]?.stringValue?.contains("cannot write") == true, "\(s)")
        // The next refresh while the write still fails: the pair in memory is refreshed. The one
        // on disk was exchanged already; sent, WorkOS would answer invalid_grant.
        let t2 = try h.call("token.refresh")["token"]?.stringValue
        XCTAssertNotNil(t2)
        s = try h.call("status")
        XCTAssertNotEqual(s["credentials"], "relogin_required", "\(s)")
        XCTAssertEqual(try h.workosState()["rejected_count"]?.intValue, 0, "the dead pair on disk was never sent")
        // Once the disk takes writes again, the held pair lands there and is the valid one.
        unmount(stored)
        _ = try h.call("token.refresh")
        s = try h.call("status")
        XCTAssertEqual(s["unsaved"], false, "\(s)")
        XCTAssertEqual(s["credentials"], "ok", "\(s)")
        let valid = (try h.workosState()["valid_refresh_tokens"]?.arrayValue ?? []).compactMap(\.stringValue)
        XCTAssertEqual(valid, [try XCTUnwrap(h.storedRefreshToken())])
        try assertNoTokenLeaked(h)
    }

    // MARK: 5. refreshes after a Factory 401

    func testRefreshesAfterUpstream401AreLimited() throws {
        let h = try startedWithToken("limit-seed")
        let t1 = try XCTUnwrap(try h.call("token.get")["token"]?.stringValue)
        let before = try h.workosState()["refresh_count"]?.intValue ?? 0
        // Factory refused t1: one refresh.
        let t2 = try XCTUnwrap(try h.call("token.refresh", ["rejected": .string(TokenFingerprint.of(t1))])["token"]?.stringValue)
        XCTAssertNotEqual(t2, t1)
        XCTAssertEqual(try h.workosState()["refresh_count"]?.intValue, before + 1)
        // More requests that were in flight with t1: the current token, no refresh.
        for _ in 0..<3 {
            XCTAssertEqual(try h.call("token.refresh", ["rejected": .string(TokenFingerprint.of(t1))])["token"]?.stringValue, t2)
        }
        // Factory refuses t2 at once too: not another rotation within 30 s.
        for _ in 0..<3 {
            XCTAssertThrowsError(try h.call("token.refresh", ["rejected": .string(TokenFingerprint.of(t2))])) { error in
                guard case .remote(let code, let message)? = error as? IPCError else { return XCTFail("\(error)") }
                XCTAssertEqual(code, "refresh_limited")
                XCTAssertTrue(message.contains("at most one per 30 s"), message)
            }
        }
        XCTAssertEqual(try h.workosState()["refresh_count"]?.intValue, before + 1, "one rotation in all")
        XCTAssertEqual(try h.call("token.get")["token"]?.stringValue, t2, "the current token is still served")
        XCTAssertTrue(h.authd!.text.contains("not refreshing (at most one per 30 s)"), h.authd!.text)
    }

    // MARK: 6. unsafe state files

    func testUnsafeStateFilesExitWithStatus2AndOneLine() throws {
        let h = try Harness()
        try FileManager.default.createDirectory(atPath: h.stateDir, withIntermediateDirectories: true)
        chmod(h.stateDir, 0o700)
        _ = h.dir.write("state/auth/tokens.json", #"{"refresh_token": "x"}"#)
        chmod(h.stateDir + "/tokens.json", 0o640)
        let (rc, out) = try runToEnd(Binaries.path("authd"), ["--config", h.configPath], environment: ["DROIDGATE_ROOT": h.dir.path])
        XCTAssertEqual(rc, 2, "a configuration error: the unit's RestartPreventExitStatus=2 stops restarts; \(out)")
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, out)
        XCTAssertTrue(out.contains("has mode 640") && out.contains("fix: chmod 600 \(h.stateDir)/tokens.json"), out)
        let unit = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../systemd/droidgate-authd.service").standardized.path, encoding: .utf8)
        XCTAssertTrue(unit.contains("\nRestartPreventExitStatus=2\n"), "the unit does not restart on 2")
    }

    // MARK: 8. redirects from WorkOS

    func testARedirectFromWorkOSIsNeverFollowed() throws {
        let h = try startedWithToken("redirect-seed")
        let token = try h.call("token.get")["token"]?.stringValue
        // Where the redirect points: a listener that must never see a connection.
        let elsewhere = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
        defer { elsewhere.close() }
        let port = elsewhere.localAddress()!.port
        for status in [307, 308, 302] {
            try h.knobs(#"{"redirect": "http://127.0.0.1:\#(port)/user_management/authenticate", "redirect_status": \#(status)}"#)
            XCTAssertEqual(try h.call("token.refresh")["token"]?.stringValue, token, "still served")
            let s = try h.call("status")
            XCTAssertEqual(s["credentials"], "degraded", "\(s)")
            let why = s["lastError"]?.stringValue ?? ""
            XCTAssertTrue(why.contains("WorkOS answered \(status)") && why.contains("redirecting to http://127.0.0.1:\(port)")
                          && why.contains("not followed"), why)
        }
        XCTAssertEqual(try Poll.readable(elsewhere.fd, timeoutMs: 200), false, "the redirect target received a connection")
        // The session is intact: the next refresh works.
        XCTAssertNotEqual(try h.call("token.refresh")["token"]?.stringValue, token)
        XCTAssertEqual(try h.call("status")["credentials"], "ok")
    }

    func assertNoTokenLeaked(_ h: Harness, file: StaticString = #filePath, line: UInt = #line) throws {
        let issued = (try h.workosState()["issued"]?.arrayValue ?? []).compactMap(\.stringValue)
        let text = h.allOutput
        for t in issued where text.contains(t) {
            XCTFail("a token appears in daemon output: \(t.prefix(12))…", file: file, line: line)
        }
    }
}
