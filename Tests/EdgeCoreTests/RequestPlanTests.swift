import XCTest
@testable import EdgeCore
import Shared

/// The request plan and the one writer that applies it: routes, the client
/// key check, credential and hop-by-hop edits, Anthropic-Beta, splices.
final class RequestPlanTests: XCTestCase {
    struct Forwarded {
        let route: RequestPlan.Route
        let head: String
        let body: String
        let plan: RequestPlan
    }

    /// Parses `request` (head CRLF-joined, then body), plans and writes it.
    func forward(_ lines: [String], body: String = "", settings: PlanSettings = PlanSettings(), backendKey: String? = nil) -> Forwarded {
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n" + body
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buf in
            guard case .complete(let head) = RequestParser.parse(buf, maxBody: 1 << 20) else { fatalError("bad request in test") }
            let bodyBytes = UnsafeRawBufferPointer(rebasing: buf[head.headLength...])
            let plan = RequestPlanner.plan(buf, head, body: bodyBytes, settings, hasBackendKey: backendKey != nil)
            var out: [UInt8] = []
            ForwardHeadWriter.write(buf, head, plan, host: Array("127.0.0.1:8317".utf8), backendKey: backendKey.map { Array($0.utf8) }, into: &out)
            let forwardedBody = plan.rewrite.body.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: bodyBytes, as: UTF8.self)
            return Forwarded(route: plan.route, head: String(decoding: out, as: UTF8.self), body: forwardedBody, plan: plan)
        }
    }

    static let chat = #"{"model":"gpt-5","messages":[]}"#

    func keys(_ plain: String...) -> ClientKeyCheck {
        ClientKeyCheck(digests: plain.map { SHA256.hash(Array($0.utf8)) })
    }

    // MARK: Routes

    /// The admission decided from the head alone.
    func admit(_ lines: [String], settings: PlanSettings = PlanSettings(), loopback: Bool = true) -> Admission {
        let bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        return bytes.withUnsafeBytes { buf in
            guard case .complete(let head) = RequestParser.parse(buf, maxBody: 1 << 20) else { fatalError("bad request in test") }
            return RequestPlanner.admit(buf, head, settings, peerIsLoopback: loopback)
        }
    }

    func testTheKeyCheckAndHealth() {
        let locked = PlanSettings(clientKeys: keys("k1", "k2"))
        XCTAssertEqual(admit(["GET /healthz HTTP/1.1", "Host: localhost"], settings: locked), .health(detailed: false),
                       "health needs no key, but without one it shows no details")
        XCTAssertEqual(admit(["GET /healthz HTTP/1.1", "Host: localhost", "x-api-key: k1"], settings: locked, loopback: false), .health(detailed: true))
        XCTAssertEqual(admit(["GET /healthz HTTP/1.1", "Host: localhost"]), .health(detailed: true), "no keys: loopback clients see details")
        XCTAssertEqual(admit(["GET /healthz HTTP/1.1", "Host: localhost"], loopback: false), .health(detailed: false))
        XCTAssertEqual(admit(["GET /metrics HTTP/1.1", "Host: localhost"], settings: locked), .unauthorized)
        XCTAssertEqual(admit(["GET /metrics HTTP/1.1", "Host: localhost", "Authorization: Bearer k2"], settings: locked), .proceed)
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: localhost", "x-api-key: k1", "Content-Length: 100000"], settings: locked), .proceed)
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: localhost", "x-goog-api-key: k3", "Content-Length: 100000"], settings: locked), .unauthorized,
                       "decided before the body is read")
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: localhost", "Authorization: Basic k1"], settings: locked), .unauthorized,
                       "only a Bearer token is a key")
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: localhost", "AUTHORIZATION: bearer    k1"], settings: locked), .proceed,
                       "scheme and name are case-insensitive, spaces after the scheme skipped")
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: localhost", "x-api-key: "], settings: locked), .unauthorized)
        XCTAssertEqual(forward(["GET /metrics HTTP/1.1", "Host: localhost"]).route, .metrics)
    }

    func testWebPagesAndForeignHostNamesAreRefused() {
        func refused(_ a: Admission) -> Bool { if case .forbidden(let e) = a { return e.status == 403 } else { return false } }
        let open = PlanSettings()
        // A page's cross-site POST carries Origin; a DNS-rebinding page its own name as Host.
        XCTAssertTrue(refused(admit(["POST /v1/chat/completions HTTP/1.1", "Host: 127.0.0.1:8317", "Origin: https://evil.example"], settings: open)))
        XCTAssertTrue(refused(admit(["POST /v1/chat/completions HTTP/1.1", "Host: 127.0.0.1:8317", "Origin: null"], settings: open)))
        XCTAssertTrue(refused(admit(["GET /healthz HTTP/1.1", "Host: rebind.evil.example:8317"], settings: open)), "health too: its details")
        XCTAssertTrue(refused(admit(["GET /v1/models HTTP/1.1", "Host: 127.0.0.1.evil.example"], settings: open)))
        XCTAssertTrue(refused(admit(["GET /v1/models HTTP/1.1", "Host: 127.0.0.1000"], settings: open)))
        XCTAssertTrue(refused(admit(["GET /v1/models HTTP/1.1", "Host: localhost.evil.example"], settings: open)))
        // SDKs and CLIs: no Origin, a loopback Host.
        for host in ["localhost", "LOCALHOST:8317", "127.0.0.1", "127.0.0.1:8317", "127.1.2.3:1", "[::1]:8317", "[::1]"] {
            XCTAssertEqual(admit(["GET /v1/models HTTP/1.1", "Host: \(host)"], settings: open), .proceed, host)
        }
        XCTAssertEqual(admit(["GET /v1/models HTTP/1.0"], settings: open), .proceed, "HTTP/1.0 without Host")
        // What the operator allows.
        let allowing = PlanSettings(browserGuard: BrowserGuard(allowedOrigins: ["https://app.example"], allowedHosts: ["devbox.lan"], listenHost: "192.168.1.5"))
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: devbox.lan:8317", "Origin: https://APP.example"], settings: allowing), .proceed)
        XCTAssertEqual(admit(["POST /v1/x HTTP/1.1", "Host: 192.168.1.5:8317"], settings: allowing), .proceed)
        XCTAssertTrue(refused(admit(["POST /v1/x HTTP/1.1", "Host: localhost", "Origin: https://app.example:8443"], settings: allowing)))
        // The message names the key to set.
        if case .forbidden(let e) = admit(["POST /v1/x HTTP/1.1", "Host: localhost", "Origin: https://evil.example"], settings: open) {
            XCTAssertTrue(e.message.contains("clients.allowedOrigins") && e.message.contains("https://evil.example"), e.message)
        }
        if case .forbidden(let e) = admit(["POST /v1/x HTTP/1.1", "Host: evil.example"], settings: open) {
            XCTAssertTrue(e.message.contains("clients.allowedHosts"), e.message)
        }
    }

    func testFactoryRequestsAreRecognisedByPathAndModel() {
        let settings = PlanSettings(isFactoryRequest: { path, model in
            String(decoding: path, as: UTF8.self) == "/v1/messages" && String(decoding: model, as: UTF8.self) == "claude-opus-4-6"
        })
        let body = #"{"model":"claude-opus-4-6"}"#
        let len = "Content-Length: \(body.utf8.count)"
        XCTAssertEqual(forward(["POST /v1/messages HTTP/1.1", "Host: localhost", len], body: body, settings: settings).route, .factory)
        XCTAssertEqual(forward(["POST /v1/other HTTP/1.1", "Host: localhost", len], body: body, settings: settings).route, .backend)
        XCTAssertEqual(forward(["GET /v1/models HTTP/1.1", "Host: localhost"], settings: settings).route, .modelList)
        XCTAssertEqual(forward(["GET /v1/models HTTP/1.1", "Host: localhost"]).route, .backend, "no Factory models: the backend lists them")
    }

    // MARK: The forwarded head

    func testHopByHopHeadersGoAndHostAndLengthAreOurs() {
        let f = forward(["POST /v1/chat/completions?x=1 HTTP/1.1", "Host: localhost", "Connection: keep-alive, X-Trace",
                         "Keep-Alive: timeout=5", "X-Trace: 1", "TE: trailers", "Upgrade: h2c", "Proxy-Connection: x",
                         "Transfer-Encoding: chunked", "User-Agent: ua"],
                        body: "5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(f.head, "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nContent-Length: 15\r\nUser-Agent: ua\r\n\r\n",
                       "the chunked body is given to the planner as received here, so its length is the raw one")
    }

    /// A WebSocket handshake (RFC 6455 §4.1) is forwarded as one: edged's own
    /// Connection and Upgrade, the Sec-WebSocket-* headers as the client sent them.
    func testAWebSocketHandshakeIsForwardedAsOne() {
        let f = forward(["GET /v1/responses HTTP/1.1", "Host: localhost", "Connection: keep-alive, Upgrade", "Upgrade: WebSocket",
                         "Sec-WebSocket-Key: abc==", "Sec-WebSocket-Version: 13"])
        XCTAssertTrue(f.plan.upgrade)
        XCTAssertEqual(f.head, "GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nSec-WebSocket-Key: abc==\r\nSec-WebSocket-Version: 13\r\n"
                       + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        // Not a WebSocket handshake: Upgrade without Connection: upgrade, another protocol,
        // a body, another method, HTTP/1.0 — Upgrade is dropped as hop-by-hop, as before.
        for lines in [["GET /v1/responses HTTP/1.1", "Host: localhost", "Upgrade: websocket"],
                      ["GET /v1/responses HTTP/1.1", "Host: localhost", "Connection: Upgrade", "Upgrade: h2c"],
                      ["POST /v1/responses HTTP/1.1", "Host: localhost", "Connection: Upgrade", "Upgrade: websocket", "Content-Length: 2"],
                      ["GET /v1/responses HTTP/1.0", "Connection: Upgrade", "Upgrade: websocket"]] {
            let f = forward(lines, body: lines[0].hasPrefix("POST") ? "{}" : "")
            XCTAssertFalse(f.plan.upgrade, "\(lines)")
            XCTAssertFalse(f.head.lowercased().contains("upgrade"), f.head)
        }
    }

    func testNoBodyAndNoFramingHeaderSendsNoContentLength() {
        XCTAssertEqual(forward(["GET /v1/models HTTP/1.1", "Host: localhost", "Accept: */*"]).head,
                       "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nAccept: */*\r\n\r\n")
        XCTAssertEqual(forward(["POST /v1/x HTTP/1.1", "Host: localhost", "Content-Length: 0"]).head,
                       "POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nContent-Length: 0\r\n\r\n")
    }

    func testTheBackendKeyReplacesEveryClientCredential() {
        let f = forward(["POST /v1/x HTTP/1.1", "Host: localhost", "authorization: Bearer client", "X-Api-Key: client", "x-goog-api-key: client"],
                        backendKey: "BK")
        XCTAssertEqual(f.head, "POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nauthorization: Bearer BK\r\nX-Api-Key: BK\r\nx-goog-api-key: BK\r\n\r\n")
        XCTAssertFalse(f.head.contains("client"))
    }

    func testTheBackendKeyIsAddedWhenTheClientSentNone() {
        let f = forward(["GET /v1/models HTTP/1.1", "Host: localhost"], backendKey: "BK")
        XCTAssertEqual(f.head, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nAuthorization: Bearer BK\r\n\r\n")
        // A credential header the client marked hop-by-hop is dropped, so the key is added.
        let g = forward(["GET /v1/models HTTP/1.1", "Host: localhost", "Connection: x-api-key", "x-api-key: client"], backendKey: "BK")
        XCTAssertEqual(g.head, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nAuthorization: Bearer BK\r\n\r\n")
    }

    func testWithoutABackendKeyTheClientCredentialPasses() {
        let f = forward(["GET /v1/models HTTP/1.1", "Host: localhost", "Authorization: Bearer mine"])
        XCTAssertEqual(f.head, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:8317\r\nAuthorization: Bearer mine\r\n\r\n")
    }

    func testAnthropicBetaIsFoldedAndAppendedLast() {
        let body = #"{"model":"claude-sonnet-4-6","thinking":{"type":"enabled","budget_tokens":1024}}"#
        var rewrites = RewriteSettings()
        rewrites.visibleThinkingBetas = ["interleaved-thinking-2025-05-14"]
        let f = forward(["POST /v1/messages HTTP/1.1", "Host: localhost", "anthropic-beta: redact-thinking-2026-02-12, a", "Content-Length: \(body.utf8.count)",
                         "Anthropic-Beta: b", "X-After: 1"], body: body, settings: PlanSettings(rewrites: rewrites))
        XCTAssertEqual(f.plan.rewrite.applied.contains(.beta), true)
        XCTAssertTrue(f.head.hasSuffix("X-After: 1\r\nAnthropic-Beta: a,b,interleaved-thinking-2025-05-14\r\n\r\n"), f.head)
        XCTAssertFalse(f.head.lowercased().contains("redact-thinking"))
    }

    func testSplicesChangeTheLengthAndTheTarget() {
        var rewrites = RewriteSettings()
        rewrites.modelAliases = [(Array("short".utf8), Array("a-much-longer-model".utf8))]
        let body = #"{"model":"short"}"#
        let f = forward(["POST /v1/chat/completions HTTP/1.1", "Host: localhost", "Content-Length: \(body.utf8.count)"], body: body,
                        settings: PlanSettings(rewrites: rewrites))
        XCTAssertEqual(f.body, #"{"model":"a-much-longer-model"}"#)
        XCTAssertTrue(f.head.contains("Content-Length: \(f.body.utf8.count)\r\n"), f.head)
        let gemini = #"{"model":"gemini-3-pro-preview"}"#
        let g = forward(["POST /v1/responses?beta=true HTTP/1.1", "Host: localhost", "Content-Length: \(gemini.utf8.count)"], body: gemini)
        XCTAssertTrue(g.head.hasPrefix("POST /v1/responses?beta=true HTTP/1.1\r\n"), "the Gemini path rule is retired: \(g.head)")
    }

    func testTheForwardedHeadParsesAgainWithTheSameHeadersMinusHopByHop() {
        let f = forward(["PUT /a HTTP/1.0", "Host: localhost", "A: 1", "Connection: a", "B:  2 ", "Content-Length: 3"], body: "abc")
        f.head.utf8.withContiguousStorageIfAvailable { b in
            let buf = UnsafeRawBufferPointer(b)
            guard case .complete(let again) = RequestParser.parse(buf, maxBody: 10) else { return XCTFail("does not parse: \(f.head)") }
            XCTAssertEqual(again.headers.map { buf.string($0.name) }, ["Host", "B", "Content-Length"])
            XCTAssertEqual(buf.string(again.headers[1].value), "2")
        }
    }

    func testDecimalDigits() {
        for n in [0, 7, 10, 99, 100, 1_048_576, Int(Int32.max)] {
            var out: [UInt8] = []
            ForwardHeadWriter.appendDecimal(n, into: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(n))
        }
    }

    // MARK: Header kinds

    func testHeaderKindsAreRecognisedInAnyCase() {
        let names: [(String, HeaderKind)] = [
            ("Host", .host), ("CONTENT-LENGTH", .contentLength), ("transfer-encoding", .transferEncoding), ("Expect", .expect),
            ("Connection", .connection), ("Keep-Alive", .keepAlive), ("te", .te), ("Trailer", .trailer), ("upgrade", .upgrade),
            ("Proxy-Connection", .proxyConnection), ("Authorization", .authorization), ("X-API-Key", .apiKey),
            ("x-goog-api-key", .googApiKey), ("Anthropic-Beta", .anthropicBeta),
            ("x-api-keys", .other), ("hosts", .other), ("anthropic-version", .other), ("authorizatio", .other), ("", .other),
        ]
        for (name, kind) in names {
            let bytes = Array(name.utf8)
            bytes.withUnsafeBytes { XCTAssertEqual(HeaderKind.of($0, ByteRange(0, bytes.count)), kind, name) }
        }
    }
}
