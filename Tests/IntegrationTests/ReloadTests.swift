import Foundation
import Shared
import XCTest

/// `droidgate reload edged` under the dev launcher: a new generation takes the
/// listening socket, the old one drains; nothing is refused or cut.
final class ReloadTests: XCTestCase {
    func testEdgedReloadDropsNothing() throws {
        let tmp = TempDir()
        let port = freePort()
        let config = tmp.write("droidgate.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"port": \#(freePort())}}"#)
        let up = try RunningProcess(Binaries.path("droidgate"), ["up", "--demo", "--config", config])
        defer { up.signal(SIGTERM); _ = up.waitForExit(timeout: 15) }
        XCTAssertTrue(eventually(timeout: 15) {
            (try? request(port, "GET", "/healthz")?.json?["backend"]?["state"]) == "ready"
        }, up.text)
        let before = try XCTUnwrap(try request(port, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue)

        // A long stream in flight across the reload.
        let stream = try RawHTTP(port: port)
        let body = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try stream.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-events: 15\r\nx-fake-event-delay-ms: 100\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(try stream.waitFor("\"content\":\"", timeout: 5))

        // Steady requests while the reload happens.
        let failures = Locked(0)
        let sent = Locked(0)
        let stop = Locked(false)
        let load = Thread {
            while !stop.value {
                sent.withLock { $0 += 1 }
                let ok = (try? request(port, "GET", "/v1/models", timeout: 5))??.status == 200
                if !ok { failures.withLock { $0 += 1 } }
            }
        }
        load.start()
        XCTAssertTrue(eventually { sent.value > 5 }, "the load never got going")
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["reload", "edged", "--config", config])
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(eventually(timeout: 15) {
            guard let p = (try? request(port, "GET", "/healthz"))??.json?["edged"]?["pid"]?.intValue else { return false }
            return p != before
        }, up.text)
        // Requests answered by the new generation too.
        let atSwitch = sent.value
        XCTAssertTrue(eventually { sent.value > atSwitch + 5 }, "no request after the new generation took over")
        stop.value = true
        while load.isExecuting { usleep(10_000) }

        let r = try XCTUnwrap(try stream.readResponse(timeout: 15))
        XCTAssertTrue(r.bodyText.contains("data: [DONE]"), "the stream in flight completed: \(r.bodyText.suffix(200))")
        XCTAssertGreaterThan(sent.value, 10)
        XCTAssertEqual(failures.value, 0, "no request failed or was refused during the reload")
        XCTAssertTrue(eventually { up.text.contains("hands over to pid") }, up.text)
        XCTAssertFalse(up.text.contains("edged exited"), "the launcher followed the new generation instead of restarting: \(up.text)")
        // The old generation is gone once drained.
        XCTAssertTrue(eventually(timeout: 10) { kill(Int32(before), 0) != 0 }, "old generation \(before) still running")
        // And the new one can be reloaded again.
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["reload", "edged", "--config", config]).0, 0)
        XCTAssertTrue(eventually(timeout: 15) { up.text.components(separatedBy: "hands over to pid").count == 3 }, up.text)
        XCTAssertEqual(try request(port, "GET", "/v1/models")?.status, 200)
    }
}

/// Reloads under load shaped like real clients (keep-alive pools that never
/// retry, streams, one Connection: close client): the old generation hands
/// its client connections to the new one, so not one request fails. Failed
/// before: the old generation closed idle keep-alive connections, and a
/// request sent on one at that moment was lost (RemoteDisconnected).
final class ReloadUnderLoadTests: XCTestCase {
    /// The executables copied to a folder of their own, so a test can replace
    /// edged there as an upgrade does (rename over the running file).
    final class Install: @unchecked Sendable {
        let tmp = TempDir()
        let bin: String
        let port = freePort()
        let config: String
        var up: RunningProcess!

        init() throws {
            bin = tmp.path + "/bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            for exe in ["droidgate", "authd", "supervisord", "edged", "fake-cli-proxy-api"] {
                try FileManager.default.copyItem(atPath: Binaries.path(exe), toPath: "\(bin)/\(exe)")
            }
            config = tmp.write("droidgate.json", #"{"listen": "127.0.0.1:\#(port)", "backend": {"port": \#(freePort())}}"#)
        }

        func start() throws {
            up = try RunningProcess("\(bin)/droidgate", ["up", "--demo", "--config", config])
            guard eventually(timeout: 20, {
                (try? request(port, "GET", "/healthz")?.json?["backend"]?["state"]) == "ready"
            }) else { throw TimedOut(what: "stack start: \(up.text)", seconds: 20) }
        }

        var edgedPID: Int? { (try? request(port, "GET", "/healthz"))??.json?["edged"]?["pid"]?.intValue }

        /// `droidgate reload edged`, then waits until a new pid answers and the old one is gone.
        func reload() throws {
            let before = try XCTUnwrap(edgedPID)
            let (rc, out) = try runToEnd("\(bin)/droidgate", ["reload", "edged", "--config", config])
            XCTAssertEqual(rc, 0, out)
            XCTAssertTrue(eventually(timeout: 20) { (edgedPID ?? before) != before }, up.text)
            XCTAssertTrue(eventually(timeout: 40) { kill(Int32(before), 0) != 0 }, "old generation \(before) still running: \(up.text)")
        }

        /// Replaces bin/edged the way a package upgrade does: a new file renamed over the old one.
        func replaceEdged(with text: String? = nil) throws {
            let staged = "\(bin)/.edged.new"
            if let text {
                try text.write(toFile: staged, atomically: false, encoding: .utf8)
            } else {
                try FileManager.default.copyItem(atPath: Binaries.path("edged"), toPath: staged)
            }
            chmod(staged, 0o755)
            XCTAssertEqual(rename(staged, "\(bin)/edged"), 0)
        }

        deinit {
            up?.signal(SIGTERM)
            _ = up?.waitForExit(timeout: 20)
        }
    }

    func testReloadsUnderKeepAliveLoadFailNothing() throws {
        let install = try Install()
        try install.start()
        // A connection that stays idle across every reload and is used afterwards.
        let idle = try RawHTTP(port: install.port)
        try idle.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let firstPID = try XCTUnwrap(try idle.readResponse()?.json?["edged"]?["pid"]?.intValue)

        let load = ClientLoad(port: install.port)
        load.start()
        XCTAssertTrue(load.awaitProgress(40), "the load never got going")
        for _ in 0..<5 {
            try install.reload()
            XCTAssertTrue(load.awaitProgress(40), "not 40 requests answered after a reload")
        }
        let counts = load.stop()
        print("reload ×5 under load: \(counts)")
        XCTAssertGreaterThan(counts.requests, 100, "\(counts)")
        XCTAssertEqual(counts.failed, 0, "\(counts); \(load.firstFailures)")
        XCTAssertEqual(counts.refused, 0, "\(counts)")
        XCTAssertEqual(counts.streamsCut, 0, "\(counts)")
        XCTAssertEqual(counts.serverCloses, 0, "connections are handed over, never closed: \(counts)")

        // The idle connection was carried through five generations.
        try idle.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let r = try XCTUnwrap(try idle.readResponse(), "the idle connection was closed by a reload")
        XCTAssertNotEqual(r.json?["edged"]?["pid"]?.intValue, firstPID, "answered by the newest generation")
        XCTAssertTrue(install.up.waitFor("handed to pid"), install.up.text)
    }

    /// An upgrade: the edged file is replaced, then reloaded. The old process
    /// runs a deleted file; the new generation starts from the new one.
    func testReloadAfterTheBinaryWasReplacedHandsOver() throws {
        let install = try Install()
        try install.start()
        let load = ClientLoad(port: install.port, keepAlive: 4, streaming: 2)
        load.start()
        XCTAssertTrue(load.awaitProgress(), "the load never got going")
        try install.replaceEdged()
        try install.reload()
        XCTAssertTrue(load.awaitProgress(), "no request answered after the reload")
        let counts = load.stop()
        XCTAssertEqual(counts.failed + counts.refused + counts.streamsCut, 0, "\(counts); \(load.firstFailures)")
        XCTAssertEqual(counts.serverCloses, 0, "\(counts)")
    }

    /// A new generation that does not take connections (an older edged that
    /// knows no handover): the old one answers each with Connection: close
    /// and closes after it; clients reconnect; nothing fails.
    func testANewGenerationThatRefusesTheHandoverStillFailsNothing() throws {
        let install = try Install()
        try install.start()
        let load = ClientLoad(port: install.port, keepAlive: 4, streaming: 2)
        load.start()
        XCTAssertTrue(load.awaitProgress(), "the load never got going")
        try install.replaceEdged(with: "#!/bin/sh\nunset DROIDGATE_HANDOVER_FD\nexec \(Binaries.path("edged")) \"$@\"\n")
        try install.reload()
        XCTAssertTrue(install.up.waitFor("does not take connections over", timeout: 15), install.up.text)
        XCTAssertTrue(load.awaitProgress(), "no request answered after the reload")
        let counts = load.stop()
        XCTAssertEqual(counts.failed + counts.refused + counts.streamsCut, 0, "\(counts); \(load.firstFailures)\n\(install.up.text.split(separator: "\n").filter { $0.contains("edged") && !$0.contains("POST") }.suffix(40).joined(separator: "\n"))")
        XCTAssertGreaterThan(counts.serverCloses, 0, "the fallback said Connection: close: \(counts)")
        XCTAssertTrue(install.up.text.contains("does not take connections over"), install.up.text)
    }
}
