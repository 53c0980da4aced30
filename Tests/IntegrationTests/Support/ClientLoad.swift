import Foundation
import Shared
import XCTest

/// Load shaped like real clients, for restart and reload tests: keep-alive
/// connections that never retry a request (an SDK's pool: a request that dies
/// on a reused connection is an error for the caller), streaming clients, and
/// one client that sends `Connection: close` on every request. A client
/// reconnects only when the server said `Connection: close` (as http.client,
/// httpx and Node's agent do), never after a failure it could not foresee.
final class ClientLoad: @unchecked Sendable {
    struct Counts: CustomStringConvertible {
        var requests = 0, failed = 0, refused = 0, streams = 0, streamsCut = 0, serverCloses = 0
        var description: String {
            "requests \(requests), failed \(failed), refused \(refused), streams \(streams), streams cut \(streamsCut), server closes \(serverCloses)"
        }
    }

    let port: UInt16
    private let counts = Locked(Counts())
    private let failures = Locked<[String]>([])
    private let stopFlag = Locked(false)
    private var threads: [Thread] = []

    static let chat = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#
    static let stream = #"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#

    init(port: UInt16, keepAlive: Int = 8, streaming: Int = 4, connectionClose: Int = 1) {
        self.port = port
        for i in 0..<keepAlive { threads.append(Thread { [self] in keepAliveClient(i) }) }
        for i in 0..<streaming { threads.append(Thread { [self] in streamingClient(i) }) }
        for _ in 0..<connectionClose { threads.append(Thread { [self] in closingClient() }) }
    }

    func start() { for t in threads { t.start() } }

    /// Stops the clients after their current request and returns the counts.
    func stop() -> Counts {
        stopFlag.value = true
        while threads.contains(where: \.isExecuting) { usleep(10_000) }
        return counts.value
    }

    var firstFailures: [String] { Array(failures.value.prefix(5)) }

    private func record(_ what: String) {
        failures.withLock { if $0.count < 50 { $0.append(what) } }
    }

    private func connect() -> RawHTTP? {
        do { return try RawHTTP(port: port) } catch {
            counts.withLock { $0.refused += 1 }
            record("connect: \(error)")
            return nil
        }
    }

    private func keepAliveClient(_ i: Int) {
        var c: RawHTTP? = nil
        while !stopFlag.value {
            if c == nil { c = connect(); if c == nil { usleep(20_000); continue } }
            counts.withLock { $0.requests += 1 }
            let r = try? exchange(c!, body: Self.chat, extra: "")
            guard let r, r.status == 200 else {
                counts.withLock { $0.failed += 1 }
                record("keep-alive client \(i): \(r.map { "status \($0.status): \($0.bodyText.prefix(200))" } ?? "no response (connection closed or reset)")")
                c = nil
                continue
            }
            if r.header("connection")?.lowercased() == "close" {
                counts.withLock { $0.serverCloses += 1 }
                c = nil
            }
            // Some think time: connections sit idle in the pool, as real ones do.
            if i % 2 == 1 { usleep(UInt32.random(in: 0...30_000)) }
        }
    }

    private func streamingClient(_ i: Int) {
        var c: RawHTTP? = nil
        while !stopFlag.value {
            if c == nil { c = connect(); if c == nil { usleep(20_000); continue } }
            counts.withLock { $0.requests += 1; $0.streams += 1 }
            let r = try? exchange(c!, body: Self.stream, extra: "x-fake-events: 20\r\nx-fake-event-delay-ms: 25\r\n", timeout: 20)
            guard let r, r.status == 200, r.bodyText.contains("data: [DONE]") else {
                counts.withLock { $0.failed += 1; $0.streamsCut += 1 }
                record("streaming client \(i): \(r.map { "status \($0.status), \($0.body.count) bytes: \($0.bodyText.suffix(120))" } ?? "no complete response")")
                c = nil
                continue
            }
            if r.header("connection")?.lowercased() == "close" {
                counts.withLock { $0.serverCloses += 1 }
                c = nil
            }
        }
    }

    private func closingClient() {
        while !stopFlag.value {
            guard let c = connect() else { usleep(20_000); continue }
            counts.withLock { $0.requests += 1 }
            let r = try? exchange(c, body: Self.chat, extra: "Connection: close\r\n")
            if r?.status != 200 {
                counts.withLock { $0.failed += 1 }
                record("Connection: close client: \(r.map { "status \($0.status)" } ?? "no response")")
            }
        }
    }

    private func exchange(_ c: RawHTTP, body: String, extra: String, timeout: Double = 10) throws -> RawHTTP.Response? {
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return try c.readResponse(timeout: timeout)
    }
}
