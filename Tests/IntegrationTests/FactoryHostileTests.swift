import Foundation
import Glibc
import Shared
import XCTest

/// A Factory (or anything on that path: a proxy, a wrong baseURL) that sends
/// garbage (#27). Every buffer it fills in edged has a bound: past one the
/// client gets a 502 naming it, and edged's memory stays near idle. Before,
/// URLSession's path buffered without limit (one 400 MiB event-stream line
/// took edged from 37 MB to 784 MB), passed a CR from Factory's Content-Type
/// into the client's head, and kept Factory's cookies for every later request.
final class FactoryHostileTests: XCTestCase {
    typealias Stack = FactoryTests.Stack

    static let streamedChat = #"{"model":"claude-f","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
    static let chat = #"{"model":"claude-f","messages":[{"role":"user","content":"hi"}]}"#
    static let messages = #"{"model":"claude-f","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#

    /// A stack whose Factory is `server` (Factory key, no WorkOS).
    static func stack(_ server: ScriptedHTTPServer, extra: String? = nil, factoryTimeout: Int? = nil) throws -> Stack {
        try Stack(env: ["FACTORY_API_KEY": "fk-test"], withWorkOS: false, extra: extra, factoryURL: "http://127.0.0.1:\(server.port)",
                  factoryTimeout: factoryTimeout)
    }

    func edgedPID(_ s: Stack) throws -> Int32 {
        Int32(try XCTUnwrap(try request(s.edgePort, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue))
    }

    /// Sends `chunk` until `total` bytes went out or the peer stops reading.
    static func endless(_ write: (String) -> Bool, _ chunk: String, total: Int) {
        var sent = 0
        while sent < total, write(chunk) { sent += chunk.utf8.count }
    }

    static let kib64 = String(repeating: "x", count: 65536)

    func testAnEndlessEventStreamLineIsA502AndMemoryStaysBounded() throws {
        let server = try ScriptedHTTPServer { _, write in
            guard write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: ") else { return }
            Self.endless(write, Self.kib64, total: 400 << 20)
        }
        defer { server.stop() }
        let s = try Self.stack(server)
        let pid = try edgedPID(s)
        let before = FactoryTests.rss(pid)
        let r = try s.post("/v1/chat/completions", Self.streamedChat)
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("an event-stream line longer than 8388608 bytes"), r.bodyText)
        XCTAssertLessThan(server.sent.value, 64 << 20, "edged stopped reading soon after the bound")
        XCTAssertLessThan(FactoryTests.rss(pid) - before, 32 << 20, "edged's memory stays near idle")
        XCTAssertTrue(s.up.waitFor("warning: edged: Factory (127.0.0.1:\(server.port)) sent an event-stream line longer than"), s.up.text)
    }

    func testAnEndlessReplyToTranslateIsA502() throws {
        let server = try ScriptedHTTPServer { _, write in
            guard write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[") else { return }
            Self.endless(write, Self.kib64, total: 400 << 20)
        }
        defer { server.stop() }
        let s = try Self.stack(server)
        let pid = try edgedPID(s)
        let before = FactoryTests.rss(pid)
        let r = try s.post("/v1/chat/completions", Self.chat)
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("a reply larger than 16 MiB to translate"), r.bodyText)
        XCTAssertLessThan(server.sent.value, 64 << 20)
        XCTAssertLessThan(FactoryTests.rss(pid) - before, 48 << 20)
    }

    func testEndlessHeadersAreA502() throws {
        let server = try ScriptedHTTPServer { _, write in
            guard write("HTTP/1.1 200 OK\r\n") else { return }
            Self.endless(write, "X-Pad: " + String(repeating: "h", count: 4000) + "\r\n", total: 400 << 20)
        }
        defer { server.stop() }
        let s = try Self.stack(server)
        let r = try s.post("/v1/messages", Self.messages)
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("the response head is larger than 65536 bytes"), r.bodyText)
        XCTAssertLessThan(server.sent.value, 16 << 20)
    }

    func testACarriageReturnInAHeaderValueNeverReachesTheClient() throws {
        let server = try ScriptedHTTPServer { _, write in
            _ = write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\rX-Injected: yes\r\nContent-Length: 2\r\n\r\nok")
        }
        defer { server.stop() }
        let s = try Self.stack(server)
        let c = try RawHTTP(port: s.edgePort)
        try c.send(messagesPOST(Self.messages))
        let r = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("Content-Type carries a control character"), r.bodyText)
        XCTAssertNil(r.header("X-Injected"))
    }

    /// Factory sets a cookie; no later request — this client's or another's — carries it.
    func testCookiesNeverTravel() throws {
        let reply = #"{"id":"m","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#
        let server = try ScriptedHTTPServer { _, write in
            _ = write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: session=secret-of-client-1; Path=/\r\n"
                      + "Set-Cookie: tracker=1; Path=/api\r\nContent-Length: \(reply.utf8.count)\r\n\r\n\(reply)")
        }
        defer { server.stop() }
        // One loop: every request goes through the same libcurl multi handle and connection.
        let s = try Self.stack(server, extra: #""edged": {"workers": 1}"#)
        for _ in 0..<3 { XCTAssertEqual(try s.post("/v1/messages", Self.messages).status, 200) }
        let heads = server.heads.value
        XCTAssertEqual(heads.count, 3)
        for h in heads { XCTAssertFalse(h.lowercased().contains("\r\ncookie:"), h) }
    }

    /// A Factory that goes silent in the middle of a stream: libcurl's idle
    /// limit (`factory.timeoutSeconds`, checked on its timer, which edged's
    /// loop drives through a timerfd) ends the transfer, and the client's
    /// stream is cut off — not held open for as long as Factory stays quiet.
    func testAFactoryThatGoesSilentMidStreamIsCutAfterTheIdleLimit() throws {
        let server = try ScriptedHTTPServer { _, write in
            guard write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                        + "event: ping\ndata: {\"type\":\"ping\"}\n\n") else { return }
            sleep(30)   // then nothing: the connection stays open and silent
        }
        defer { server.stop() }
        let s = try Self.stack(server, factoryTimeout: 2)
        let c = try RawHTTP(port: s.edgePort)
        let body = #"{"model":"claude-f","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#
        let started = Date()
        try c.send(messagesPOST(body))
        XCTAssertNotNil(try c.waitFor("\"type\":\"ping\"", timeout: 5), c.received)
        XCTAssertTrue(try c.waitForClose(timeout: 15), "the stream was still open after 15 s of silence")
        let took = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(took, 1.5, "cut before the idle limit")
        // libcurl's speed is an average over its last ~5 s: the ping's bytes keep it above
        // 1 byte/s for a while, then 2 s below it end the transfer (about 7–8 s in all).
        XCTAssertLessThan(took, 12, "cut \(took) s after Factory went silent (limit 2 s)")
        XCTAssertFalse(c.received.hasSuffix("\r\n0\r\n\r\n"), "a cut stream must not look complete")
        XCTAssertTrue(s.up.waitFor("Factory response cut off"), s.up.text)
    }
}
