import Foundation
import Glibc
import Shared
import XCTest

/// WebSocket handshakes through edged (#26): the real backend serves
/// WebSockets at `GET /v1/responses`, `/backend-api/codex/responses` and
/// `/v1/realtime*` and tells Codex to prefer them; edged used to drop
/// `Upgrade` as hop-by-hop, so the backend saw a plain GET (its 400). Now the
/// handshake is forwarded as one, and after the 101 edged splices bytes both
/// ways (`UpgradeTunnel`). suites/real-backend runs a Responses session
/// through the real binary; these tests use an echoing stand-in so that they
/// run everywhere and can look at the edges: bytes behind the handshake,
/// backpressure, idle timeout, a backend's stray 101, a reload.
final class WebSocketTunnelTests: XCTestCase {
    static let handshake = "GET /v1/responses HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

    func stack(_ extra: String = "") throws -> (ProxyStack, EchoUpgradeBackend) {
        let stack = try ProxyStack(config: extra, startBackend: false)
        return (stack, try EchoUpgradeBackend(port: stack.backendPort, greeting: "hello\n"))
    }

    func testTheHandshakeIsForwardedAsOneAndBytesFlowBothWays() throws {
        let (stack, backend) = try stack()
        defer { backend.stop() }
        let c = try RawHTTP(port: stack.edgePort)
        // The client's first frame right behind its handshake, in the same write.
        try c.send(Self.handshake + "first")
        XCTAssertNotNil(try c.waitFor("hello\nfirst"), "got: \(c.received) \(stack.edged.text.suffix(800))")
        XCTAssertTrue(c.received.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), c.received)
        let head = try XCTUnwrap(backend.heads.value.first)
        XCTAssertTrue(head.contains("\r\nConnection: Upgrade\r\nUpgrade: websocket"), head)
        XCTAssertTrue(head.contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), head)
        try c.send("second")
        XCTAssertNotNil(try c.waitFor("second"))
        XCTAssertTrue(stack.edged.waitFor("GET /v1/responses model=- route=backend status=101"), stack.edged.text.suffix(800).description)
    }

    func testFourMiBEachWayArriveWholeThroughTheTunnel() throws {
        let (stack, backend) = try stack()
        defer { backend.stop() }
        let c = try RawHTTP(port: stack.edgePort)
        try c.send(Self.handshake)
        let start = try XCTUnwrap(try c.waitFor("hello\n"))
        let payload = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 16)) }
        // Written while the echo comes back: neither side may wait for the other.
        let socket = c.socket
        let writer = Thread { try? payload.withBytes { (b) throws(SystemError) in try socket.sendAll(b) } }
        writer.start()
        XCTAssertTrue(try eventually(timeout: 30) { try c.fill(timeout: 1) >= 0 && c.receivedBytes.count >= start + payload.count },
                      "\(c.receivedBytes.count - start) of \(payload.count)")
        XCTAssertEqual(Array(c.receivedBytes[start...]), payload, "the echo is the payload, byte for byte")
    }

    func testATunnelSilentPastTheUpstreamTimeoutIsClosed() throws {
        let (stack, backend) = try stack(#""limits": {"upstreamTimeoutSeconds": 1}"#)
        defer { backend.stop() }
        let c = try RawHTTP(port: stack.edgePort)
        try c.send(Self.handshake)
        XCTAssertNotNil(try c.waitFor("hello\n"))
        XCTAssertTrue(try c.waitForClose(timeout: 10), "the idle tunnel is closed")
        XCTAssertTrue(eventually(timeout: 5) { stack.edged.text.contains("WebSocket tunnel closed: no byte either way for 1 s") }, stack.edged.text.suffix(800).description)
    }

    func testAHalfCloseIsPassedOnAndTheTunnelEnds() throws {
        let (stack, backend) = try stack()
        defer { backend.stop() }
        let c = try RawHTTP(port: stack.edgePort)
        try c.send(Self.handshake + "last words")
        XCTAssertNotNil(try c.waitFor("last words"))
        c.socket.shutdown(writing: true)
        // The backend sees the end, shuts its side; edged passes that on and closes.
        XCTAssertTrue(try c.waitForClose(timeout: 5), "the client sees the tunnel end")
    }

    func testABackendsStray101ToAPlainRequestIsA502() throws {
        let stack = try ProxyStack(config: #""limits": {"backendHoldSeconds": 1}"#, startBackend: false)
        let backend = try RawBackend(port: stack.backendPort, answer: ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw bytes"])
        defer { backend.stop() }
        let r = try request(stack.edgePort, "POST", "/v1/chat/completions", body: #"{"model":"gpt-5","messages":[]}"#)
        XCTAssertEqual(r?.status, 502)
        XCTAssertTrue(r?.bodyText.contains("101 Switching Protocols to a request that did not ask to upgrade") == true, r?.bodyText ?? "")
    }

    func testAWebPagesHandshakeIsRefused() throws {
        let (stack, backend) = try stack()
        defer { backend.stop() }
        let c = try RawHTTP(port: stack.edgePort)
        try c.send(Self.handshake.replacingOccurrences(of: "Host: localhost\r\n", with: "Host: localhost\r\nOrigin: https://evil.example\r\n"))
        XCTAssertEqual(try c.readResponse()?.status, 403)
        XCTAssertTrue(backend.heads.value.isEmpty, "nothing reached the backend")
    }

    func testAnOpenTunnelOutlivesAReload() throws {
        let (stack, backend) = try stack()
        defer { backend.stop() }
        let c = try RawHTTP(port: stack.edgePort)
        try c.send(Self.handshake + "before")
        XCTAssertNotNil(try c.waitFor("before"))
        let old = stack.edged.pid
        stack.edged.signal(SIGHUP)
        var newPID: Int32 = 0
        defer { if newPID > 0 { kill(newPID, SIGTERM) } }
        XCTAssertTrue(eventually(timeout: 20) {
            newPID = Int32((try? request(stack.edgePort, "GET", "/healthz"))??.json?["edged"]?["pid"]?.intValue ?? 0)
            return newPID > 0 && newPID != old
        }, stack.edged.text.suffix(1500).description)
        XCTAssertNotNil(stack.edged.waitForExit(timeout: 40), "the old generation exits once the tunnel is handed over")
        try c.send("after")
        XCTAssertNotNil(try c.waitFor("after"), "the session goes on with the new generation: \(c.received)")
    }
}
