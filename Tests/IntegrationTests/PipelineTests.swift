import Foundation
import Glibc
import Shared
import XCTest

/// Clients that send many requests on one connection before reading: HTTP/1.1
/// pipelining taken to its end. Each request that ends while an earlier one
/// is still being processed is a note for that processing, never a nested
/// call, and answers wait in edged only up to a bound.
final class PipelineTests: XCTestCase {
    static let answer = Array("HTTP/1.1 200 OK\r\n".utf8)

    /// Reads from `socket` until `expected` answers have arrived (counting the
    /// status lines, across reads) or nothing came for `quiet` seconds.
    static func countAnswers(_ socket: Socket, expected: Int, quiet: Double = 10) throws -> Int {
        var seen = 0
        var carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while seen < expected {
            guard try Poll.readable(socket.fd, timeoutMs: Int32(quiet * 1000)) else { break }
            let n = recv(socket.fd.rawValue, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            var window = carry + chunk[0..<n]
            var i = 0
            while let r = window[i...].firstRange(of: answer) {
                seen += 1
                i = r.upperBound
            }
            // Keep what could be the start of a status line cut by the read.
            window.removeFirst(max(i, window.count - (answer.count - 1)))
            carry = window
        }
        return seen
    }

    /// Writes `requests` on the non-blocking `socket` until the kernel takes no
    /// more for half a second (edged stopped reading) or all are written;
    /// `each` runs after every attempt. Returns how many bytes went out.
    static func floodUntilBlocked(_ socket: Socket, _ requests: [UInt8], each: () -> Void = {}) throws -> Int {
        var offset = 0
        var lastProgress = Date()
        try requests.withUnsafeBytes { all in
            while offset < all.count, Date().timeIntervalSince(lastProgress) < 0.5 {
                if let sent = try socket.fd.sendNonBlocking(UnsafeRawBufferPointer(rebasing: all[offset..<min(all.count, offset + 65536)])) {
                    offset += sent
                    lastProgress = Date()
                } else {
                    usleep(5_000)
                }
                each()
            }
        }
        return offset
    }

    /// Writes `bytes[from..<to]` on the (blocking) `socket` from a thread of its
    /// own, while the test reads; stops at the first error.
    static func sendInBackground(_ socket: Socket, _ bytes: [UInt8], from: Int, to: Int) {
        let fd = socket.fd.rawValue
        startThread("test-writer") {
            bytes.withUnsafeBytes { all in
                var at = from
                while at < to {
                    let sent = send(fd, all.baseAddress! + at, to - at, Int32(MSG_NOSIGNAL))
                    if sent < 0 && errno == EINTR { continue }
                    if sent <= 0 { return }
                    at += sent
                }
            }
        }
    }

    /// Waits (up to 10 s) until edged's CPU time stops moving, then asserts that
    /// it stays idle for a second: waiting for a client that does not read
    /// costs nothing (a spinning loop never goes quiet, and the second shows it).
    static func assertGoesQuiet(_ pid: pid_t, file: StaticString = #filePath, line: UInt = #line) {
        var last = cpuTicks(pid)
        _ = eventually(timeout: 10) {
            usleep(200_000)
            let now = cpuTicks(pid)
            defer { last = now }
            return now - last <= 1
        }
        let before = cpuTicks(pid)
        usleep(1_000_000)
        let spent = cpuTicks(pid) - before
        XCTAssertLessThan(spent, 20, "edged used \(spent) ticks (1/100 s) of CPU in 1 s waiting for the client to read", file: file, line: line)
    }

    /// `count` requests for /healthz, each `padding` bytes longer by a header.
    static func healthz(_ count: Int, padding: Int = 0) -> [UInt8] {
        let pad = padding > 0 ? "X-Pad: " + String(repeating: "p", count: padding) + "\r\n" : ""
        return Array(String(repeating: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\(pad)\r\n", count: count).utf8)
    }

    /// 5000 requests in one write, all answered on the spot. Each answer used
    /// to start the next request from inside the previous one's call stack:
    /// about 600 pipelined requests overflowed the event loop thread's stack
    /// and edged died with every connection it held.
    func testThousandsOfPipelinedRequestsAreAllAnswered() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        let n = 5000
        try c.send(Self.healthz(n))
        XCTAssertEqual(try Self.countAnswers(c.socket, expected: n), n)
        XCTAssertTrue(stack.edged.isRunning, stack.edged.text)
        // And edged still serves: a new connection is answered.
        XCTAssertEqual(try request(stack.edgePort, "GET", "/healthz")?.status, 200)
    }

    /// A client that writes requests and never reads the answers. Before,
    /// edged answered each at once and queued the answers: tens of MiB a
    /// second of resident memory for one connection. Now answers stop once
    /// a high-water mark (1 MiB) is queued, the requests wait in the kernel
    /// and the sender blocks, and when the client reads, every request is
    /// answered.
    func testAClientThatDoesNotReadItsAnswersHoldsEdgedToABoundedQueue() throws {
        let stack = try ProxyStack(logLevel: "warning")   // not 200,000 access lines
        let pid = stack.edged.pid
        let c = try RawHTTP(port: stack.edgePort)
        try c.socket.fd.setNonBlocking()
        // Padded requests fill the kernel's buffers on the request side sooner;
        // on the answer side (~300 bytes each) they hold about 20,000.
        let n = 50_000
        let requests = Self.healthz(n, padding: 1024)
        let idle = FactoryTests.rss(pid)
        var peak = idle
        let offset = try Self.floodUntilBlocked(c.socket, requests) { peak = max(peak, FactoryTests.rss(pid)) }
        XCTAssertLessThan(offset, requests.count, "edged kept reading requests whose answers nobody took")
        XCTAssertLessThan(peak - idle, 8 << 20, "edged grew from \(idle) to \(peak) bytes for one client that does not read")
        // The client reads now; the rest of its requests go out meanwhile.
        try c.socket.fd.setNonBlocking(false)
        Self.sendInBackground(c.socket, requests, from: offset, to: requests.count)
        XCTAssertEqual(try Self.countAnswers(c.socket, expected: n), n, "every request answered once read")
        XCTAssertTrue(stack.edged.isRunning, stack.edged.text)
    }

    /// edged stops (SIGTERM) while a client that does not read has answers
    /// queued: the connection is idle between requests, and a stop closes idle
    /// connections. It now closes once the queued answers are written (the
    /// client reads each whole, then end of file); before, it was closed at
    /// once and the client's last answer arrived cut.
    func testAStopWritesTheAnswersQueuedForAClientThatDoesNotReadBeforeClosing() throws {
        let stack = try ProxyStack(logLevel: "warning")
        let c = try RawHTTP(port: stack.edgePort)
        try c.socket.fd.setNonBlocking()
        let requests = Self.healthz(50_000, padding: 1024)
        let offset = try Self.floodUntilBlocked(c.socket, requests)
        XCTAssertLessThan(offset, requests.count, "edged stopped reading: answers are queued")
        stack.edged.signal(SIGTERM)
        try c.socket.fd.setNonBlocking(false)
        // The flood may have stopped inside a request: its rest goes out as the
        // client reads (a client that stops mid-request gets a 408 instead).
        let one = requests.count / 50_000
        Self.sendInBackground(c.socket, requests, from: offset, to: (offset + one - 1) / one * one)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var ending = "nothing for 10 s"
        while try Poll.readable(c.socket.fd, timeoutMs: 10_000) {
            let n = recv(c.socket.fd.rawValue, &chunk, chunk.count, 0)
            if n < 0 { ending = "error \(errno)"; break }
            if n == 0 { ending = "end of file"; break }
            received += chunk[0..<n]
        }
        XCTAssertEqual(ending, "end of file", "the connection was reset, not closed")
        let answers = received.ranges(of: Self.answer).count
        XCTAssertGreaterThan(answers, 1000)
        XCTAssertEqual(received.last, UInt8(ascii: "}"), "the last answer is whole")
        XCTAssertEqual(stack.edged.waitForExit(timeout: 15), 0, stack.edged.text)
    }

    /// A client that writes its requests, closes its sending side and reads
    /// later (`nc -N` style): edged, holding answers for it, waits without
    /// using CPU, and every request gets its answer before edged closes. (Its
    /// end of file reaches edged once the queue has drained here; the next
    /// test has it arrive with answers still queued.)
    func testAClientThatHalfClosesAndReadsLaterGetsEveryAnswerWhileEdgedWaitsIdle() throws {
        let stack = try ProxyStack(logLevel: "warning")
        let pid = stack.edged.pid
        let c = try RawHTTP(port: stack.edgePort)
        let n = 60_000   // 2.5 MB of requests, about 18 MB of answers
        try c.send(Self.healthz(n))
        XCTAssertEqual(shutdown(c.socket.fd.rawValue, Int32(SHUT_WR)), 0)
        // edged reads and answers until the queue is full, then waits.
        Self.assertGoesQuiet(pid)
        XCTAssertEqual(try Self.countAnswers(c.socket, expected: n), n)
        XCTAssertTrue(stack.edged.isRunning, stack.edged.text)
    }

    /// The end of file arrives while answers are still queued in edged: a
    /// client on the Unix-socket listener (whose kernel buffers hold ~200 KiB,
    /// where a loopback TCP connection's grow to MiBs) sends 2000 requests,
    /// about 600 KB of answers, closes its sending side and reads only when
    /// edged has gone quiet. edged has read every request and the end of file
    /// by then, with the answers the kernel did not take (less than the 1 MiB
    /// high-water mark) queued: they are written, then the connection closes.
    /// Closing at the end of file lost them (the client got the ~170 the kernel held).
    func testAnEndOfFileWithAnswersStillQueuedClosesOnlyOnceTheyAreWritten() throws {
        let probe = TempDir()
        let path = probe.path + "/http.sock"
        let stack = try ProxyStack(config: #""clients": {"unixSocket": "\#(path)"}"#, logLevel: "warning")
        // ProxyStack is up once the TCP port answers; the Unix socket listens just after.
        var connected: Socket?
        XCTAssertTrue(eventually { connected = try? Socket.connectUnix(path: path); return connected != nil }, stack.edged.text)
        let pid = stack.edged.pid
        let c = try XCTUnwrap(connected)
        defer { c.close() }
        let n = 2000
        let requests = Self.healthz(n)
        try c.fd.writeAll(requests)
        XCTAssertEqual(shutdown(c.fd.rawValue, Int32(SHUT_WR)), 0)
        // edged reads the requests and the end of file, writes what the kernel takes, and waits.
        Self.assertGoesQuiet(pid)
        var sent = 0
        XCTAssertEqual(ioctl(c.fd.rawValue, UInt(FIONREAD), &sent), 0)
        XCTAssertLessThan(sent, n * 250, "the kernel took every answer: the end of file came with none queued, nothing tested")
        XCTAssertEqual(try Self.countAnswers(c, expected: n, quiet: 5), n)
        var byte: UInt8 = 0
        XCTAssertTrue(try Poll.readable(c.fd, timeoutMs: 5000))
        XCTAssertEqual(recv(c.fd.rawValue, &byte, 1, 0), 0, "edged closes after the last answer")
        XCTAssertTrue(stack.edged.isRunning, stack.edged.text)
    }

    /// Pipelined Factory requests on a loop slowed down (edged under strace):
    /// Factory's answer is there before libcurl looks, so each transfer ends
    /// inside the call that started it, and its client's next request was
    /// started from there — one more libcurl call on the stack per request,
    /// until the stack ran out (SIGSEGV in libcurl after a few hundred).
    func testPipelinedFactoryRequestsThatEndAtOnceDoNotNestOnTheStack() throws {
        guard let strace = Files.which("strace") else { throw XCTSkip("strace is not installed (scripts/install-deps installs it)") }
        let s = try FactoryTests.Stack()
        let pid = try XCTUnwrap(try request(s.edgePort, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue)
        let tracer = try RunningProcess(strace, ["-f", "-qq", "-o", "/dev/null", "-p", String(pid)])
        defer { tracer.signal(SIGINT) }
        // strace says nothing when attached: wait until a traced edged answers (slowly).
        XCTAssertTrue(eventually { Self.syscallsTraced(pid) }, "strace did not attach: \(tracer.text)")
        let body = #"{"model":"claude-f","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#
        let one = messagesPOST(body)
        let n = 1200
        let c = try RawHTTP(port: s.edgePort)
        try c.send(String(repeating: one, count: n))
        XCTAssertEqual(try Self.countAnswers(c.socket, expected: n, quiet: 20), n)
        XCTAssertNotNil(try request(s.edgePort, "GET", "/healthz"), "edged is still up")
    }

    /// True once `pid` has a tracer (TracerPid in /proc/<pid>/status).
    static func syscallsTraced(_ pid: Int) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("TracerPid:") }) else { return false }
        return line.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespaces) != "0" } ?? false
    }
}
