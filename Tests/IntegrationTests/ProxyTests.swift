import Foundation
import Shared
import XCTest

/// edged as an HTTP/1.1 reverse proxy in front of the fake backend.
final class ProxyTests: XCTestCase {
    let chatBody = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#

    func testKeepAliveReusesOneClientConnectionAndOneUpstreamConnection() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        for i in 0..<5 {
            try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)")
            let r = try XCTUnwrap(try c.readResponse(), "response \(i)")
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.json?["object"], "chat.completion")
        }
        XCTAssertFalse(c.closedByPeer)
        let stats = try stack.backendStats()
        // Five requests, plus our own stats request: at most two upstream connections were ever opened
        // by edged (one per loop at most).
        XCTAssertLessThanOrEqual(stats["connections_total"]?.intValue ?? 99, 3, "\(stats)")
    }

    /// A client that sends `Connection: close` is told in the relayed head that
    /// the connection ends (RFC 9112 §9.6). Before, edged closed after a head
    /// that did not say so, and a pooled client (wrk) wrote its next request
    /// into the closed socket.
    func testAClientThatAsksToCloseIsToldSoInTheRelayedHead() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)")
        let r = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("connection")?.lowercased(), "close", "\(r.headers)")
        XCTAssertEqual(r.headers.filter { $0.0.lowercased() == "connection" }.count, 1)
        // Kept alive, a response says nothing of closing.
        let k = try RawHTTP(port: stack.edgePort)
        try k.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)")
        XCTAssertNotEqual(try XCTUnwrap(try k.readResponse()).header("connection")?.lowercased(), "close")
    }

    func testRequestIsForwardedWithHostAndExactLengthAndWithoutHopByHopHeaders() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("POST /v1/messages?beta=true HTTP/1.1\r\nHost: localhost\r\nX-Custom-Header: Kept As Is\r\nConnection: keep-alive, X-Hop\r\nX-Hop: drop me\r\nKeep-Alive: timeout=5\r\nanthropic-version: 2023-06-01\r\nContent-Length: 2\r\n\r\n{}")
        XCTAssertEqual(try c.readResponse()?.status, 200)
        let raw = try XCTUnwrap(try stack.recordedRaw().last)
        XCTAssertEqual(raw, "POST /v1/messages?beta=true HTTP/1.1\r\nHost: 127.0.0.1:\(stack.backendPort)\r\nX-Custom-Header: Kept As Is\r\nanthropic-version: 2023-06-01\r\nContent-Length: 2\r\n\r\n{}")
    }

    func testChunkedRequestBodyIsForwardedWithContentLength() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        let parts = [String(chatBody.prefix(10)), String(chatBody.dropFirst(10))]
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
        for p in parts {
            try c.send(String(p.utf8.count, radix: 16) + "\r\n" + p + "\r\n")
            usleep(50_000)
        }
        try c.send("0\r\n\r\n")
        XCTAssertEqual(try c.readResponse()?.status, 200)
        let raw = try XCTUnwrap(try stack.recordedRaw().last)
        XCTAssertTrue(raw.hasSuffix("Content-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)"), raw)
        XCTAssertFalse(raw.lowercased().contains("transfer-encoding"), raw)
    }

    func testExpect100ContinueGetsAnInterimResponseBeforeTheBodyIsSent() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n")
        XCTAssertNotNil(try c.waitFor("HTTP/1.1 100 Continue\r\n\r\n", timeout: 5), c.received)
        c.clear()
        try c.send(chatBody)
        XCTAssertEqual(try c.readResponse()?.status, 200)
        let raw = try XCTUnwrap(try stack.recordedRaw().last)
        XCTAssertFalse(raw.lowercased().contains("expect:"), "Expect is hop-by-hop here: \(raw)")
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        var burst = ""
        for i in 0..<4 {
            let b = #"{"model":"m\#(i)","messages":[{"role":"user","content":"x"}]}"#
            burst += "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-latency-ms: \(40 - i * 10)\r\nContent-Length: \(b.utf8.count)\r\n\r\n\(b)"
        }
        try c.send(burst)
        for i in 0..<4 {
            let r = try XCTUnwrap(try c.readResponse(), "response \(i)")
            XCTAssertEqual(r.json?["model"]?.stringValue, "m\(i)", "in request order")
        }
    }

    func testSSEIsDeliveredEventByEvent() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        let body = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-events: 4\r\nx-fake-event-delay-ms: 300\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let start = Date()
        // The first content event arrives long before the backend sends the next one.
        XCTAssertNotNil(try c.waitFor("\"content\":\"", timeout: 5), c.received)
        let firstAt = Date().timeIntervalSince(start)
        XCTAssertNil(try c.waitFor("[DONE]", timeout: 0.1), "the stream must not be batched")
        XCTAssertNotNil(try c.waitFor("[DONE]", timeout: 10))
        let doneAt = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(doneAt - firstAt, 0.8, "events were spread over time, not delivered together")
    }

    func testClientDisconnectMidStreamClosesTheUpstreamRequest() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        let body = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-events: 200\r\nx-fake-event-delay-ms: 50\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(try c.waitFor("\"content\":\"", timeout: 5))
        XCTAssertEqual(try stack.backendStats()["streams_open"]?.intValue, 1)
        c.socket.close()
        XCTAssertTrue(try eventually(timeout: 3) { try stack.backendStats()["streams_open"]?.intValue == 0 },
                      "the backend's stream was not closed")
    }

    /// A client that asks for a big reply, reads a little and resets the
    /// connection: the write that finds the client gone ends the connection
    /// while the backend relay is still writing into it. (edged once read its
    /// freed connection there and aborted; found by bench/run's strace phase.)
    func testClientResettingMidRelayLeavesEdgedServing() throws {
        let stack = try ProxyStack()
        for _ in 0..<5 {
            let c = try RawHTTP(port: stack.edgePort)
            try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-size: 4000000\r\nContent-Length: \(chatBody.utf8.count)\r\n\r\n\(chatBody)")
            XCTAssertGreaterThan(try c.fill(timeout: 5), 0)
            c.socket.close()   // unread bytes: the kernel resets the connection
        }
        let probe = try RawHTTP(port: stack.edgePort)
        try probe.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try probe.readResponse()?.status, 200, "edged died: \(stack.edged.text)")
    }

    /// The model name comes from the request body and goes into the access
    /// log: a real CR LF or a NUL in it must not end the line or start a
    /// forged one (journald splits on NUL and LF).
    func testControlBytesInTheModelCannotForgeLogLines() throws {
        let stack = try ProxyStack()
        for (i, model) in ["x\r\n<0>forged-crlf", "x\u{0}<0>forged-nul"].enumerated() {
            let body = #"{"model":"\#(model)","messages":[]}"#
            let c = try RawHTTP(port: stack.edgePort)
            try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            XCTAssertNotNil(try c.readResponse(), "request \(i)")
        }
        XCTAssertTrue(eventually { stack.edged.text.contains("forged-nul") })
        for marker in ["forged-crlf", "forged-nul"] {
            let lines = stack.edged.text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\u{0}" })
                .filter { $0.contains(marker) }
            XCTAssertEqual(lines.count, 1, "one line per event: \(lines)")
            XCTAssertTrue(lines.first?.contains("model=x\\x") == true, "the control bytes are written as \\xNN: \(lines)")
            XCTAssertFalse(lines.first?.hasPrefix("<0>") ?? true)
        }
    }

    func testBackendDyingMidStreamEndsTheClientResponseVisibly() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        let body = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nx-fake-events: 10\r\nx-fake-die-after-events: 2\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertTrue(try c.waitForClose(timeout: 5), "edged must close the client connection")
        let text = c.received
        XCTAssertTrue(text.contains("Transfer-Encoding: chunked"), text)
        XCTAssertFalse(text.hasSuffix("0\r\n\r\n"), "no fake clean end: \(text.suffix(40).debugDescription)")
        XCTAssertFalse(text.contains("[DONE]"))
    }

    func testBackendDownGets503JSONWithinTheHoldTime() throws {
        let stack = try ProxyStack(config: #""limits": {"backendHoldSeconds": 1}"#, startBackend: false)
        let start = Date()
        let r = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: chatBody))
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(r.status, 503)
        XCTAssertEqual(r.json?["error"]?["type"], "backend_unavailable")
        XCTAssertTrue(r.json?["error"]?["message"]?.stringValue?.contains("not reachable") == true, r.bodyText)
        XCTAssertGreaterThanOrEqual(elapsed, 0.9, "held for the hold time")
        XCTAssertLessThan(elapsed, 3, "never hangs")
    }

    func testRequestHeldWhileTheBackendComesBackIsServed() throws {
        let stack = try ProxyStack(config: #""limits": {"backendHoldSeconds": 5}"#, startBackend: false)
        let port = stack.backendPort
        let starter = Thread {
            usleep(700_000)
            stack.backend = try? ProxyStack.startBackend(port: port)
        }
        starter.start()
        let r = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: chatBody))
        XCTAssertEqual(r.status, 200, r.bodyText)
    }

    func testOversizedHeadGets431() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + String(repeating: "a", count: 70_000) + "\r\n\r\n")
        let r = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(r.status, 431)
        XCTAssertNotNil(r.json?["error"]?["message"])
        XCTAssertTrue(try c.waitForClose(timeout: 2))
    }

    func testOversizedBodyGets413() throws {
        let stack = try ProxyStack(config: #""limits": {"maxBodyBytes": 4096}"#)
        let r = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: String(repeating: "x", count: 5000)))
        XCTAssertEqual(r.status, 413)
        XCTAssertEqual(r.json?["error"]?["type"], "request_too_large")
        XCTAssertTrue(try stack.recorded().isEmpty, "nothing reached the backend")
    }

    func testMalformedRequestLineGets400AndTheServerKeepsServing() throws {
        let stack = try ProxyStack()
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("THIS IS NOT HTTP\r\n\r\n")
        let r = try XCTUnwrap(try c.readResponse())
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.header("content-type"), "application/json")
        XCTAssertTrue(try c.waitForClose(timeout: 2))
        XCTAssertEqual(try request(stack.edgePort, "GET", "/v1/models")?.status, 200)
    }

    func testSlowHeaderSenderIsTimedOut() throws {
        let stack = try ProxyStack(config: #""limits": {"headerTimeoutSeconds": 1}"#)
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("GET /v1/models HTTP/1.1\r\n")
        let start = Date()
        var closed = false
        for _ in 0..<30 {
            try? c.send("X-Slow: 1\r\n")
            if try c.waitForClose(timeout: 0.2) { closed = true; break }
        }
        XCTAssertTrue(closed, "the slow sender was not cut off")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(c.received.hasPrefix("HTTP/1.1 408"), c.received)
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let stack = try ProxyStack(config: #""limits": {"idleTimeoutSeconds": 0.5}"#)
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try c.readResponse()?.status, 200)
        XCTAssertTrue(try c.waitForClose(timeout: 3))
    }

    /// A request without a valid key is answered from its head: edged does
    /// not wait for (or buffer) a body it will refuse.
    func testAMissingKeyIsRefusedBeforeTheBodyIsRead() throws {
        let digest = SHA256.hexDigest(Array("sk-test-key".utf8))
        let stack = try ProxyStack(config: #""clients": {"apiKeys": ["sha256:\#(digest)"]}"#)
        let c = try RawHTTP(port: stack.edgePort)
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n")
        let r = try XCTUnwrap(try c.readResponse(timeout: 3), "no answer before the body")
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.header("connection")?.lowercased(), "close", "the unread body ends the connection")
        XCTAssertFalse(c.received.contains("100 Continue"))
    }

    /// /healthz shows pids, peers and the backend's command only to keyed
    /// clients (or loopback ones when no keys are set).
    func testHealthDetailsNeedAKey() throws {
        let digest = SHA256.hexDigest(Array("sk-test-key".utf8))
        let stack = try ProxyStack(config: #""clients": {"apiKeys": ["sha256:\#(digest)"]}"#)
        let anonymous = try XCTUnwrap(try request(stack.edgePort, "GET", "/healthz")?.json)
        XCTAssertEqual(anonymous["status"], "ok")
        XCTAssertNil(anonymous["edged"], "\(anonymous)")
        XCTAssertNil(anonymous["backend"]?["command"])
        XCTAssertNotNil(anonymous["backend"]?["state"])
        let keyed = try XCTUnwrap(try request(stack.edgePort, "GET", "/healthz", headers: ["x-api-key": "sk-test-key"])?.json)
        XCTAssertNotNil(keyed["edged"]?["pid"], "\(keyed)")
    }

    func testClientKeysAreEnforcedWhenConfigured() throws {
        let digest = SHA256.hexDigest(Array("sk-test-key".utf8))
        let stack = try ProxyStack(config: #""clients": {"apiKeys": ["sha256:\#(digest)"]}"#)
        let none = try XCTUnwrap(try request(stack.edgePort, "GET", "/v1/models"))
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.json?["error"]?["type"], "authentication_error")
        XCTAssertEqual(try request(stack.edgePort, "GET", "/v1/models", headers: ["Authorization": "Bearer wrong"])?.status, 401)
        XCTAssertEqual(try request(stack.edgePort, "GET", "/v1/models", headers: ["Authorization": "Bearer sk-test-key"])?.status, 200)
        XCTAssertEqual(try request(stack.edgePort, "GET", "/v1/models", headers: ["x-api-key": "sk-test-key"])?.status, 200)
        XCTAssertEqual(try request(stack.edgePort, "GET", "/v1/models", headers: ["x-goog-api-key": "sk-test-key"])?.status, 200)
        XCTAssertFalse(stack.edged.text.contains("sk-test-key"), "keys are never logged")
    }

    func testNonLoopbackBindWithoutKeysIsRefused() throws {
        let tmp = TempDir()
        let config = tmp.write("c.json", #"{"listen": "0.0.0.0:\#(freePort())"}"#)
        let (rc, out) = try runToEnd(Binaries.path("edged"), ["--config", config], environment: ["DROIDGATE_ROOT": tmp.path])
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(out.contains("not a loopback address"), out)
    }

    func testHealthzAndMetrics() throws {
        let stack = try ProxyStack()
        XCTAssertEqual(try request(stack.edgePort, "POST", "/v1/chat/completions", body: chatBody)?.status, 200)
        let health = try XCTUnwrap(try request(stack.edgePort, "GET", "/healthz"))
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.json?["status"], "ok")
        XCTAssertNotNil(health.json?["supervisord"]?["connected"])
        let metrics = try XCTUnwrap(try request(stack.edgePort, "GET", "/metrics")).bodyText
        XCTAssertTrue(metrics.contains(#"droidgate_requests_total{route="backend",status="200"} 1"#), metrics)
        XCTAssertTrue(metrics.contains("droidgate_upstream_latency_seconds_count 1"), metrics)
        XCTAssertTrue(metrics.contains("droidgate_requests_in_flight 1"), "the /metrics request itself: \(metrics)")
    }

    func testAccessLogLinePerRequest() throws {
        let stack = try ProxyStack()
        XCTAssertEqual(try request(stack.edgePort, "POST", "/v1/chat/completions?x=1", body: chatBody)?.status, 200)
        XCTAssertTrue(eventually { stack.edged.text.contains("POST /v1/chat/completions model=") }, stack.edged.text)
        let line = stack.edged.text.split(separator: "\n").first { $0.contains("POST /v1/chat/completions") } ?? ""
        for field in ["route=backend", "status=200", "bytes=", "upstream_ms=", "total_ms="] {
            XCTAssertTrue(line.contains(field), "\(field) in \(line)")
        }
        XCTAssertFalse(stack.edged.text.contains("\"messages\""), "no body in logs")
    }

    func testCustomListenAddressThatCannotBeBoundFallsBackToLoopbackDefault() throws {
        // 127.0.0.1:1 needs root on most systems... use an address we cannot bind: a TEST-NET IP.
        let tmp = TempDir()
        let digest = SHA256.hexDigest(Array("k".utf8))
        let config = tmp.write("c.json", #"{"listen": "192.0.2.1:\#(freePort())", "clients": {"apiKeys": ["sha256:\#(digest)"]}}"#)
        let p = try RunningProcess(Binaries.path("edged"), ["--config", config], environment: ["DROIDGATE_ROOT": tmp.path])
        defer { p.signal(SIGKILL) }
        XCTAssertTrue(eventually { p.text.contains("falling back to 127.0.0.1:8317") || p.text.contains("cannot listen") || p.text.contains("Address already in use") }, p.text)
        XCTAssertTrue(p.text.contains("falling back to 127.0.0.1:8317"), p.text)
        XCTAssertFalse(p.text.contains("0.0.0.0"), "never all interfaces")
    }
}

/// A request reaches the backend once. A backend handler that panics reads
/// the request and closes the connection without answering; re-sending it
/// would turn one client POST into many paid model calls. Failed before:
/// edged re-sent it every 100 ms until the hold time ran out.
final class NoReplayTests: XCTestCase {
    func testARequestTheBackendReadAndDroppedIsNotSentAgain() throws {
        let stack = try ProxyStack()
        let body = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#
        let r = try XCTUnwrap(try request(stack.edgePort, "POST", "/v1/chat/completions", body: body, headers: ["x-fake-panic": "1"]))
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("closed the connection without answering"), r.bodyText)
        usleep(500_000)   // a retry loop would have sent it again by now (every 100 ms)
        XCTAssertEqual(try stack.recorded().count, 1, "the backend saw the request exactly once")

        // Keep-alive: the same on a reused pooled connection (a warm-up request first).
        try stack.resetRecording()
        let c = try RawHTTP(port: stack.edgePort)
        for knob in ["", "x-fake-panic: 1\r\n"] {
            try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n\(knob)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let answer = try XCTUnwrap(try c.readResponse())
            XCTAssertEqual(answer.status, knob.isEmpty ? 200 : 502, answer.bodyText)
        }
        usleep(500_000)
        XCTAssertEqual(try stack.recorded().count, 2, "one warm-up and one panicking request, each seen once")
    }
}
