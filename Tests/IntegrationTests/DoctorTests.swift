import Foundation
import IPC
import Shared
import XCTest

/// `droidgate doctor` against a healthy stack (`droidgate up`, the three real
/// daemons as processes, the fake backend) and against each broken state it
/// diagnoses.
final class DoctorTests: XCTestCase {
    /// A stack run by `droidgate up` in a temp dir.
    final class UpStack: @unchecked Sendable {
        let dir = TempDir()
        let listenPort = freePort()
        let backendPort = freePort()
        let config: String
        let settings: String
        var up: RunningProcess!

        /// `backend`: the backend command (default: the fake); `extra`: more top-level config keys.
        /// `prefix`: a command that runs `droidgate up` (e.g. prlimit with its options).
        /// `backendExtra`: more keys of the backend section (", \"localModel\": true").
        init(backend: String? = nil, extra: String = "", environment: [String: String] = [:], prefix: [String] = [],
             backendExtra: String = "") throws {
            let command = backend ?? Binaries.path("fake-cli-proxy-api")
            config = dir.write("droidgate.json", """
            {"listen": "127.0.0.1:\(listenPort)", "backend": {"command": "\(command)", "port": \(backendPort), "stopTimeoutSeconds": 2\(backendExtra)}\(extra.isEmpty ? "" : ", " + extra)}
            """)
            settings = dir.path + "/factory/settings.json"
            let argv = prefix + [Binaries.path("droidgate"), "up", "--config", config]
            up = try RunningProcess(argv[0], Array(argv.dropFirst()), environment: environment)
        }

        var root: String { dir.path + "/.droidgate" }
        var authDir: String { root + "/state/backend/auth" }

        /// Waits until the backend is ready and edged is connected to both daemons.
        func waitUntilReady() throws {
            var s: JSONValue = .null
            let ready = eventually(timeout: 30) {
                guard let (_, out) = try? runToEnd(Binaries.path("droidgate"), ["status", "--json", "--config", config], timeout: 20),
                      let v = try? JSONValue(parsing: out) else { return false }
                s = v
                return v["supervisord"]?["backend"]?["state"] == "ready"
                    && v["edged"]?["ipc"]?["authd"]?["connected"] == true
                    && v["edged"]?["ipc"]?["supervisord"]?["connected"] == true
            }
            if !ready { throw TimedOut(what: "stack start: \(s)\n\(up.text)", seconds: 30) }
        }

        /// An account file as `cli-proxy-api -<provider>-login` writes it.
        func account(_ provider: String, _ email: String, disabled: Bool = false, expired: String? = nil) {
            try? FileManager.default.createDirectory(atPath: authDir, withIntermediateDirectories: true)
            var fields = #""type": "\#(provider)", "email": "\#(email)", "disabled": \#(disabled)"#
            if let expired { fields += #", "expired": "\#(expired)""# }
            _ = dir.write(".droidgate/state/backend/auth/\(provider)-\(email).json", "{\(fields)}")
        }

        func droid(_ args: [String]) throws -> (Int32, String) {
            try runToEnd(Binaries.path("droidgate"), ["droid"] + args + ["--config", config, "--settings", settings],
                         environment: ["HOME": dir.path])
        }

        deinit {
            up?.signal(SIGTERM)
            if up?.waitForExit(timeout: 15) == nil { up?.signal(SIGKILL) }
            killProcesses(mentioning: dir.path)
        }
    }

    struct Report {
        let status: Int32
        let checks: [JSONValue]
        let raw: String

        subscript(_ name: String) -> JSONValue? { checks.first { $0["check"]?.stringValue == name } }

        func ok(_ name: String) -> Bool? { self[name]?["ok"]?.boolValue }
        func detail(_ name: String) -> String { self[name]?["detail"]?.stringValue ?? "" }
        func fix(_ name: String) -> String { self[name]?["fix"]?.stringValue ?? "" }
        var failed: [String] { checks.filter { $0["ok"] == false }.compactMap { $0["check"]?.stringValue } }
    }

    /// `droidgate doctor --json` with HOME in the test's dir (never the real ~/.factory).
    func doctor(config: String, home: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> Report {
        var env = environment
        env["HOME"] = home
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["doctor", "--json", "--config", config] + extra, environment: env, timeout: 60)
        // Only the JSON array: a daemon may log a line on the shared stderr.
        guard let start = out.firstIndex(of: "["), let v = try? JSONValue(parsing: Array(out[start...].utf8)), let list = v.arrayValue else {
            XCTFail("doctor --json did not print a JSON array: \(out)")
            return Report(status: rc, checks: [], raw: out)
        }
        return Report(status: rc, checks: list, raw: out)
    }

    func doctor(_ s: UpStack, _ extra: [String] = []) throws -> Report {
        try doctor(config: s.config, home: s.dir.path, ["--settings", s.settings] + extra)
    }

    static let allChecks = ["config", "authd", "supervisord", "edged", "listener", "backend command", "backend state",
                            "backend accounts", "factory credentials", "droid settings", "units",
                            "state dir auth", "state dir backend", "journal"]

    // MARK: - Healthy

    func testHealthyStackPassesEveryCheck() throws {
        let s = try UpStack(environment: ["FACTORY_API_KEY": "fk-doctor-test"])
        try s.waitUntilReady()
        s.account("claude", "dev@example.com")
        let (irc, iout) = try s.droid(["install"])
        XCTAssertEqual(irc, 0, iout)

        let r = try doctor(s)
        XCTAssertEqual(r.status, 0, r.raw)
        XCTAssertEqual(r.checks.compactMap { $0["check"]?.stringValue }, Self.allChecks)
        XCTAssertEqual(r.failed, [], r.raw)
        for c in r.checks {
            XCTAssertEqual(c["fix"], .null, "no fix for a passing check: \(c)")
        }
        XCTAssertTrue(r.detail("authd").contains("version \(Droidgate.version)"), r.raw)
        XCTAssertTrue(r.detail("listener").contains("127.0.0.1:\(s.listenPort)/healthz answers 200 (backend ready)"), r.raw)
        XCTAssertTrue(r.detail("backend command").contains("CLIProxyAPI fake") && r.detail("backend command").contains("supports -local-model"), r.raw)
        XCTAssertTrue(r.detail("backend state").hasPrefix("ready, pid "), r.raw)
        XCTAssertEqual(r.detail("backend accounts"), "claude 1")
        XCTAssertEqual(r.detail("factory credentials"), "tier api-key (FACTORY_API_KEY)")
        XCTAssertTrue(r.detail("droid settings").contains("pointing at http://127.0.0.1:\(s.listenPort), all served"), r.raw)
        XCTAssertEqual(r["units"]?["skipped"], true)
        XCTAssertEqual(r["journal"]?["skipped"], true)
        XCTAssertTrue(r.detail("state dir auth").hasSuffix("mode 700"), r.raw)

        // The human form: one ✓ line per check, exit 0.
        let (rc, text) = try runToEnd(Binaries.path("droidgate"), ["doctor", "--config", s.config, "--settings", s.settings],
                                      environment: ["HOME": s.dir.path])
        XCTAssertEqual(rc, 0, text)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("✓ ") || $0.hasPrefix("✗ ") }
        XCTAssertEqual(lines.count, Self.allChecks.count, text)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("✓ ") }, text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("✓ backend accounts: claude 1") }, text)
    }

    // MARK: - Broken states of a running stack

    func testBrokenStatesOfARunningStackAreEachDiagnosed() throws {
        // An old backend build, a Factory model without Factory credentials.
        let dir = TempDir()
        let old = dir.write("old-backend.sh", "#!/bin/sh\nexec \(Binaries.path("fake-cli-proxy-api")) --old-build \"$@\"\n")
        chmod(old, 0o755)
        let s = try UpStack(backend: old, extra: #""models": [{"id": "claude-opus-4-7", "upstream": "factory", "type": "anthropic"}]"#,
                            backendExtra: #", "localModel": true"#)
        try s.waitUntilReady()
        s.account("claude", "off@example.com", disabled: true)

        var r = try doctor(s)
        XCTAssertEqual(r.status, 1, r.raw)
        XCTAssertEqual(r.ok("backend command"), false)
        XCTAssertTrue(r.detail("backend command").contains("no -local-model"), r.raw)
        XCTAssertTrue(r.fix("backend command").contains("upgrade cli-proxy-api"), r.raw)
        XCTAssertEqual(r.ok("backend state"), true, "supervisord runs an old build without the flag")
        // Only a disabled account: none usable.
        XCTAssertEqual(r.ok("backend accounts"), false)
        XCTAssertTrue(r.detail("backend accounts").contains("claude-off@example.com disabled") && r.detail("backend accounts").contains("none usable"), r.raw)
        XCTAssertTrue(r.fix("backend accounts").contains("--enable"), r.raw)
        // No credentials while a Factory model is configured.
        XCTAssertEqual(r.ok("factory credentials"), false)
        XCTAssertTrue(r.detail("factory credentials").contains("none stored") && r.detail("factory credentials").contains("claude-opus-4-7"), r.raw)
        XCTAssertTrue(r.fix("factory credentials").contains("droidgate login"), r.raw)
        // Droid CLI not set up.
        XCTAssertEqual(r.ok("droid settings"), false)
        XCTAssertTrue(r.detail("droid settings").contains("does not exist"), r.raw)
        XCTAssertEqual(r.fix("droid settings"), "droidgate droid install")
        // The rest holds.
        for name in ["config", "authd", "supervisord", "edged", "listener", "backend state", "state dir auth", "state dir backend"] {
            XCTAssertEqual(r.ok(name), true, "\(name): \(r.raw)")
        }

        // An expired account beside a usable one.
        s.account("codex", "dev@example.com")
        s.account("claude", "old@example.com", expired: "2020-01-02T03:04:05.123456789+02:00")
        r = try doctor(s)
        XCTAssertEqual(r.ok("backend accounts"), false)
        XCTAssertTrue(r.detail("backend accounts").contains("claude 2 (claude-off@example.com disabled; claude-old@example.com expired 2020-01-02T03:04:05.123456789+02:00)"), r.raw)
        XCTAssertTrue(r.detail("backend accounts").contains("codex 1"), r.raw)
        XCTAssertTrue(r.fix("backend accounts").contains("droidgate backend login"), r.raw)
        // An account file that is not JSON.
        _ = s.dir.write(".droidgate/state/backend/auth/claude-broken.json", "{not json")
        r = try doctor(s)
        XCTAssertEqual(r.ok("backend accounts"), false)
        XCTAssertTrue(r.detail("backend accounts").contains("unknown 1 (claude-broken not readable as JSON)"), r.raw)
        XCTAssertTrue(r.fix("backend accounts").contains("--remove"), r.raw)
        try FileManager.default.removeItem(atPath: s.authDir + "/claude-broken.json")

        // Droid settings: registered models the stack does not serve (the built-in table), then entries for another listener.
        XCTAssertEqual(try s.droid(["install", "--builtin"]).0, 0)
        r = try doctor(s)
        XCTAssertEqual(r.ok("droid settings"), false)
        XCTAssertTrue(r.detail("droid settings").contains("no longer served") && r.detail("droid settings").contains("kimi-k3"), r.raw)
        XCTAssertTrue(r.fix("droid settings").contains("droidgate droid install"), r.raw)
        XCTAssertEqual(try s.droid(["install"]).0, 0)
        XCTAssertEqual(try doctor(s).ok("droid settings"), true)
        let text = try String(contentsOfFile: s.settings, encoding: .utf8)
        try text.replacingOccurrences(of: "127.0.0.1:\(s.listenPort)", with: "127.0.0.1:9").write(toFile: s.settings, atomically: true, encoding: .utf8)
        r = try doctor(s)
        XCTAssertEqual(r.ok("droid settings"), false)
        XCTAssertTrue(r.detail("droid settings").contains("point at http://127.0.0.1:9"), r.raw)
        // A settings file without droidgate's entries.
        _ = s.dir.write("factory/settings.json", "{\"model\": \"x\"}\n")
        r = try doctor(s)
        XCTAssertTrue(r.detail("droid settings").contains("no droidgate models"), r.raw)

        // A state dir opened up.
        chmod(s.root + "/state/auth", 0o755)
        r = try doctor(s)
        XCTAssertEqual(r.ok("state dir auth"), false)
        XCTAssertTrue(r.detail("state dir auth").contains("mode 755, not 700"), r.raw)
        XCTAssertEqual(r.fix("state dir auth"), "chmod 700 \(s.root)/state/auth")
        chmod(s.root + "/state/auth", 0o700)
    }

    /// A running stack whose backend command does not exist: supervisord
    /// reports the backend missing, and the listener answers without it.
    func testMissingBackendUnderARunningStack() throws {
        let s = try UpStack(backend: "/nonexistent/cli-proxy-api", environment: ["FACTORY_API_KEY": "fk-doctor-test"])
        var state: JSONValue = .null
        XCTAssertTrue(eventually(timeout: 30) {
            guard let (_, out) = try? runToEnd(Binaries.path("droidgate"), ["status", "--json", "--config", s.config], timeout: 20),
                  let v = try? JSONValue(parsing: out) else { return false }
            state = v
            return v["supervisord"]?["backend"]?["state"] == "missing" && v["edged"]?["ipc"]?["supervisord"]?["connected"] == true
        }, "\(state)\n\(s.up.text)")
        let r = try doctor(s)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.ok("backend state"), false)
        XCTAssertTrue(r.detail("backend state").hasPrefix("missing"), r.raw)
        XCTAssertTrue(r.fix("backend state").contains("install cli-proxy-api or set backend.command"), r.raw)
        XCTAssertEqual(r.ok("backend command"), false)
        XCTAssertTrue(r.detail("backend command").contains("/nonexistent/cli-proxy-api (backend.command) is not found"), r.raw)
        XCTAssertEqual(r.ok("listener"), true, r.raw)
        XCTAssertTrue(r.detail("listener").contains("(backend missing)"), r.raw)
        XCTAssertEqual(r.ok("factory credentials"), true, r.raw)
        for d in ["authd", "supervisord", "edged"] { XCTAssertEqual(r.ok(d), true, r.raw) }
    }

    // MARK: - Nothing running, bad config, stand-ins

    func testNothingRunningBadConfigAndMissingBackend() throws {
        let dir = TempDir()
        let port = freePort()
        let config = dir.write("droidgate.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"command": "/nonexistent/cli-proxy-api"}}"#)
        var r = try doctor(config: config, home: dir.path, ["--root", dir.path + "/root"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.ok("config"), true)
        for d in ["authd", "supervisord", "edged"] {
            XCTAssertEqual(r.ok(d), false, r.raw)
            XCTAssertTrue(r.detail(d).contains("does not answer at \(dir.path)/root/run/\(d).sock"), r.raw)
            XCTAssertTrue(r.fix(d).contains("droidgate up --root \(dir.path)/root --config \(config)"), r.raw)
        }
        XCTAssertEqual(r.ok("listener"), false)
        XCTAssertTrue(r.detail("listener").contains("nothing listens at http://127.0.0.1:\(port)/healthz"), r.raw)
        XCTAssertEqual(r.ok("backend command"), false)
        XCTAssertTrue(r.detail("backend command").contains("/nonexistent/cli-proxy-api (backend.command) is not found"), r.raw)
        XCTAssertTrue(r.fix("backend command").contains("install cli-proxy-api"), r.raw)
        XCTAssertEqual(r.ok("backend state"), false)
        XCTAssertEqual(r.ok("factory credentials"), false)
        XCTAssertEqual(r.ok("state dir auth"), false)
        XCTAssertTrue(r.detail("state dir auth").contains("does not exist"), r.raw)

        // Something else on the listener's port that does not answer /healthz with 200.
        let other = try ProxyStack.startBackend(port: port, args: ["--fail-health"])
        defer { other.signal(SIGKILL) }
        r = try doctor(config: config, home: dir.path, ["--root", dir.path + "/root"])
        XCTAssertEqual(r.ok("listener"), false)
        XCTAssertTrue(r.detail("listener").contains("answers HTTP 503, not 200"), r.raw)
        XCTAssertTrue(r.fix("listener").contains("another program on port \(port)"), r.raw)

        // A command that is not cli-proxy-api.
        let notBackend = dir.write("droidgate2.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"command": "/bin/true"}}"#)
        r = try doctor(config: notBackend, home: dir.path, ["--root", dir.path + "/root"])
        XCTAssertTrue(r.detail("backend command").contains("does not print a CLIProxyAPI version"), r.raw)

        // backend.supervised false: no supervisord needed; the backend's own /healthz is asked.
        let backendPort = freePort()
        let unsupervised = dir.write("droidgate3.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"port": \#(backendPort), "supervised": false}}"#)
        r = try doctor(config: unsupervised, home: dir.path, ["--root", dir.path + "/root"])
        XCTAssertEqual(r.ok("supervisord"), true, r.raw)
        XCTAssertEqual(r["supervisord"]?["skipped"], true)
        XCTAssertEqual(r["backend accounts"]?["skipped"], true)
        XCTAssertEqual(r.ok("backend state"), false)
        XCTAssertTrue(r.detail("backend state").contains("nothing answers on 127.0.0.1:\(backendPort)"), r.raw)
        let own = try ProxyStack.startBackend(port: backendPort)
        defer { own.signal(SIGKILL) }
        r = try doctor(config: unsupervised, home: dir.path, ["--root", dir.path + "/root"])
        XCTAssertEqual(r.ok("backend state"), true, r.raw)

        // A config that does not parse: said, and the other checks go on with the defaults.
        let bad = dir.write("bad.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"prot": 1}}"#)
        r = try doctor(config: bad, home: dir.path, ["--root", dir.path + "/root"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.ok("config"), false)
        XCTAssertTrue(r.detail("config").contains("key \"backend.prot\": unknown key"), r.raw)
        XCTAssertTrue(r.fix("config").contains("droidgate.json"), r.raw)
        XCTAssertEqual(r.checks.count, Self.allChecks.count, r.raw)
    }

    func testADaemonOfAnotherVersionIsFlagged() throws {
        let dir = TempDir()
        let root = dir.path + "/root"
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
        // A stand-in authd answering `status` as an older build would.
        let listener = try Socket.listenUnix(path: root + "/run/authd.sock")
        let server = IPCServer(name: "authd", listener: listener, policy: .standard(), ops: [
            Op("status", .anyPeer) { _ in
                IPCReply(result: ["daemon": "authd", "version": "0.0.1", "state": "running", "pid": 4242, "uptimeSeconds": 5,
                                  "tier": "refresh-token", "credentials": "relogin_required",
                                  "expiresAt": "2026-01-01T00:00:00Z", "lastRefresh": "2025-12-31T23:00:00Z"])
            },
        ])
        server.start()
        defer { server.stop() }
        let config = dir.write("droidgate.json", #"{"listen": "127.0.0.1:\#(freePort())"}"#)
        let r = try doctor(config: config, home: dir.path, ["--root", root])
        XCTAssertEqual(r.ok("authd"), false, r.raw)
        XCTAssertTrue(r.detail("authd").contains("version 0.0.1; this droidgate is \(Droidgate.version)"), r.raw)
        XCTAssertTrue(r.fix("authd").contains("start it again with this build"), r.raw)
        // Its credentials: WorkOS asks for a new login.
        XCTAssertEqual(r.ok("factory credentials"), false)
        XCTAssertTrue(r.detail("factory credentials").contains("tier refresh-token, relogin_required, access token until 2026-01-01T00:00:00Z, last refresh 2025-12-31T23:00:00Z"), r.raw)
        XCTAssertEqual(r.fix("factory credentials"), "droidgate login")
    }

    /// Under systemd (forced with DROIDGATE_DOCTOR_SYSTEMD=1): the units'
    /// states from systemctl and the last hour's warnings from journalctl
    /// (stand-in scripts on PATH).
    func testSystemdUnitsAndJournal() throws {
        let dir = TempDir()
        let bin = dir.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        func script(_ name: String, _ body: String) {
            chmod(dir.write("bin/\(name)", "#!/bin/sh\n\(body)\n"), 0o755)
        }
        let config = dir.write("droidgate.json", #"{"listen": "127.0.0.1:\#(freePort())"}"#)
        let env = ["DROIDGATE_DOCTOR_SYSTEMD": "1", "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        // Healthy: every unit enabled and active, an empty journal.
        script("systemctl", #"verb=$1; shift; for u in "$@"; do [ "$verb" = is-enabled ] && echo enabled || echo active; done"#)
        // (doctor asks one unit per call; the stand-ins answer for each unit named)
        script("journalctl", #"[ -n "$JOURNAL" ] && printf "$JOURNAL"; exit 0"#)
        var r = try doctor(config: config, home: dir.path, ["--root", dir.path + "/root"], environment: env)
        XCTAssertEqual(r.ok("units enabled"), true, r.raw)
        XCTAssertEqual(r.detail("units enabled"), "all 8 droidgate units")
        XCTAssertEqual(r.ok("units active"), true, r.raw)
        XCTAssertEqual(r.ok("journal"), true, r.raw)
        XCTAssertEqual(r.detail("journal"), "no warnings or errors from droidgate's units in the last hour")

        script("systemctl", #"""
        verb=$1; shift
        for u in "$@"; do
            if [ "$u" = droidgate-edged-ipc.socket ]; then echo "Failed to get unit file state for $u: No such file or directory" >&2; exit 1; fi
            if [ "$verb" = is-enabled ]; then [ "$u" = droidgate-edged.socket ] && echo disabled || echo enabled
            else [ "$u" = droidgate-edged.service ] && echo failed || echo active; fi
        done
        """#)
        r = try doctor(config: config, home: dir.path, ["--root", dir.path + "/root"],
                       environment: env.merging(["JOURNAL": "edged: cannot reach authd\\nsupervisord: backend exited with status 1\\n"]) { $1 })
        XCTAssertEqual(r.ok("units enabled"), false)
        // A unit systemctl does not know prints nothing on stdout (its complaint on stderr is not a state).
        XCTAssertEqual(r.detail("units enabled"), "droidgate-edged.socket disabled, droidgate-edged-ipc.socket not-found")
        XCTAssertTrue(r.fix("units enabled").hasPrefix("reinstall droidgate's units"), r.raw)
        XCTAssertTrue(r.fix("units enabled").hasSuffix("systemctl enable --now droidgate.target"), r.raw)
        XCTAssertEqual(r.ok("units active"), false)
        XCTAssertEqual(r.detail("units active"), "droidgate-edged-ipc.socket not-found, droidgate-edged.service failed")
        XCTAssertTrue(r.fix("units active").contains("systemctl status droidgate-edged.service"), r.raw)
        XCTAssertTrue(r.fix("units active").hasPrefix("reinstall droidgate's units"), r.raw)
        XCTAssertEqual(r.ok("journal"), false)
        XCTAssertTrue(r.detail("journal").hasPrefix("2 warnings or errors in the last hour; the last: supervisord: backend exited with status 1"), r.raw)
        XCTAssertTrue(r.fix("journal").contains("journalctl -p warning --since -1h"), r.raw)
        // Daemon advice names the units.
        XCTAssertTrue(r.fix("authd").contains("systemctl start droidgate-authd.service"), r.raw)

        // Without systemd: both skipped, not failed.
        r = try doctor(config: config, home: dir.path, ["--root", dir.path + "/root"], environment: ["DROIDGATE_DOCTOR_SYSTEMD": "0"])
        XCTAssertEqual(r["units"]?["skipped"], true)
        XCTAssertEqual(r.ok("units"), true)
        XCTAssertEqual(r["journal"]?["skipped"], true)
    }
}
