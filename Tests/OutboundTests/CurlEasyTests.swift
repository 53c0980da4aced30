import Glibc
import Outbound
import Shared
import XCTest

/// One request's libcurl handle: what it owns is freed with it.
final class CurlEasyTests: XCTestCase {
    final class Sink: CurlReceiver {
        func curlHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool { true }
        func curlBody(_ bytes: UnsafeRawBufferPointer) -> CurlBodyVerdict { .taken }
    }

    /// This process's resident memory, in bytes (/proc/self/statm's second field, in pages).
    static func resident() -> Int {
        guard let text = try? Files.read("/proc/self/statm"),
              let pages = String(decoding: text, as: UTF8.self).split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return -1 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The handle retains a box for its receiver (libcurl's user pointer). Its
    /// deinit released the box through a property observer, which Swift never
    /// runs in a deinit: the box, and the receiver it names, leaked on every
    /// request (the Factory route's benchmark saw ~0.85 KB of RSS per request).
    func testAHandleAndItsReceiverBoxAreFreedTogether() throws {
        let request = OutboundRequest(method: "POST", url: "http://127.0.0.1:9/", body: Array(repeating: 0x41, count: 64), idleTimeout: 5)
        func churn(_ n: Int) throws {
            for _ in 0..<n {
                let easy = try CurlEasy(request)
                easy.deliver(to: Sink())
            }
        }
        try churn(2000)   // warm: libcurl's and Swift's one-time allocations
        let before = Self.resident()
        try churn(100_000)
        let grown = Self.resident() - before
        // Leaking, each handle left its box and receiver behind: 100,000 of them, several MiB.
        XCTAssertLessThan(grown, 2 << 20, "100,000 handles grew the process by \(grown >> 10) KiB (\(grown / 100_000) bytes each)")
    }

    func testTheResponseHeadIsBoundedAndRefusesControlCharacters() throws {
        var head = UpstreamResponseHead(maxBytes: 256)
        for line in ["HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 200 OK\r\n", "Content-Length: 12\r\n", "Content-Type: text/plain\r\n", "\r\n"] {
            try Array(line.utf8).withUnsafeBytes { try head.feed($0) }
        }
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.contentLength, 12)
        XCTAssertEqual(head.contentType, "text/plain")
        XCTAssertTrue(head.complete)
        var bad = UpstreamResponseHead()
        try Array("HTTP/1.1 200 OK\r\n".utf8).withUnsafeBytes { try bad.feed($0) }
        XCTAssertThrowsError(try Array("Content-Type: a\rX-Injected: 1\r\n".utf8).withUnsafeBytes { try bad.feed($0) })
        var big = UpstreamResponseHead(maxBytes: 32)
        XCTAssertThrowsError(try Array(("X-Pad: " + String(repeating: "p", count: 40) + "\r\n").utf8).withUnsafeBytes { try big.feed($0) })
    }
}
