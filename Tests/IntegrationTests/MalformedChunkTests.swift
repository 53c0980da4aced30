import Foundation
import Glibc
import Shared
import XCTest

/// A backend answering `Transfer-Encoding: chunked` with a chunk size that is
/// not hex. edged once marked its upstream connection closed before calling
/// close(), which then returned early: the socket stayed registered and
/// open, and the event loop spun at 100% CPU on it. Now the client gets a 502
/// (or, if the head was already relayed, a cut-off response), never a hang,
/// and edged is back to its descriptors and idle.
final class MalformedChunkTests: XCTestCase {
    let chatBody = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#
    static let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let badChunk = "ZZZ\r\nnot a chunk\r\n0\r\n\r\n"

    static func descriptorCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// edged's descriptor count when idle: the least of a few samples (its IPC
    /// clients retry authd and supervisord, which are not running, with a
    /// socket each time).
    static func idleDescriptors(_ pid: Int32) -> Int {
        var least = Int.max
        for _ in 0..<10 {
            least = min(least, descriptorCount(pid))
            usleep(50_000)
        }
        return least
    }

    func chatRequest() -> String {
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)"
    }

    /// Runs `rounds` requests against a backend sending `parts`, checks each
    /// client's answer with `check`, then edged's descriptors and CPU.
    func run(parts: [String], rounds: Int = 6, check: (RawHTTP, Int) throws -> Void) throws {
        let stack = try ProxyStack(config: #""limits": {"backendHoldSeconds": 1}"#, startBackend: false)
        let backend = try RawBackend(port: stack.backendPort, answer: parts)
        defer { backend.stop() }
        let pid = stack.edged.pid
        XCTAssertEqual(try request(stack.edgePort, "GET", "/healthz")?.status, 200)
        let baseline = Self.idleDescriptors(pid)

        for i in 0..<rounds {
            let c = try RawHTTP(port: stack.edgePort)
            try c.send(chatRequest())
            try check(c, i)
            c.socket.close()
        }
        XCTAssertEqual(backend.connections.value, rounds, "one upstream connection per request, none reused")

        // The backend closes its side 0.5 s after answering: a socket edged
        // forgot is then readable (end of file) for good.
        usleep(800_000)
        XCTAssertTrue(eventually(timeout: 5) { Self.idleDescriptors(pid) <= baseline },
                      "edged holds \(Self.idleDescriptors(pid) - baseline) descriptors more than before: \(stack.edged.text.suffix(1500))")
        let before = cpuSeconds(pid)
        usleep(1_000_000)
        let used = cpuSeconds(pid) - before
        XCTAssertGreaterThanOrEqual(before, 0)
        XCTAssertLessThan(used, 0.05, "edged used \(Int(used * 100))% of a core while idle")
        XCTAssertEqual(try request(stack.edgePort, "GET", "/healthz")?.status, 200, "edged still serves")
    }

    /// The bad chunk arrives with the head: the client gets a 502.
    func testMalformedChunkWithTheHeadGets502AndLeavesNothingBehind() throws {
        try run(parts: [Self.head + Self.badChunk]) { c, i in
            let r = try XCTUnwrap(try c.readResponse(timeout: 5), "request \(i): no answer: \(c.received)")
            XCTAssertEqual(r.status, 502, "request \(i): \(r.bodyText)")
            XCTAssertTrue(r.bodyText.contains("malformed chunked response body"), r.bodyText)
        }
    }

    /// The head is relayed before the bad chunk arrives: the client's response is cut off.
    func testMalformedChunkAfterTheHeadCutsTheResponseOffAndLeavesNothingBehind() throws {
        try run(parts: [Self.head + "5\r\nhello\r\n", Self.badChunk]) { c, i in
            XCTAssertTrue(try c.waitForClose(timeout: 5), "request \(i): the response was never ended: \(c.received)")
            XCTAssertTrue(c.received.hasPrefix("HTTP/1.1 200 "), "request \(i): \(c.received)")
            XCTAssertTrue(c.received.contains("hello"), c.received)
            XCTAssertFalse(c.received.hasSuffix("0\r\n\r\n"), "no clean end for a broken body: \(c.received)")
        }
    }
}
