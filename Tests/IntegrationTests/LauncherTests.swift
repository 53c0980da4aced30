import Foundation
import Shared
import XCTest

/// `droidgate up` runs the three daemons as real processes in a temp dev root.
final class LauncherTests: XCTestCase {
    func status(_ config: String) throws -> JSONValue {
        let (_, out) = try runToEnd(Binaries.path("droidgate"), ["status", "--json", "--config", config], timeout: 20)
        return try JSONValue(parsing: out)
    }

    func pid(_ s: JSONValue, _ d: String) -> Int? { s[d]?["pid"]?.intValue }

    func testUpStatusKillRestartReconnectAndStop() throws {
        let tmp = TempDir()
        let port = freePort()
        let config = tmp.write("droidgate.json", #"{"listen": "127.0.0.1:\#(port)", "log": {"level": "debug"}}"#)
        let up = try RunningProcess(Binaries.path("droidgate"), ["up", "--config", config])
        defer { up.signal(SIGKILL) }

        // All three come up; edged is connected to both others.
        var s: JSONValue = .null
        XCTAssertTrue(try eventually {
            s = try status(config)
            return s["edged"]?["ipc"]?["authd"]?["connected"] == true
                && s["edged"]?["ipc"]?["supervisord"]?["connected"] == true
                && s["authd"]?["state"] == "running" && s["supervisord"]?["state"] == "running"
        }, "stack did not come up: \(s)\n\(up.text)")
        XCTAssertEqual(s["edged"]?["listen"]?.stringValue, "127.0.0.1:\(port)")
        XCTAssertEqual(s["supervisord"]?["backend"]?["state"], "missing")

        // The dev root was laid out beside the config, with closed state dirs.
        let root = tmp.path + "/.droidgate"
        XCTAssertEqual(try Files.status(root + "/state/auth").mode, 0o700)
        XCTAssertEqual(try Files.status(root + "/state/backend").mode, 0o700)

        // The human-readable status has one line per daemon.
        let (rc, text) = try runToEnd(Binaries.path("droidgate"), ["status", "--config", config])
        XCTAssertEqual(rc, 0, text)
        XCTAssertEqual(text.split(separator: "\n").count, 3, text)

        // SIGKILL authd: the launcher restarts it, edged reconnects.
        let authdPID = try XCTUnwrap(pid(s, "authd"))
        let edgedPID = try XCTUnwrap(pid(s, "edged"))
        kill(Int32(authdPID), SIGKILL)
        XCTAssertTrue(try eventually {
            s = try status(config)
            guard let p = pid(s, "authd"), p != authdPID else { return false }
            return s["edged"]?["ipc"]?["authd"]?["connected"] == true
                && s["edged"]?["ipc"]?["authd"]?["connects"]?.intValue == 2
                && s["edged"]?["ipc"]?["authd"]?["peerPid"]?.intValue == p
        }, "authd not restarted or edged not reconnected: \(s)\n\(up.text)")
        XCTAssertEqual(pid(s, "edged"), edgedPID, "the others keep running")
        XCTAssertTrue(up.waitFor("authd killed by signal 9"), up.text)

        // SIGKILL supervisord: same, and edged re-subscribes to backend state.
        let supPID = try XCTUnwrap(pid(s, "supervisord"))
        kill(Int32(supPID), SIGKILL)
        XCTAssertTrue(try eventually {
            s = try status(config)
            guard let p = pid(s, "supervisord"), p != supPID else { return false }
            return s["edged"]?["ipc"]?["supervisord"]?["connects"]?.intValue == 2
                && s["edged"]?["ipc"]?["supervisord"]?["connected"] == true
                && s["edged"]?["backend"]?["state"] == "missing"
        }, "supervisord not restarted or edged not reconnected: \(s)\n\(up.text)")

        // SIGKILL edged: restarted with the same listening socket (the launcher holds it).
        kill(Int32(edgedPID), SIGKILL)
        XCTAssertTrue(try eventually {
            s = try status(config)
            guard let p = pid(s, "edged"), p != edgedPID else { return false }
            return s["edged"]?["listen"]?.stringValue == "127.0.0.1:\(port)"
        }, "edged not restarted: \(s)\n\(up.text)")

        // SIGTERM the launcher: everything stops cleanly.
        let pids = ["authd", "supervisord", "edged"].compactMap { pid(s, $0) }
        XCTAssertEqual(pids.count, 3)
        up.signal(SIGTERM)
        XCTAssertEqual(up.waitForExit(timeout: 15), 0, up.text)
        for p in pids { XCTAssertNotEqual(kill(Int32(p), 0), 0, "pid \(p) still running") }
        XCTAssertFalse(Files.exists(root + "/run/authd.sock"), "sockets removed on a clean stop")
        let (downRC, downText) = try runToEnd(Binaries.path("droidgate"), ["status", "--config", config])
        XCTAssertEqual(downRC, 1)
        XCTAssertTrue(downText.contains("down"), downText)
    }

    /// As under systemd (KillMode=process): a supervisord that dies or stops
    /// leaves the backend running and the next one re-adopts it; the backend
    /// stops only with the whole stack.
    func testTheBackendOutlivesSupervisordAndStopsWithTheStack() throws {
        let tmp = TempDir()
        let config = tmp.write("droidgate.json", #"{"listen": "127.0.0.1:\#(freePort())", "backend": {"port": \#(freePort()), "stopTimeoutSeconds": 5}}"#)
        let up = try RunningProcess(Binaries.path("droidgate"), ["up", "--demo", "--config", config])
        defer { up.signal(SIGKILL) }
        var s: JSONValue = .null
        func backendReady(_ p: Int? = nil) -> Bool {
            s = (try? status(config)) ?? .null
            let b = s["supervisord"]?["backend"]
            return b?["state"] == "ready" && (p == nil || b?["pid"]?.intValue == p)
        }
        XCTAssertTrue(eventually(timeout: 20) { backendReady() }, "\(s)\n\(up.text)")
        let backend = try XCTUnwrap(s["supervisord"]?["backend"]?["pid"]?.intValue)
        for sig in [SIGKILL, SIGTERM, SIGKILL] {
            let sup = try XCTUnwrap(pid(s, "supervisord"))
            kill(Int32(sup), sig)
            XCTAssertTrue(eventually(timeout: 20) { backendReady(backend) && pid(s, "supervisord") != sup },
                          "after \(SignalHandlers.name(sig)) to supervisord the same backend is re-adopted: \(s)\n\(up.text)")
            XCTAssertEqual(kill(Int32(backend), 0), 0, "the backend kept running")
        }
        XCTAssertTrue(up.waitFor("re-adopted the running backend (pid \(backend)"), up.text)
        up.signal(SIGTERM)
        XCTAssertEqual(up.waitForExit(timeout: 30), 0, up.text)
        XCTAssertNotEqual(kill(Int32(backend), 0), 0, "the backend stops with the stack")
        XCTAssertTrue(up.waitFor("stopping the backend (pid \(backend))"), up.text)
    }

    func testSecondStackOnTheSameRootIsRefused() throws {
        let tmp = TempDir()
        let config = tmp.write("droidgate.json", #"{"listen": "127.0.0.1:\#(freePort())"}"#)
        let up = try RunningProcess(Binaries.path("droidgate"), ["up", "--config", config])
        defer { up.signal(SIGKILL) }
        XCTAssertTrue(try eventually { try runToEnd(Binaries.path("droidgate"), ["status", "--config", config]).0 == 0 })
        let (rc, text) = try runToEnd(Binaries.path("droidgate"), ["up", "--config", config])
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(text.contains("already running"), text)
        up.signal(SIGTERM)
        XCTAssertEqual(up.waitForExit(timeout: 15), 0)
    }

    func testNonLoopbackListenWithoutKeysIsRefused() throws {
        let tmp = TempDir()
        let config = tmp.write("droidgate.json", #"{"listen": "0.0.0.0:\#(freePort())"}"#)
        let (rc, text) = try runToEnd(Binaries.path("droidgate"), ["up", "--config", config])
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(text.contains("not a loopback address"), text)
    }
}
