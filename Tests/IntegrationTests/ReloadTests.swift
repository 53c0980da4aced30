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
        try stream.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-fake-events: 15\r\nx-fake-event-delay-ms: 100\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
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
        usleep(200_000)
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["reload", "edged", "--config", config])
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(eventually(timeout: 15) {
            guard let p = (try? request(port, "GET", "/healthz"))??.json?["edged"]?["pid"]?.intValue else { return false }
            return p != before
        }, up.text)
        usleep(500_000)
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
