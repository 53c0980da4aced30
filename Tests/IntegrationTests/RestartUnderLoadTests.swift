import Foundation
import Shared
import XCTest

/// Every restart the design promises to survive, ten times each, under
/// `droidgate up` with load shaped like real clients (keep-alive pools that
/// never retry, streams, one Connection: close client). Each scenario must
/// fail nothing; only what was in flight inside a SIGKILLed backend is
/// counted apart (and a cut stream must end, never hang: the client's
/// timeout would count it as failed outside the kill window).
final class RestartUnderLoadTests: XCTestCase {
    static let repetitions = Int(ProcessInfo.processInfo.environment["RESTART_REPETITIONS"] ?? "") ?? TestScale.rounds(10, quick: 1)

    /// supervisord's Supervisor.resetAfterHealthy, plus a margin.
    static let healthyPeriod = 10.5

    struct Scenario {
        let name: String
        /// Kills (SIGKILL) whose in-flight requests may be lost.
        let killsDrop: Bool
        var spaced = false
        /// Acts once; returns the pid it signalled, if any.
        let act: (ReloadUnderLoadTests.Install, JSONValue) throws -> Int32?
    }

    func status(_ install: ReloadUnderLoadTests.Install) throws -> JSONValue {
        let (_, out) = try runToEnd("\(install.bin)/droidgate", ["status", "--json", "--config", install.config], timeout: 20)
        return try JSONValue(parsing: out)
    }

    /// Waits until the stack is whole again: every daemon up, edged connected, the backend ready.
    func awaitSettled(_ install: ReloadUnderLoadTests.Install, besides old: (String, Int)? = nil) throws {
        var s: JSONValue = .null
        XCTAssertTrue(eventually(timeout: 30) {
            s = (try? status(install)) ?? .null
            if let (d, pid) = old, s[d]?["pid"]?.intValue == pid || (d == "backend" && s["supervisord"]?["backend"]?["pid"]?.intValue == pid) { return false }
            return s["edged"]?["ipc"]?["authd"]?["connected"] == true && s["edged"]?["ipc"]?["supervisord"]?["connected"] == true
                && s["supervisord"]?["backend"]?["state"] == "ready"
        }, "stack did not settle: \(s)")
    }

    func run(_ scenario: Scenario) throws {
        let install = try ReloadUnderLoadTests.Install()
        try install.start()
        try awaitSettled(install)
        let load = ClientLoad(port: install.port, keepAlive: 8, streaming: 4, connectionClose: 1)
        load.start()
        XCTAssertTrue(load.awaitProgress(50), "the load never got going")
        var kills: [(signalled: Double, gone: Double)] = []
        for i in 0..<Self.repetitions {
            let s = try status(install)
            let signalled = Date().timeIntervalSince1970
            let pid = try scenario.act(install, s)
            // Until the process is gone (a zombie or reaped), a request that
            // reaches it is in flight inside a dying process.
            if let pid { _ = eventually(timeout: 2) { Self.isGone(pid) } }
            kills.append((signalled, Date().timeIntervalSince1970))
            try awaitSettled(install)
            XCTAssertTrue(load.awaitProgress(50), "not 50 requests answered after the restart")
            // Killing the backend again within supervisord's healthy period would be a
            // crash loop, which it rightly meets with growing backoff (past the hold time).
            if scenario.spaced && i + 1 < Self.repetitions { sleepSeconds(Self.healthyPeriod) }
        }
        let counts = load.stop()
        let apart = scenario.killsDrop ? load.failuresInFlight(during: kills) : (0, 0)
        let failed = counts.failed - apart.0 - apart.1
        let cut = counts.streamsCut - apart.1
        print("restart scenario | \(scenario.name) ×\(Self.repetitions) | \(counts) | in flight at a kill: \(apart.0) requests, \(apart.1) streams")
        XCTAssertGreaterThan(counts.requests, 50, "\(scenario.name): \(counts)")
        XCTAssertEqual(failed, 0, "\(scenario.name): \(counts); \(load.firstFailures); relative to the kills (signal…gone \(kills.map { String(format: "%.3f", $0.gone - $0.signalled) })): \(load.failureOffsets(from: kills.map(\.signalled)))")
        XCTAssertEqual(counts.refused, 0, "\(scenario.name): \(counts)")
        XCTAssertEqual(cut, 0, "\(scenario.name): \(counts); \(load.firstFailures)")
    }

    /// Dead, every thread of it: a killed multithreaded process's leader reads
    /// as a zombie while its other threads are still exiting, and the sockets
    /// they share close only when the last one has. Exited threads other than
    /// the leader leave /proc/PID/task at once.
    static func isGone(_ pid: Int32) -> Bool {
        guard let st = ProcFS.stat(of: pid) else { return true }
        guard st.state == "Z" || st.state == "X" else { return false }
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.allSatisfy { $0 == String(pid) }
    }

    func signal(_ s: JSONValue, _ daemon: String, _ sig: Int32) throws -> Int32? {
        let pid = try XCTUnwrap(daemon == "backend" ? s["supervisord"]?["backend"]?["pid"]?.intValue : s[daemon]?["pid"]?.intValue)
        kill(Int32(pid), sig)
        return Int32(pid)
    }

    func testEdgedReload() throws {
        try run(Scenario(name: "edged reload", killsDrop: false) { install, _ in try install.reload(); return nil })
    }

    func testAuthdRestartAndKill() throws {
        try run(Scenario(name: "authd SIGTERM", killsDrop: false) { _, s in try self.signal(s, "authd", SIGTERM) })
        try run(Scenario(name: "authd SIGKILL", killsDrop: false) { _, s in try self.signal(s, "authd", SIGKILL) })
    }

    func testSupervisordRestartAndKill() throws {
        try run(Scenario(name: "supervisord SIGTERM", killsDrop: false) { _, s in try self.signal(s, "supervisord", SIGTERM) })
        try run(Scenario(name: "supervisord SIGKILL", killsDrop: false) { _, s in try self.signal(s, "supervisord", SIGKILL) })
    }

    func testBackendKill() throws {
        try run(Scenario(name: "backend SIGKILL", killsDrop: true, spaced: true) { _, s in try self.signal(s, "backend", SIGKILL) })
    }
}
