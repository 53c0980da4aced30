import Foundation
import Shared
import XCTest

/// supervisord against a fake cli-proxy-api that watches config.yaml the way
/// the real one does (fsnotify on the file's inode: a rename over it is never
/// seen, and kills the watch). Failed before supervisord rewrote the file in
/// place: the first change never reached the running backend.
final class BackendConfigTests: XCTestCase {
    typealias Harness = SupervisorTests.Harness

    func fakeConfig(_ h: Harness) throws -> JSONValue {
        let stats = try XCTUnwrap(try request(h.port, "GET", "/_fake/stats")?.json)
        return try XCTUnwrap(stats["config"], "the fake reports what it loaded: \(stats)")
    }

    /// Polls the fake's loaded config until `condition` holds.
    func waitForFakeConfig(_ h: Harness, _ what: String, _ condition: (JSONValue) -> Bool) throws -> JSONValue {
        var last: JSONValue = .null
        let ok = eventually(timeout: 10) {
            last = (try? fakeConfig(h)) ?? .null
            return condition(last)
        }
        XCTAssertTrue(ok, "\(what): the running backend never loaded it; it has \(last)")
        return last
    }

    func excluded(_ c: JSONValue) -> [String] {
        (c["oauth_excluded_models"]?.objectValue?.entries.map(\.0) ?? []).sorted()
    }

    func testProviderSwitchesReachTheRunningBackendTwice() throws {
        let h = try Harness()
        try h.startSupervisor()
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue)
        let inode = try Files.status(h.stateDir + "/config.yaml").inode
        // The backend starts its config watch just after its listener (as the real one does).
        let first = try waitForFakeConfig(h, "the config watch") { $0["watching"] == true }
        XCTAssertEqual(first["loads"]?.intValue, 1)
        XCTAssertEqual(excluded(first), [])

        let droidgate = Binaries.path("droidgate")
        XCTAssertEqual(try runToEnd(droidgate, ["backend", "providers", "--disable", "kimi", "--root", h.dir.path]).0, 0)
        var c = try waitForFakeConfig(h, "kimi disabled") { excluded($0) == ["kimi"] }
        XCTAssertEqual(c["loads"]?.intValue, 2)
        XCTAssertEqual(c["watching"], true, "the watch survives the rewrite")
        // A second change after the first one reaches it too.
        XCTAssertEqual(try runToEnd(droidgate, ["backend", "providers", "--disable", "codex", "--root", h.dir.path]).0, 0)
        c = try waitForFakeConfig(h, "codex disabled too") { excluded($0) == ["codex", "kimi"] }
        XCTAssertEqual(try runToEnd(droidgate, ["backend", "providers", "--enable", "kimi", "--root", h.dir.path]).0, 0)
        c = try waitForFakeConfig(h, "kimi enabled again") { excluded($0) == ["codex"] }

        XCTAssertEqual(h.backend()?["pid"]?.intValue, pid, "no restart")
        let st = try Files.status(h.stateDir + "/config.yaml")
        XCTAssertEqual(st.inode, inode, "rewritten in place, never replaced")
        XCTAssertEqual(st.mode, 0o600)
    }

    /// cli-proxy-api reads config.yaml at start but watches it only once its
    /// server runs; a change written in between is never seen by that watch.
    /// Here the fake starts its watch 500 ms after its listener: a providers
    /// change made at once after ready misses it, and supervisord writes the
    /// file again `configSettle` (2 s) after ready, which the watch sees.
    func testAChangeWrittenBeforeTheBackendWatchesItsFileStillReachesIt() throws {
        let h = try Harness(fakeArgs: ["--watch-delay-ms", "500"])
        try h.startSupervisor()
        _ = try XCTUnwrap(h.waitForState("ready"))
        XCTAssertEqual(try fakeConfig(h)["watching"], false, "the change below must come before the watch")
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["backend", "providers", "--disable", "kimi", "--root", h.dir.path]).0, 0)
        // The watch starts after the write: it has nothing to report.
        let watching = try waitForFakeConfig(h, "the late watch") { $0["watching"] == true }
        XCTAssertEqual(excluded(watching), [], "the premise: the write before the watch was not seen")
        XCTAssertEqual(watching["loads"]?.intValue, 1)
        // supervisord's second write reaches it.
        let c = try waitForFakeConfig(h, "kimi disabled, written again after ready") { excluded($0) == ["kimi"] }
        XCTAssertEqual(c["loads"]?.intValue, 2)
        XCTAssertTrue(h.supervisord!.waitFor("changed while the backend (pid"), h.supervisord!.text)
    }

    func testSIGHUPWithNewExtraConfigReachesTheRunningBackendTwice() throws {
        let h = try Harness()
        try h.startSupervisor()
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue)
        XCTAssertEqual(try fakeConfig(h)["debug"], false)
        let command = Binaries.path("fake-cli-proxy-api")
        func configure(_ extra: String) {
            _ = h.dir.write("droidgate.json", #"{"backend": {"command": "\#(command)", "port": \#(h.port), "stopTimeoutSeconds": 2, "extraConfig": \#(extra)}, "log": {"level": "debug"}}"#)
            h.supervisord!.signal(SIGHUP)
        }
        configure(#"{"debug": true}"#)
        _ = try waitForFakeConfig(h, "debug on") { $0["debug"] == true }
        configure(#"{"debug": false}"#)
        let c = try waitForFakeConfig(h, "debug off again") { $0["debug"] == false }
        XCTAssertEqual(c["loads"]?.intValue, 3)
        XCTAssertEqual(c["request_retry"]?.intValue, 3)
        XCTAssertEqual(h.backend()?["pid"]?.intValue, pid, "no restart")
    }

    /// Every key droidgate renders is one the real program reads (the fake's
    /// list mirrors cli-proxy-api's config struct); `request-timeout` never was.
    func testRenderedConfigHasOnlyKeysTheBackendReads() throws {
        let h = try Harness()
        try h.startSupervisor()
        _ = try XCTUnwrap(h.waitForState("ready"))
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["backend", "providers", "--disable", "xai", "--root", h.dir.path]).0, 0)
        let c = try waitForFakeConfig(h, "xai disabled") { excluded($0) == ["xai"] }
        XCTAssertEqual(c["unknown_keys"], .array([]), "keys the backend would silently ignore")
        XCTAssertEqual(c["disable_cooling"], false, "quota-exhausted accounts cool down (#26)")
        XCTAssertEqual(c["transient_error_cooldown_seconds"], -1, "no cooldown after a transient error")
        let yaml = try String(contentsOfFile: h.stateDir + "/config.yaml", encoding: .utf8)
        XCTAssertFalse(yaml.contains("request-timeout"), yaml)
    }

    /// A build older than 2026-03-18 refuses -local-model (Go's flag package:
    /// exit 2). supervisord starts it again at once without the flag.
    func testOldBackendWithoutLocalModelIsStartedWithoutIt() throws {
        let h = try Harness(fakeArgs: ["--old-build"], extraConfig: #", "localModel": true"#)
        try h.startSupervisor()
        let b = try XCTUnwrap(h.waitForState("ready"), h.supervisord!.text)
        XCTAssertEqual(b["restarts"]?.intValue, 0, "not counted as a crash")
        // The old child's stderr reaches supervisord's log through its log tail, which
        // may relay it after the state report: wait for the line, do not race it.
        XCTAssertTrue(eventually(timeout: 5) { h.supervisord!.text.contains("flag provided but not defined: -local-model") }, h.supervisord!.text)
        XCTAssertTrue(h.supervisord!.text.contains("older than 2026-03-18"), h.supervisord!.text)
        // A current build keeps the flag.
        let current = try Harness(extraConfig: #", "localModel": true"#)
        try current.startSupervisor()
        let pid = try XCTUnwrap(current.waitForState("ready")?["pid"]?.intValue)
        XCTAssertFalse(current.supervisord!.text.contains("older than 2026-03-18"))
        XCTAssertTrue(try Self.arguments(of: pid).contains("-local-model"))
    }

    /// backend.localModel is off by default, as in cli-proxy-api: its catalog is
    /// refreshed from the network (a model released after the binary was built
    /// is known). Before: -local-model was always passed.
    func testTheBackendRunsWithoutLocalModelByDefault() throws {
        let h = try Harness()
        try h.startSupervisor()
        let pid = try XCTUnwrap(h.waitForState("ready")?["pid"]?.intValue, h.supervisord!.text)
        let args = try Self.arguments(of: pid)
        XCTAssertFalse(args.contains("-local-model"), "\(args)")
        XCTAssertTrue(args.contains("-config"), "\(args)")
    }

    static func arguments(of pid: Int) throws -> [String] {
        let raw = try Files.read("/proc/\(pid)/cmdline", maxBytes: 1 << 16)
        return raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
