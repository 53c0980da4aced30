import Foundation
import Glibc
import Shared
import XCTest

/// edged's kept connections to Factory (#27). libcurl says a connection is
/// no longer watched (REMOVE) when each transfer ends and asks for it again
/// when the next one starts; edged leaves such a connection in epoll, parked,
/// instead of removing and adding it each time (two epoll_ctl per request),
/// and takes it out only when it closes or stirs while parked.
final class FactoryConnectionReuseTests: XCTestCase {
    static let messages = FactoryHostileTests.messages
    static let reply = #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],"model":"claude-opus-4-6","stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#

    /// 50 requests on one client connection, over one kept Factory connection:
    /// edged makes (almost) no epoll_ctl calls for them. Before, each request
    /// removed and re-added the Factory socket: at least 100.
    func testRequestsOnAKeptFactoryConnectionMakeNoEpollCallsEach() throws {
        guard let strace = Files.which("strace") else { throw XCTSkip("strace is not installed (scripts/install-deps installs it)") }
        let server = try ScriptedHTTPServer { _, write in
            _ = write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(Self.reply.utf8.count)\r\n\r\n\(Self.reply)")
        }
        defer { server.stop() }
        let s = try FactoryHostileTests.stack(server)
        let pid = try XCTUnwrap(try request(s.edgePort, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue)
        let c = try RawHTTP(port: s.edgePort)
        // The first request opens the Factory connection (and registers it).
        try c.send(messagesPOST(Self.messages))
        XCTAssertEqual(try c.readResponse()?.status, 200)

        let log = s.dir.path + "/epoll.trace"
        let tracer = try RunningProcess(strace, ["-f", "-qq", "-e", "trace=epoll_ctl", "-o", log, "-p", String(pid)])
        XCTAssertTrue(eventually { PipelineTests.syscallsTraced(pid) }, "strace did not attach: \(tracer.text)")
        let n = 50
        for i in 0..<n {
            try c.send(messagesPOST(Self.messages))
            XCTAssertEqual(try c.readResponse()?.status, 200, "request \(i)")
        }
        tracer.signal(SIGINT)
        _ = tracer.waitForExit(timeout: 10)
        let calls = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains("epoll_ctl(") }
        XCTAssertEqual(server.connections.value, 1, "one Factory connection, kept")
        XCTAssertLessThan(calls.count, 10, "epoll_ctl calls for \(n) requests:\n" + calls.joined(separator: "\n"))
    }

    /// Factory ends an idle kept connection. The parked socket turns readable
    /// (end of file) while no transfer uses it: edged takes it out of epoll
    /// rather than waking for it again and again, and the next request goes
    /// out on a new connection.
    func testAnIdleFactoryConnectionTheServerClosesIsLeftAloneThenReplaced() throws {
        let server = try ScriptedHTTPServer(oneRequestPerConnection: true) { _, write in
            // Keep-alive by its head; closed a moment after the reply, when idle.
            _ = write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(Self.reply.utf8.count)\r\n\r\n\(Self.reply)")
            usleep(200_000)
        }
        defer { server.stop() }
        let s = try FactoryHostileTests.stack(server)
        let pid = Int32(try XCTUnwrap(try request(s.edgePort, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue))
        XCTAssertEqual(try s.post("/v1/messages", Self.messages).status, 200)
        usleep(500_000)   // the server has closed the connection by now
        let before = cpuSeconds(pid)
        usleep(1_000_000)
        let used = cpuSeconds(pid) - before
        XCTAssertLessThan(used, 0.2, "edged used \(used) s of CPU in 1 s with nothing to do")
        XCTAssertEqual(try s.post("/v1/messages", Self.messages).status, 200)
        XCTAssertEqual(server.connections.value, 2)
        XCTAssertEqual(server.heads.value.count, 2)
    }

    /// Two bursts of 16 concurrent requests with a quiet moment between: the
    /// second burst reuses the 16 connections the first opened. libcurl's
    /// default cache holds 4 × the transfers in progress at the moment one
    /// ends, so as the first burst drained it closed all but a few, and the
    /// second had to connect again (28 connections before, at most 16 now).
    func testConnectionsOpenedForABurstAreKeptThroughAQuietMoment() throws {
        let server = try ScriptedHTTPServer { _, write in
            usleep(300_000)   // long enough for all 16 to be in progress at once
            _ = write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(Self.reply.utf8.count)\r\n\r\n\(Self.reply)")
        }
        defer { server.stop() }
        // One loop: each loop keeps its own connections, and how the clients of
        // the two bursts spread over two loops would differ.
        let s = try FactoryHostileTests.stack(server, extra: #""edged": {"workers": 1}"#)
        for burst in 0..<2 {
            let statuses = Locked<[Int]>([])
            let done = DispatchGroup()
            for _ in 0..<16 {   // a thread each (concurrentPerform runs only as many as there are cores)
                done.enter()
                startThread("burst") {
                    let status = (try? s.post("/v1/messages", Self.messages).status) ?? -1
                    statuses.withLock { $0.append(status) }
                    done.leave()
                }
            }
            done.wait()
            XCTAssertEqual(statuses.value, Array(repeating: 200, count: 16), "burst \(burst)")
            usleep(200_000)
        }
        XCTAssertEqual(server.heads.value.count, 32)
        // At most one per request in flight at once (16 when a burst is fully concurrent).
        XCTAssertLessThanOrEqual(server.connections.value, 16, "the second burst went out on the first one's connections")
    }
}
