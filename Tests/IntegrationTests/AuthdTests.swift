import Foundation
import IPC
import Shared
import XCTest

/// authd against the fake WorkOS: tiers, rotation, crash safety, failures.
final class AuthdTests: XCTestCase {
    /// fake-workos plus an authd configured against it, in a temp dir.
    final class Harness: @unchecked Sendable {
        let dir = TempDir()
        let workosPort = freePort()
        var workos: RunningProcess?
        var authd: RunningProcess?
        var outputs: [String] = []
        var configPath = ""
        var stateDir: String { dir.path + "/state/auth" }
        var socket: String { dir.path + "/run/authd.sock" }

        init(workosArgs: [String] = [], env: [String: String] = [:]) throws {
            try startWorkOS(workosArgs)
            configPath = dir.write("droidgate.json", #"{"auth": {"workosBaseURL": "http://127.0.0.1:\#(workosPort)", "timeoutSeconds": 2}, "log": {"level": "debug"}}"#)
        }

        func startWorkOS(_ args: [String] = []) throws {
            if let w = workos { outputs.append(w.text) }
            let w = try RunningProcess(Binaries.path("fake-workos"), ["--port", String(workosPort), "--state-file", dir.path + "/workos.json"] + args)
            guard eventually({ (try? RawHTTP(port: workosPort)) != nil }) else { throw TimedOut(what: "fake-workos: \(w.text)", seconds: 10) }
            workos = w
        }

        func startAuthd(env: [String: String] = [:], prefix: [String] = []) throws {
            if let a = authd { outputs.append(a.text) }
            let exe = prefix.isEmpty ? Binaries.path("authd") : prefix[0]
            let args = prefix.isEmpty ? ["--config", configPath] : Array(prefix.dropFirst()) + [Binaries.path("authd"), "--config", configPath]
            authd = try RunningProcess(exe, args, environment: ["DROIDGATE_ROOT": dir.path].merging(env) { _, b in b })
            guard eventually({ (try? IPCClient(path: socket, role: "test", servedBy: servedBy)) != nil || authd!.waitForExit(timeout: 0) != nil }) else {
                throw TimedOut(what: "authd: \(authd!.text)", seconds: 10)
            }
        }

        /// Who may serve authd's socket: root and us, and nobody when a test runs authd as nobody.
        var servedBy: Set<uid_t> = [0, geteuid()]

        func call(_ op: OpName, _ args: JSONObject = [:], timeout: Double = 30) throws -> JSONValue {
            let c = try IPCClient(path: socket, role: "test", servedBy: servedBy)
            defer { c.close() }
            return try c.call(op, args, timeout: timeout).result
        }

        func workosState() throws -> JSONValue { try XCTUnwrap(try request(workosPort, "GET", "/_fake/state")?.json) }
        func knobs(_ json: String) throws { _ = try request(workosPort, "POST", "/_fake/knobs", body: json) }
        func seed(_ token: String) throws { _ = try request(workosPort, "POST", "/_fake/seed", body: #"{"refresh_token":"\#(token)"}"#) }

        /// Live `authd --refresh-worker` processes started for this harness's config.
        func refreshWorkerPIDs() -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).filter { pid in
                guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let args = cmd.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return args.contains("--refresh-worker") && args.contains(configPath)
            }
        }

        func storedRefreshToken() -> String? {
            guard let b = try? Files.read(stateDir + "/tokens.json"), let v = try? JSONValue(parsing: b) else { return nil }
            return v["refresh_token"]?.stringValue
        }

        /// Every output so far (for the no-token-in-logs check).
        var allOutput: String { (outputs + [authd?.text ?? "", workos?.text ?? ""]).joined(separator: "\n") }

        deinit {
            authd?.signal(SIGKILL)
            workos?.signal(SIGKILL)
        }
    }

    func assertNoTokenLeaked(_ h: Harness, file: StaticString = #filePath, line: UInt = #line) throws {
        let issued = (try h.workosState()["issued"]?.arrayValue ?? []).compactMap(\.stringValue)
        XCTAssertFalse(issued.isEmpty, file: file, line: line)
        let text = h.allOutput
        for t in issued where text.contains(t) {
            XCTFail("a token appears in daemon output: \(t.prefix(12))…", file: file, line: line)
        }
    }

    func testAPIKeyTier() throws {
        let h = try Harness()
        try h.startAuthd(env: ["FACTORY_API_KEY": "fk-fixed-key"])
        let t = try h.call("token.get")
        XCTAssertEqual(t["token"], "fk-fixed-key")
        XCTAssertEqual(t["tier"], "api-key")
        XCTAssertEqual(try h.call("status")["tier"], "api-key")
        XCTAssertFalse(h.authd!.text.contains("fk-fixed-key"))
    }

    func testPassthroughTierWithoutCredentials() throws {
        let h = try Harness()
        try h.startAuthd()
        XCTAssertEqual(try h.call("status")["tier"], "passthrough")
        XCTAssertThrowsError(try h.call("token.get")) { error in
            guard case .remote(let code, let message)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "no_credentials")
            XCTAssertTrue(message.contains("droidgate login"), message)
        }
    }

    func testRefreshTokenTierAndRotationPersisted() throws {
        let h = try Harness()
        try h.seed("seed-1")
        try h.startAuthd(env: ["DROID_REFRESH_KEY": "seed-1"])
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"]?.stringValue != nil }, h.authd!.text)
        let first = try XCTUnwrap(h.storedRefreshToken())
        XCTAssertNotEqual(first, "seed-1", "rotated")
        XCTAssertEqual(try Files.status(h.stateDir + "/tokens.json").mode, 0o600)
        XCTAssertEqual(try Files.status(h.stateDir).mode, 0o700)
        // The second refresh uses the rotated token (the seed is dead by now).
        let t2 = try h.call("token.refresh")
        XCTAssertNotNil(t2["token"]?.stringValue)
        let second = try XCTUnwrap(h.storedRefreshToken())
        XCTAssertNotEqual(second, first)
        let s = try h.workosState()
        XCTAssertEqual(s["rejected_count"]?.intValue, 0)
        XCTAssertEqual(s["valid_refresh_tokens"]?.arrayValue?.compactMap(\.stringValue), [second])
        // A restart with the same stale DROID_REFRESH_KEY keeps using the persisted token.
        h.authd!.signal(SIGTERM)
        XCTAssertEqual(h.authd!.waitForExit(timeout: 5), 0)
        try h.startAuthd(env: ["DROID_REFRESH_KEY": "seed-1"])
        _ = try h.call("token.refresh")
        XCTAssertEqual(try h.workosState()["rejected_count"]?.intValue, 0, "the dead seed was never sent again")
        try assertNoTokenLeaked(h)
    }

    func testImportAndDeviceLoginAndLogout() throws {
        let h = try Harness(workosArgs: ["--auto-approve-after", "1", "--device-interval", "1"])
        try h.startAuthd()
        try h.seed("imported-1")
        let (rc, out) = try runWithStdin(Binaries.path("droidgate"), ["login", "--refresh-token", "-", "--root", h.dir.path], stdin: "imported-1\n")
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"] != nil })
        let (drc, dout) = try runToEnd(Binaries.path("droidgate"), ["login", "--root", h.dir.path], timeout: 30)
        XCTAssertEqual(drc, 0, dout)
        XCTAssertTrue(dout.contains("code:") && dout.contains("Logged in"), dout)
        XCTAssertEqual(try h.call("status")["source"], "device-login")
        let (lrc, lout) = try runToEnd(Binaries.path("droidgate"), ["logout", "--root", h.dir.path])
        XCTAssertEqual(lrc, 0, lout)
        XCTAssertFalse(Files.exists(h.stateDir + "/tokens.json"))
        XCTAssertEqual(try h.call("status")["tier"], "passthrough")
        // A Factory auth.json import.
        try h.seed("from-auth-json")
        let file = h.dir.write("auth.json", #"{"access_token": "not-a-jwt", "refresh_token": "from-auth-json"}"#)
        let (irc, iout) = try runToEnd(Binaries.path("droidgate"), ["login", "--import", file, "--yes", "--root", h.dir.path])
        XCTAssertEqual(irc, 0, iout)
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"]?.stringValue?.hasPrefix("eyJ") == true }, h.authd!.text)
        try assertNoTokenLeaked(h)
    }

    func testKilledDuringRefreshNeverLocksOut() throws {
        let h = try Harness()
        try h.seed("kill-seed")
        try h.knobs(#"{"latency_ms": 40}"#)
        try h.startAuthd(env: ["DROID_REFRESH_KEY": "kill-seed"])
        XCTAssertTrue(eventually { (try? h.call("token.get")) != nil })
        var lockouts = 0
        let rounds = TestScale.rounds(200, quick: 20)
        for round in 0..<rounds {
            // Ask for a refresh without waiting, then kill authd at a random point inside it.
            let c = try IPCClient(path: h.socket, role: "test")
            _ = try c.send("token.refresh")
            usleep(UInt32.random(in: 0...90_000))
            h.authd!.signal(SIGKILL)
            _ = h.authd!.waitForExit(timeout: 5)
            c.close()
            try h.startAuthd()
            // A worker the killed authd had just spawned may take the lock only after the new
            // authd started (under load, exec and runtime start take a while); the store is
            // settled once no worker of this test is left. Then what it holds must still work.
            XCTAssertTrue(eventually { h.refreshWorkerPIDs().isEmpty }, "refresh workers still running: \(h.refreshWorkerPIDs())")
            let stored = h.storedRefreshToken()
            let valid = (try h.workosState()["valid_refresh_tokens"]?.arrayValue ?? []).compactMap(\.stringValue)
            if stored == nil || !valid.contains(stored!) {
                lockouts += 1
                XCTFail("round \(round): lockout (stored token no longer accepted)")
                break
            }
        }
        XCTAssertEqual(lockouts, 0)
        let t = try h.call("token.refresh")
        XCTAssertNotNil(t["token"]?.stringValue, "a refresh still works after \(rounds) kills")
        XCTAssertGreaterThan(try h.workosState()["refresh_count"]?.intValue ?? 0, 10, "the kills landed during real refreshes")
        try assertNoTokenLeaked(h)
    }

    func testDiskFullKeepsTheOldPairValid() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a tiny tmpfs") }
        let h = try Harness()
        try h.seed("disk-seed")
        try FileManager.default.createDirectory(atPath: h.dir.path + "/state/auth", withIntermediateDirectories: true)
        guard mountTmpfs(h.stateDir, size: "64k") else { throw XCTSkip("cannot mount tmpfs here") }
        defer { unmount(h.stateDir) }
        chmod(h.stateDir, 0o700)
        try h.startAuthd(env: ["DROID_REFRESH_KEY": "disk-seed"])
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"] != nil }, h.authd!.text)
        let before = try XCTUnwrap(h.storedRefreshToken())
        let oldAccess = try h.call("token.get")["token"]?.stringValue
        // Fill the disk.
        _ = try? Data(repeating: 0x41, count: 256 * 1024).write(to: URL(fileURLWithPath: h.stateDir + "/filler"))
        // The refresh cannot persist: nothing is rotated, the current token is answered.
        XCTAssertEqual(try h.call("token.refresh")["token"]?.stringValue, oldAccess)
        let status = try h.call("status")
        XCTAssertEqual(status["credentials"], "degraded")
        XCTAssertTrue(status["lastError"]?.stringValue?.contains("No space left") == true, "\(status)")
        XCTAssertEqual(h.storedRefreshToken(), before, "old pair kept")
        XCTAssertTrue((try h.workosState()["valid_refresh_tokens"]?.arrayValue ?? []).contains(.string(before)), "and still valid at WorkOS")
        XCTAssertEqual(try h.call("token.get")["token"]?.stringValue, oldAccess, "the current access token is still served")
    }

    func testOpenStoreIsRefusedWithTheFixNamed() throws {
        let h = try Harness()
        try FileManager.default.createDirectory(atPath: h.stateDir, withIntermediateDirectories: true)
        chmod(h.stateDir, 0o700)
        _ = h.dir.write("state/auth/tokens.json", #"{"refresh_token": "x"}"#)
        chmod(h.stateDir + "/tokens.json", 0o644)
        let (rc, out) = try runToEnd(Binaries.path("authd"), ["--config", h.configPath], environment: ["DROIDGATE_ROOT": h.dir.path])
        XCTAssertEqual(rc, 2, out)
        XCTAssertTrue(out.contains("has mode 644") && out.contains("fix: chmod 600"), out)
        chmod(h.stateDir + "/tokens.json", 0o600)
        chmod(h.stateDir, 0o755)
        let (rc2, out2) = try runToEnd(Binaries.path("authd"), ["--config", h.configPath], environment: ["DROIDGATE_ROOT": h.dir.path])
        XCTAssertEqual(rc2, 2, out2)
        XCTAssertTrue(out2.contains("fix: chmod 700"), out2)
    }

    func testWorkOSErrorsBackOffAndTheOldTokenIsStillServed() throws {
        let h = try Harness()
        try h.seed("flaky-seed")
        try h.startAuthd(env: ["DROID_REFRESH_KEY": "flaky-seed"])
        XCTAssertTrue(eventually { (try? h.call("token.get")) != nil })
        let token = try h.call("token.get")["token"]?.stringValue
        try h.knobs(#"{"status": 503, "count": 5}"#)
        _ = try? h.call("token.refresh")
        var status = try h.call("status")
        XCTAssertEqual(status["credentials"], "degraded")
        XCTAssertTrue(status["lastError"]?.stringValue?.contains("503") == true, "\(status)")
        XCTAssertNotNil(status["nextRefresh"]?.stringValue, "a retry is scheduled")
        XCTAssertEqual(try h.call("token.get")["token"]?.stringValue, token)
        XCTAssertTrue(h.authd!.text.contains("retrying in 15 s"), h.authd!.text)
        // A WorkOS that never answers: the refresh times out, the token is still served.
        try h.knobs(#"{"status": 0}"#)
        try h.knobs(#"{"hang": true, "hang_count": 1}"#)
        let started = Date()
        XCTAssertEqual(try h.call("token.refresh")["token"]?.stringValue, token)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 1.5, "the refresh waited for the timeout")
        status = try h.call("status")
        XCTAssertEqual(status["credentials"], "degraded")
        let why = status["lastError"]?.stringValue ?? ""
        XCTAssertTrue(why.contains("no answer") || why.contains("timed out"), why)
    }

    func testInvalidGrantRequiresRelogin() throws {
        let h = try Harness()
        try h.seed("doomed")
        try h.startAuthd(env: ["DROID_REFRESH_KEY": "doomed"])
        XCTAssertTrue(eventually { (try? h.call("token.get")) != nil })
        _ = try request(h.workosPort, "POST", "/_fake/revoke-all")
        XCTAssertThrowsError(try h.call("token.refresh"))
        let status = try h.call("status")
        XCTAssertEqual(status["credentials"], "relogin_required")
        XCTAssertTrue(Files.exists(h.stateDir + "/tokens.json"), "kept for inspection")
        let rejected = try h.workosState()["rejected_count"]?.intValue ?? 0
        sleepSeconds(1)
        XCTAssertEqual(try h.workosState()["rejected_count"]?.intValue, rejected, "no retry loop")
        XCTAssertThrowsError(try h.call("token.get")) { error in
            guard case .remote(let code, _)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "relogin_required")
        }
    }

    func testTokenGetIsRefusedToPeersThatAreNotEdged() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to run authd as another user") }
        let h = try Harness()
        // authd runs as nobody: then root (this test) is an admin but not edged.
        chown(h.dir.path, 65534, 65534)
        h.servedBy.insert(65534)   // the client checks who serves the socket (ServerIdentity)
        try h.startAuthd(env: ["FACTORY_API_KEY": "fk"], prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        XCTAssertEqual(try h.call("status")["tier"], "api-key", "admins may read status")
        XCTAssertThrowsError(try h.call("token.get")) { error in
            guard case .remote(let code, _)? = error as? IPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(code, IPCError.Code.forbidden)
        }
    }
}

func runWithStdin(_ exe: String, _ args: [String], stdin: String) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func mountTmpfs(_ path: String, size: String) -> Bool {
    (try? runToEnd("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", path]).0) == 0
}

func unmount(_ path: String) {
    _ = try? runToEnd("/bin/umount", ["-l", path])
}
