import Foundation
import IPC
import Shared
import XCTest

/// supervisord running the fake backend as its child, in a temp dir.
final class SupervisorTests: XCTestCase {
    final class Harness: @unchecked Sendable {
        let dir = TempDir()
        let port = freePort()
        var supervisord: RunningProcess?
        var configPath = ""

        /// `fakeArgs`: extra flags for the fake backend (through a wrapper script).
        init(fakeArgs: [String] = [], extraConfig: String = "") throws {
            var command = Binaries.path("fake-cli-proxy-api")
            if !fakeArgs.isEmpty {
                command = dir.write("backend.sh", "#!/bin/sh\nexec \(Binaries.path("fake-cli-proxy-api")) \(fakeArgs.joined(separator: " ")) \"$@\"\n")
                chmod(command, 0o755)
            }
            configPath = dir.write("droidgate.json", #"{"backend": {"command": "\#(command)", "port": \#(port), "stopTimeoutSeconds": 2\#(extraConfig)}, "log": {"level": "debug"}}"#)
        }

        func startSupervisor(_ args: [String] = []) throws {
            supervisord = try RunningProcess(Binaries.path("supervisord"), ["--config", configPath] + args, environment: ["DROIDGATE_ROOT": dir.path])
        }

        var socket: String { dir.path + "/run/supervisord.sock" }
        var stateDir: String { dir.path + "/state/backend" }
        var identityFile: String { dir.path + "/run/" + BackendIdentity.fileName }

        func backend() -> JSONValue? {
            guard let c = try? IPCClient(path: socket, role: "test") else { return nil }
            defer { c.close() }
            return try? c.call("backend.get").result
        }

        func call(_ op: OpName, _ args: JSONObject = [:]) throws -> JSONValue {
            let c = try IPCClient(path: socket, role: "test")
            defer { c.close() }
            return try c.call(op, args).result
        }

        func waitForState(_ state: String, timeout: Double = 15, where extra: (JSONValue) -> Bool = { _ in true }) -> JSONValue? {
            var last: JSONValue?
            _ = eventually(timeout: timeout) {
                last = backend()
                return last?["state"]?.stringValue == state && extra(last!)
            }
            return last?["state"]?.stringValue == state && extra(last!) ? last : nil
        }

        deinit {
            supervisord?.signal(SIGKILL)
            // Never leave a backend behind.
            if let id = BackendIdentity.read(identityFile) { kill(id.pid, SIGKILL) }
        }
    }

    func testStartsAndBecomesReadyThroughHealthz() throws {
        let h = try Harness()
        try h.startSupervisor()
        let b = try XCTUnwrap(h.waitForState("ready"), h.supervisord!.text)
        XCTAssertNotNil(b["pid"]?.intValue)
        XCTAssertEqual(b["url"]?.stringValue, "http://127.0.0.1:\(h.port)")
        XCTAssertTrue(b["apiKey"]?.stringValue?.hasPrefix("dg-") == true)
        XCTAssertEqual(try Files.status(h.stateDir + "/config.yaml").mode, 0o600)
        XCTAssertEqual(try Files.status(h.stateDir).mode, 0o700)
        XCTAssertEqual(try Files.status(h.stateDir + "/auth").mode, 0o700)
        // The backend's output is captured with a prefix.
        XCTAssertTrue(eventually { h.supervisord!.text.contains("backend: API server started successfully") }, h.supervisord!.text)
        // The status op (any peer) never shows the key.
        XCTAssertNil(try h.call("status")["backend"]?["apiKey"])
    }

    func testKilledChildIsRestartedWithBackoff() throws {
        let h = try Harness()
        try h.startSupervisor()
        let first = try XCTUnwrap(h.waitForState("ready"))
        let pid = try XCTUnwrap(first["pid"]?.intValue)
        kill(Int32(pid), SIGKILL)
        let again = try XCTUnwrap(h.waitForState("ready", where: { $0["pid"]?.intValue != pid }), h.supervisord!.text)
        XCTAssertEqual(again["restarts"]?.intValue, 1)
        XCTAssertEqual(again["lastExit"]?.stringValue, "killed by signal 9 (Killed)")
    }

    func testChildThatStopsAnsweringIsRestarted() throws {
        let h = try Harness(fakeArgs: ["--hang-after-ms", "1500"])
        try h.startSupervisor()
        let first = try XCTUnwrap(h.waitForState("ready"))
        let pid = try XCTUnwrap(first["pid"]?.intValue)
        // 3 failed checks 3 s apart, then a restart.
        let b = try XCTUnwrap(h.waitForState("ready", timeout: 30, where: { $0["pid"]?.intValue != pid }), h.supervisord!.text)
        XCTAssertEqual(b["lastExit"]?.stringValue, "stopped answering health checks")
        XCTAssertNotEqual(kill(Int32(pid), 0), 0, "the hung child was stopped")
    }

    func testChildExitingAtOnceBacksOffAndSaysWhy() throws {
        let h = try Harness(fakeArgs: ["--exit-immediately", "0"])
        try h.startSupervisor()
        var delays: [Int] = []
        XCTAssertTrue(eventually(timeout: 20) {
            guard let b = h.backend(), b["state"]?.stringValue == "backoff", let m = b["message"]?.stringValue else { return false }
            if let r = m.range(of: "restarting in ") {
                let d = Int((Double(m[r.upperBound...].prefix(while: { $0 != " " })) ?? 0) * 10)
                if delays.last != d { delays.append(d) }
            }
            return (b["restarts"]?.intValue ?? 0) >= 5
        }, h.supervisord!.text)
        let b = try XCTUnwrap(h.backend())
        XCTAssertEqual(b["lastExit"]?.stringValue, "exited with status 0", "exit 0 is a crash too")
        XCTAssertEqual(Array(delays.prefix(4)), [5, 10, 20, 40], "0.5 s doubling: \(delays)")
    }

    func testPortTakenByAForeignListenerIsReportedAndLeftAlone() throws {
        let h = try Harness()
        let foreign = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:\(h.port)")!)
        defer { foreign.close() }
        try h.startSupervisor()
        let b = try XCTUnwrap(h.waitForState("port-taken"), h.supervisord!.text)
        let message = b["message"]!.stringValue!
        XCTAssertTrue(message.contains("port \(h.port) is already taken by pid \(getpid())"), message)
        XCTAssertEqual(b["squatterPid"]?.intValue, Int(getpid()))
        XCTAssertEqual(b["listener"], .null, "nothing may be sent to it")
        XCTAssertEqual(b["pid"], .null, "no backend was started")
        XCTAssertTrue(foreign.isListeningStream(), "our listener is untouched")
    }

    func testRestartWithKeepBackendReadoptsTheSameChild() throws {
        let h = try Harness()
        try h.startSupervisor(["--keep-backend"])
        let first = try XCTUnwrap(h.waitForState("ready"))
        let pid = try XCTUnwrap(first["pid"]?.intValue)
        h.supervisord!.signal(SIGTERM)
        XCTAssertEqual(h.supervisord!.waitForExit(timeout: 5), 0)
        XCTAssertEqual(kill(Int32(pid), 0), 0, "the backend kept running")
        try h.startSupervisor(["--keep-backend"])
        let adopted = try XCTUnwrap(h.waitForState("ready"), h.supervisord!.text)
        XCTAssertEqual(adopted["pid"]?.intValue, pid)
        XCTAssertTrue(h.supervisord!.text.contains("re-adopted the running backend (pid \(pid)"))
        h.supervisord!.signal(SIGTERM)
        XCTAssertEqual(h.supervisord!.waitForExit(timeout: 10), 0)
        XCTAssertEqual(kill(Int32(pid), 0), 0, "kept again with --keep-backend")
    }

    /// Operators make backend.command a wrapper that sets the environment and
    /// ends in `exec cli-proxy-api`. Before: the recorded executable was the
    /// shell's, so a restarted supervisord took its own backend for a
    /// squatter (port-taken, every client 503) instead of re-adopting it.
    func testAWrapperScriptBackendIsReadoptedAfterARestart() throws {
        let h = try Harness(fakeArgs: ["-local-model"])
        try h.startSupervisor(["--keep-backend"])
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue, h.supervisord!.text)
        let id = try XCTUnwrap(BackendIdentity.read(h.identityFile), "the identity is recorded in the runtime dir")
        XCTAssertEqual(id.pid, pid_t(pid))
        XCTAssertEqual(id.exeInode, try Files.status(Binaries.path("fake-cli-proxy-api")).inode, "observed after the wrapper's exec")
        h.supervisord!.signal(SIGTERM)
        XCTAssertEqual(h.supervisord!.waitForExit(timeout: 5), 0)
        try h.startSupervisor(["--keep-backend"])
        let adopted = try XCTUnwrap(h.waitForState("ready"), "\(h.backend() ?? .null)\n\(h.supervisord!.text)")
        XCTAssertEqual(adopted["pid"]?.intValue, pid)
    }

    /// Before: supervisord re-adopted whatever backend.pid in the backend's
    /// own (writable) state dir named, executable path included, and
    /// reported that path as its backend.command. Now that file is not read.
    func testAPidFileTheBackendCouldForgeIsNotBelieved() throws {
        let h = try Harness()
        let decoy = try RunningProcess("/bin/sleep", ["60"])
        defer { decoy.signal(SIGKILL) }
        try Files.makeDirectory(h.stateDir, mode: 0o700)
        let start = try XCTUnwrap(ProcFS.stat(of: decoy.pid)?.startTime)
        // Exactly what the previous supervisord wrote and checked: pid, start time, /proc/PID/exe.
        let exe = try XCTUnwrap(ProcFS.executable(of: decoy.pid))
        let forged: JSONValue = ["pid": .int(Int(decoy.pid)), "startTime": .string(String(start)), "executable": .string(exe)]
        try Files.writeAtomically(h.stateDir + "/backend.pid", forged.serialized(), mode: 0o600)
        try h.startSupervisor()
        let b = try XCTUnwrap(h.waitForState("ready"), "\(h.backend() ?? .null)\n\(h.supervisord!.text)")
        XCTAssertNotEqual(b["pid"]?.intValue, Int(decoy.pid), "adopted the process a forged file named")
        XCTAssertNotEqual(b["command"]?.stringValue, exe)
        XCTAssertFalse(h.supervisord!.text.contains("re-adopted"), h.supervisord!.text)
    }

    func testStopWithoutKeepStopsTheChild() throws {
        let h = try Harness()
        try h.startSupervisor()
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue)
        h.supervisord!.signal(SIGTERM)
        XCTAssertEqual(h.supervisord!.waitForExit(timeout: 10), 0)
        XCTAssertTrue(eventually(timeout: 5) { kill(Int32(pid), 0) != 0 }, "child stopped")
        XCTAssertFalse(Files.exists(h.identityFile))
    }

    func testMissingCommandIsActionable() throws {
        let h = try Harness()
        h.configPath = h.dir.write("droidgate.json", #"{"backend": {"command": "definitely-not-installed-cpa"}}"#)
        try h.startSupervisor()
        let b = try XCTUnwrap(h.waitForState("missing"))
        let m = b["message"]!.stringValue!
        XCTAssertTrue(m.contains("backend.command") && m.contains("--demo"), m)
    }

    func testReloadRerendersAndOnlyAPortChangeRestarts() throws {
        let h = try Harness()
        try h.startSupervisor()
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue)
        _ = h.dir.write("droidgate.json", #"{"backend": {"command": "\#(Binaries.path("fake-cli-proxy-api"))", "port": \#(h.port), "extraConfig": {"debug": true}}}"#)
        h.supervisord!.signal(SIGHUP)
        XCTAssertTrue(eventually { ((try? String(contentsOfFile: h.stateDir + "/config.yaml", encoding: .utf8)) ?? "").contains("debug: true") })
        XCTAssertEqual(h.backend()?["pid"]?.intValue, pid, "no restart for a hot-reloadable change")
        let newPort = freePort()
        _ = h.dir.write("droidgate.json", #"{"backend": {"command": "\#(Binaries.path("fake-cli-proxy-api"))", "port": \#(newPort)}}"#)
        _ = try h.call("reload")
        XCTAssertNotNil(h.waitForState("ready", where: { $0["pid"]?.intValue != pid && $0["url"]?.stringValue == "http://127.0.0.1:\(newPort)" }), h.supervisord!.text)
    }

    func testAccountsLoginListDisableRemoveAndProviders() throws {
        let h = try Harness()
        try h.startSupervisor()
        _ = try XCTUnwrap(h.waitForState("ready"))
        // A device-flow login through the CLI: it relays the URL and code, then confirms.
        // (The browser logins' paste flow: BackendLoginTests.)
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["backend", "login", "kimi", "--root", h.dir.path])
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("https://") && out.contains("Signed in"), out)
        let list = try h.call("backend.accounts")["accounts"]?.arrayValue ?? []
        XCTAssertEqual(list.count, 1)
        let account = try XCTUnwrap(list.first?["account"]?.stringValue)
        XCTAssertEqual(list.first?["provider"], "kimi")
        let (lrc, listing) = try runToEnd(Binaries.path("droidgate"), ["backend", "accounts", "--root", h.dir.path])
        XCTAssertEqual(lrc, 0)
        XCTAssertFalse(listing.contains("fake-access") || listing.contains("fake-refresh"), "no secrets: \(listing)")
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["backend", "accounts", "--disable", account, "--root", h.dir.path]).0, 0)
        let file = h.stateDir + "/auth/\(account).json"
        let v = try JSONValue(parsing: try Files.read(file))
        XCTAssertEqual(v["disabled"], true)
        XCTAssertEqual(v["access_token"], "fake-access", "other keys kept")
        XCTAssertEqual(try Files.status(file).mode, 0o600)
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["backend", "providers", "--disable", "kimi", "--root", h.dir.path]).0, 0)
        let yaml = try String(contentsOfFile: h.stateDir + "/config.yaml", encoding: .utf8)
        XCTAssertTrue(yaml.contains("oauth-excluded-models:\n  kimi:\n    - \"*\""), yaml)
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["backend", "accounts", "--remove", account, "--root", h.dir.path]).0, 0)
        XCTAssertFalse(Files.exists(file))
        let (brc, bad) = try runToEnd(Binaries.path("droidgate"), ["backend", "accounts", "--remove", "../etc/passwd", "--root", h.dir.path])
        XCTAssertEqual(brc, 1)
        XCTAssertTrue(bad.contains("not an account name"), bad)
        let (_, log) = try runToEnd(Binaries.path("droidgate"), ["status", "--backend-log", "--root", h.dir.path])
        XCTAssertTrue(log.contains("API server started successfully"), log)
    }
}

/// edged in front of a supervised backend: what clients see across backend
/// crashes and supervisord restarts.
final class SupervisedProxyTests: XCTestCase {
    func testRequestsDuringABackendCrashAreHeldThenServed() throws {
        let h = try SupervisorTests.Harness()
        try h.startSupervisor()
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue)
        let edge = try startEdged(h)
        defer { edge.process.signal(SIGKILL) }
        kill(Int32(pid), SIGKILL)
        let body = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#
        let r = try XCTUnwrap(try request(edge.port, "POST", "/v1/chat/completions", body: body))
        XCTAssertEqual(r.status, 200, r.bodyText)
        XCTAssertNotEqual(h.backend()?["pid"]?.intValue, pid)
        // The backend's key is never shown to clients or status readers.
        let key = try XCTUnwrap(h.backend()?["apiKey"]?.stringValue)
        let health = try XCTUnwrap(try request(edge.port, "GET", "/healthz")).bodyText
        XCTAssertFalse(health.contains(key), health)
        XCTAssertTrue(health.contains("\"backend\":{\"state\""), health)
        let status = try runToEnd(Binaries.path("droidgate"), ["status", "--json", "--root", h.dir.path]).1
        XCTAssertFalse(status.contains(key), "status must not show the backend key")
    }

    func testAStreamSurvivesASupervisordRestart() throws {
        let h = try SupervisorTests.Harness()
        try h.startSupervisor(["--keep-backend"])
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue)
        let edge = try startEdged(h)
        defer { edge.process.signal(SIGKILL) }
        let c = try RawHTTP(port: edge.port)
        let body = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-events: 20\r\nx-fake-event-delay-ms: 100\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(try c.waitFor("\"content\":\"", timeout: 5))
        h.supervisord!.signal(SIGTERM)
        XCTAssertEqual(h.supervisord!.waitForExit(timeout: 5), 0)
        try h.startSupervisor(["--keep-backend"])
        XCTAssertNotNil(h.waitForState("ready", where: { $0["pid"]?.intValue == pid }), "same child, re-adopted")
        let r = try XCTUnwrap(try c.readResponse(timeout: 15))
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.bodyText.contains("data: [DONE]"), "the stream completed: \(r.bodyText.suffix(200))")
        // edged's IPC client reconnected to the new supervisord.
        XCTAssertTrue(eventually { edge.process.text.contains("connected to supervisord again") }, edge.process.text)
    }

    struct Edge { let process: RunningProcess; let port: UInt16 }

    func startEdged(_ h: SupervisorTests.Harness) throws -> Edge {
        let port = freePort()
        let config = h.dir.write("edge.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"port": \#(h.port)}, "limits": {"backendHoldSeconds": 5}}"#)
        let p = try RunningProcess(Binaries.path("edged"), ["--config", config], environment: ["DROIDGATE_ROOT": h.dir.path])
        guard eventually({ p.text.contains("connected to supervisord") && (try? RawHTTP(port: port)) != nil }) else {
            throw TimedOut(what: "edged start: \(p.text)", seconds: 10)
        }
        return Edge(process: p, port: port)
    }
}
