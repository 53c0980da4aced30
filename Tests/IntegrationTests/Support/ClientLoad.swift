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
    /// When each failed request started and ended (seconds since 1970).
    private let failureSpans = Locked<[(start: Double, end: Double, streaming: Bool)]>([])
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

    /// Requests answered so far (any outcome).
    var answered: Int { counts.withLock { $0.requests + $0.failed + $0.refused + $0.streams + $0.streamsCut } }

    /// Waits until `n` more requests than now have been answered (up to
    /// `timeout` s): the load is running, not merely started. False on timeout.
    @discardableResult
    func awaitProgress(_ n: Int = 20, timeout: Double = 15) -> Bool {
        let target = answered + n
        return eventually(timeout: timeout) { self.answered >= target }
    }

    /// Failed requests that were in flight during one of `kills` (from the
    /// signal to the process being gone: started before it was gone, failed
    /// after the signal and within 10 s): lost inside a process killed then.
    func failuresInFlight(during kills: [(signalled: Double, gone: Double)]) -> (requests: Int, streams: Int) {
        var r = 0, s = 0
        for f in failureSpans.value where kills.contains(where: { f.start <= $0.gone && f.end >= $0.signalled && f.end - $0.gone <= 10 }) {
            if f.streaming { s += 1 } else { r += 1 }
        }
        return (r, s)
    }

    /// Each failure's start and end relative to the nearest earlier moment (for diagnosis).
    func failureOffsets(from moments: [Double]) -> [String] {
        failureSpans.value.prefix(80).map { f in
            let k = moments.filter { $0 <= f.end }.max() ?? 0
            return String(format: "%@ %+.3f…%+.3f s", f.streaming ? "stream" : "request", f.start - k, f.end - k)
        }
    }

    private func record(_ what: String, since start: Double? = nil, streaming: Bool = false) {
        failures.withLock { if $0.count < 50 { $0.append(what) } }
        if let start { failureSpans.withLock { $0.append((start, Date().timeIntervalSince1970, streaming)) } }
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
            let started = Date().timeIntervalSince1970
            let r = try? exchange(c!, body: Self.chat, extra: "")
            guard let r, r.status == 200 else {
                counts.withLock { $0.failed += 1 }
                record("keep-alive client \(i): \(r.map { "status \($0.status): \($0.bodyText.prefix(200))" } ?? "no response (connection closed or reset)")", since: started)
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
            let started = Date().timeIntervalSince1970
            let r = try? exchange(c!, body: Self.stream, extra: "x-fake-events: 20\r\nx-fake-event-delay-ms: 25\r\n", timeout: 20)
            guard let r, r.status == 200, r.bodyText.contains("data: [DONE]") else {
                counts.withLock { $0.failed += 1; $0.streamsCut += 1 }
                record("streaming client \(i): \(r.map { "status \($0.status), \($0.body.count) bytes: \($0.bodyText.suffix(120))" } ?? "no complete response")", since: started, streaming: true)
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
            let started = Date().timeIntervalSince1970
            let r = try? exchange(c, body: Self.chat, extra: "Connection: close\r\n")
            if r?.status != 200 {
                counts.withLock { $0.failed += 1 }
                record("Connection: close client: \(r.map { "status \($0.status)" } ?? "no response")", since: started)
            }
        }
    }

    private func exchange(_ c: RawHTTP, body: String, extra: String, timeout: Double = 10) throws -> RawHTTP.Response? {
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return try c.readResponse(timeout: timeout)
    }
}
