import CCurl
import Glibc
@testable import Outbound
import Shared
import XCTest

/// A reused handle (edged keeps finished ones for the next request) carries
/// nothing of the request before it: not its proxy, method, body or headers.
final class CurlEasyReuseTests: XCTestCase {
    /// Answers every request on its own connection with 200 "ok" (a CONNECT
    /// with 403), keeping each request's head and body.
    final class Recorder: @unchecked Sendable {
        let listener: Socket
        let port: UInt16
        let requests = Locked<[String]>([])

        init() throws {
            listener = try Socket.listenTCP(SocketAddress(parsing: "127.0.0.1:0")!)
            port = listener.localAddress()!.port
            startThread("recorder") { [self] in
                while let c = try? listener.accept() { serve(c) }
            }
        }

        private func serve(_ c: Socket) {
            defer { c.close() }
            var got: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 8192)
            func text() -> String { String(decoding: got, as: UTF8.self) }
            while !text().contains("\r\n\r\n") {
                let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
                if n <= 0 { return }
                got.append(contentsOf: chunk[0..<n])
            }
            let head = text().components(separatedBy: "\r\n\r\n")[0]
            let length = head.lowercased().components(separatedBy: "\r\n")
                .first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
            while got.count < head.utf8.count + 4 + length {
                let n = Glibc.recv(c.fd.rawValue, &chunk, chunk.count, 0)
                if n <= 0 { break }
                got.append(contentsOf: chunk[0..<n])
            }
            requests.withLock { $0.append(text()) }
            let reply = head.hasPrefix("CONNECT ") ? "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            _ = try? Array(reply.utf8).withBytes { (b) throws(SystemError) in try c.sendAll(b) }
        }
    }

    final class Collect: CurlReceiver {
        var body: [UInt8] = []
        func curlHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool { true }
        func curlBody(_ bytes: UnsafeRawBufferPointer) -> CurlBodyVerdict { body += bytes; return .taken }
    }

    func testAReusedHandleKeepsNothingOfThePreviousRequest() throws {
        let proxy = try Recorder()
        let target = try Recorder()
        let url = "http://127.0.0.1:\(target.port)/first"
        var first = OutboundRequest(method: "PUT", url: url, headers: [("x-first", "1")], body: Array("first body".utf8),
                                    route: .proxy(try ProxyURL(parsing: "http://user:secret@127.0.0.1:\(proxy.port)")),
                                    idleTimeout: 5, totalTimeout: 5)
        first.headers.append(("accept", "text/plain"))
        let easy = try CurlEasy(first)
        let sink = Collect()   // libcurl's callbacks reach it unowned: kept alive here
        easy.deliver(to: sink)
        _ = ccurl_perform(easy)   // the proxy refuses the tunnel: only the CONNECT is seen
        XCTAssertEqual(proxy.requests.withLock { $0.count }, 1)
        XCTAssertTrue(proxy.requests.withLock { $0[0] }.hasPrefix("CONNECT 127.0.0.1:\(target.port) "))

        easy.reuse(for: OutboundRequest(method: "GET", url: "http://127.0.0.1:\(target.port)/second", idleTimeout: 5))
        let got = Collect()
        easy.deliver(to: got)
        XCTAssertEqual(ccurl_perform(easy), 0, easy.errorDetail)
        XCTAssertEqual(String(decoding: got.body, as: UTF8.self), "ok")
        XCTAssertEqual(proxy.requests.withLock { $0.count }, 1, "the second request went through the first one's proxy")
        let second = try XCTUnwrap(target.requests.withLock { $0.first })
        XCTAssertTrue(second.hasPrefix("GET /second HTTP/1.1\r\n"), second)
        let lower = second.lowercased()
        for leftover in ["x-first", "first body", "proxy-authorization", "content-length", "accept: text/plain"] {
            XCTAssertFalse(lower.contains(leftover), "the reused handle sent \(leftover): \(second)")
        }
        // libcurl's own Accept and Expect stay off on the reused handle too.
        XCTAssertFalse(lower.contains("accept:"), second)

        easy.reuse(for: OutboundRequest(method: "POST", url: "http://127.0.0.1:\(target.port)/third", idleTimeout: 5))
        easy.deliver(to: sink)
        XCTAssertEqual(ccurl_perform(easy), 0, easy.errorDetail)
        let third = try XCTUnwrap(target.requests.withLock { $0.count == 2 ? $0[1] : nil })
        XCTAssertTrue(third.hasPrefix("POST /third HTTP/1.1\r\n"), third)
        XCTAssertTrue(third.lowercased().contains("content-length: 0\r\n"), "a POST without a body sends none: \(third)")
    }

    func testHeaderNamesCompareAsHTTPDoes() {
        XCTAssertTrue(CurlEasy.sameName("Expect", "expect"))
        XCTAssertTrue(CurlEasy.sameName("ACCEPT", "accept"))
        XCTAssertFalse(CurlEasy.sameName("Accept-Encoding", "accept"))
        XCTAssertFalse(CurlEasy.sameName("Acceps", "accept"))
        XCTAssertFalse(CurlEasy.sameName("[ccept", "accept"))   // '[' is not 'A' + 26
    }

    func testTheHostOfAURL() {
        XCTAssertEqual(OutboundRequest.host(of: "https://api.factory.ai/api/llm/a/v1/messages"), "api.factory.ai")
        XCTAssertEqual(OutboundRequest.host(of: "http://127.0.0.1:8080?x=1"), "127.0.0.1:8080")
        XCTAssertEqual(OutboundRequest.host(of: "https://[::1]:443#f"), "[::1]:443")
        XCTAssertEqual(OutboundRequest.host(of: "api.example"), "api.example")
    }

    /// A handle reused after a large body keeps a small buffer, not the large one
    /// (edged keeps up to 64 spare handles per loop).
    func testABufferGrownForALargeBodyIsNotKept() throws {
        let big = OutboundRequest(method: "POST", url: "http://127.0.0.1:9/", body: [UInt8](repeating: 0x61, count: 4 << 20), idleTimeout: 5)
        let easy = try CurlEasy(big)
        XCTAssertGreaterThanOrEqual(easy.bodyCapacity, 4 << 20)
        easy.reuse(for: OutboundRequest(method: "POST", url: "http://127.0.0.1:9/", body: Array("{}".utf8), idleTimeout: 5))
        XCTAssertEqual(easy.bodyCapacity, CurlEasy.keptBodyBytes)
        easy.reuse(for: OutboundRequest(method: "POST", url: "http://127.0.0.1:9/", body: [UInt8](repeating: 0x62, count: 100_000), idleTimeout: 5))
        XCTAssertGreaterThanOrEqual(easy.bodyCapacity, 100_000)
    }
}

/// Performs `easy` on this thread (libcurl's blocking interface), its result code.
private func ccurl_perform(_ easy: CurlEasy) -> Int32 { ccurl_easy_perform(easy.handle) }
