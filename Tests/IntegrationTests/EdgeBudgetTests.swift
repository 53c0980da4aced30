import Foundation
import Glibc
import Shared
import XCTest

/// edged's budgets (issue 25): connections, bytes buffered for requests being
/// read, and the total time a request body may take.
final class EdgeBudgetTests: XCTestCase {
    /// Lines of edged's output containing `text`.
    func lines(_ p: RunningProcess, containing text: String) -> [Substring] {
        p.text.split(separator: "\n").filter { $0.contains(text) }
    }

    func testRequestsPastTheBufferBudgetGet503WithRetryAfterAndOneLogLine() throws {
        let stack = try ProxyStack(config: #""limits": {"maxBufferedBodyBytes": 1048576}"#)
        // A holds 800,000 of its 900,000 body bytes: most of the 1 MiB budget.
        let a = try RawHTTP(port: stack.edgePort)
        try a.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 900000\r\n\r\n")
        try a.send([UInt8](repeating: 0x20, count: 800_000))
        // B's 600,000 bytes do not fit beside them: 503 with Retry-After (once edged has read A's bytes).
        let big = String(repeating: " ", count: 600_000)
        var refused: RawHTTP.Response? = nil
        XCTAssertTrue(eventually(timeout: 10) {
            refused = try? request(stack.edgePort, "POST", "/v1/chat/completions", body: big)
            return refused?.status == 503
        }, "last answer: \(String(describing: refused?.status))")
        XCTAssertEqual(refused?.header("retry-after"), "1")
        XCTAssertEqual(refused?.json?["error"]?["type"]?.stringValue, "overloaded")
        XCTAssertTrue(refused?.json?["error"]?["message"]?.stringValue?.contains("limits.maxBufferedBodyBytes") == true, refused?.bodyText ?? "")
        // More refusals in the same second: still at most two log lines (rate-limited, with a count).
        for _ in 0..<5 { XCTAssertEqual(try request(stack.edgePort, "POST", "/v1/chat/completions", body: big)?.status, 503) }
        XCTAssertLessThanOrEqual(lines(stack.edged, containing: "limits.maxBufferedBodyBytes (1048576 bytes) reached").count, 2, stack.edged.text)
        XCTAssertGreaterThanOrEqual(lines(stack.edged, containing: "limits.maxBufferedBodyBytes (1048576 bytes) reached").count, 1, stack.edged.text)
        // A small request still goes through meanwhile.
        XCTAssertEqual(try request(stack.edgePort, "POST", "/v1/chat/completions", body: #"{"model":"gpt-5","messages":[]}"#)?.status, 200)
        // A finishes; its bytes come back to the budget and B's request fits again.
        try a.send([UInt8](repeating: 0x20, count: 100_000))
        XCTAssertNotNil(try a.readResponse(), "A is answered")
        XCTAssertTrue(eventually(timeout: 10) { (try? request(stack.edgePort, "POST", "/v1/chat/completions", body: big))?.status != 503 })
    }

    func testConnectionsPastMaxConnectionsGet503AndOneLogLineAndRecover() throws {
        let stack = try ProxyStack(config: #""limits": {"maxConnections": 8}"#)
        var held: [RawHTTP] = []
        for _ in 0..<8 {
            let c = try RawHTTP(port: stack.edgePort)
            try c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            XCTAssertEqual(try c.readResponse()?.status, 200)   // accepted and kept alive
            held.append(c)
        }
        for i in 0..<6 {
            let c = try RawHTTP(port: stack.edgePort)
            let r = try XCTUnwrap(try c.readResponse(timeout: 5), "connection \(i) past the limit is answered")
            XCTAssertEqual(r.status, 503)
            XCTAssertEqual(r.header("retry-after"), "1")
            XCTAssertTrue(r.json?["error"]?["message"]?.stringValue?.contains("limits.maxConnections") == true, r.bodyText)
            XCTAssertTrue(try c.waitForClose(timeout: 5), "and closed")
        }
        let logged = lines(stack.edged, containing: "limits.maxConnections (8) reached")
        XCTAssertTrue((1...2).contains(logged.count), "one line a second at most: \(logged)")
        // Room again once one closes.
        held.removeLast()
        XCTAssertTrue(eventually(timeout: 10) { (try? request(stack.edgePort, "GET", "/healthz"))?.status == 200 })
    }

    func testABodyTricklingFasterThanTheStallTimeoutIsCutAtItsTotalDeadline() throws {
        // 2,048 bytes at 1,024 B/s + 1 s: the body must be in within 3 s, whatever the pace of its bytes.
        let stack = try ProxyStack(config: #""limits": {"minBodyBytesPerSecond": 1024, "headerTimeoutSeconds": 1}"#)
        let c = try RawHTTP(port: stack.edgePort)
        let start = Date()
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2048\r\n\r\n")
        var answered = false
        // 50 bytes every 0.2 s (never silent for the 1 s stall timeout) would take 8 s.
        for _ in 0..<40 {
            try? c.send([UInt8](repeating: 0x20, count: 50))
            if try c.fill(timeout: 0.2) > 0 || c.closedByPeer { answered = true; break }
        }
        XCTAssertTrue(answered, "no answer while the body trickled")
        let r = try XCTUnwrap(try c.readResponse(timeout: 5), c.received)
        XCTAssertEqual(r.status, 408)
        XCTAssertTrue(r.bodyText.contains("limits.minBodyBytesPerSecond"), r.bodyText)
        let took = Date().timeIntervalSince(start)
        XCTAssertLessThan(took, 5, "cut at the 3 s body deadline (plus a tick)")
    }
}

/// edged out of descriptors (issue 25: accept failing with EMFILE spun on the
/// readable listener, 282,929 log lines and 2.2 s of CPU in 9 s).
final class EdgeDescriptorTests: XCTestCase {
    func testAcceptOutOfDescriptorsPausesLogsOnceASecondAndRecovers() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit(1) (util-linux)")
        let dir = TempDir()
        let backendPort = freePort(), edgePort = freePort()
        let backend = try ProxyStack.startBackend(port: backendPort)
        defer { backend.signal(SIGKILL) }
        let config = dir.write("droidgate.json", """
        {"listen": "127.0.0.1:\(edgePort)", "backend": {"port": \(backendPort), "supervised": false}}
        """)
        // prlimit(1) sets the limit and execs edged: the pid is edged's.
        let edged = try RunningProcess("/usr/bin/prlimit", ["--nofile=64", "--", Binaries.path("edged"), "--config", config],
                                       environment: ["DROIDGATE_ROOT": dir.path])
        defer { edged.signal(SIGKILL) }
        XCTAssertTrue(eventually(timeout: 10) { (try? request(edgePort, "GET", "/healthz"))?.status == 200 }, edged.text)

        // More connections than edged has descriptors left: accepts fail.
        var held: [RawHTTP] = []
        for _ in 0..<100 { held.append(try RawHTTP(port: edgePort)) }
        XCTAssertTrue(edged.waitFor("accept failed", timeout: 10), edged.text)

        // Over a 3 s window (a rate needs one): bounded log lines, little CPU.
        let cpuBefore = cpuSeconds(edged.pid)
        let linesBefore = edged.text.components(separatedBy: "accept failed").count
        sleepSeconds(3)
        let cpu = cpuSeconds(edged.pid) - cpuBefore
        let lines = edged.text.components(separatedBy: "accept failed").count - linesBefore
        print("accept-failure lines in 3 s: \(lines); edged CPU in 3 s: \(cpu) s")
        XCTAssertLessThanOrEqual(lines, 4, "one line a second at most")
        XCTAssertLessThan(cpu, 0.3, "edged spins on the listener")
        XCTAssertTrue(edged.waitFor("pausing accepts"), edged.text)

        // Descriptors free up: new connections are served again, without a restart.
        held.removeAll()
        XCTAssertTrue(eventually(timeout: 10) { (try? request(edgePort, "GET", "/healthz", timeout: 2))?.status == 200 }, edged.text)
    }
}
