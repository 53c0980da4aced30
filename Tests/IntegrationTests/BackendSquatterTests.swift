import Foundation
import Shared
import XCTest

/// Anyone on the host may bind the backend's port (127.0.0.1:backend.port)
/// while the backend is not listening there. Whoever does must get nothing:
/// no request (the operator's prompts), no backend key, no health probe —
/// not even a connection. Clients get a 503 that says the port is taken, and
/// `droidgate status` names the process holding it.
final class BackendSquatterTests: XCTestCase {
    /// `droidgate up --demo` on its own ports, with short waits.
    final class Stack: @unchecked Sendable {
        let dir = TempDir()
        let edgePort = freePort()
        let backendPort = freePort()
        let config: String
        var up: RunningProcess!

        init() {
            // A short upstream timeout: a request sent to a squatter (which never
            // answers) comes back as a 504 instead of hanging the test.
            config = dir.write("droidgate.json", """
            {"listen": "127.0.0.1:\(edgePort)", "backend": {"port": \(backendPort), "stopTimeoutSeconds": 5},
             "limits": {"backendHoldSeconds": 2, "upstreamTimeoutSeconds": 3}, "log": {"level": "debug"}}
            """)
        }

        func start() throws {
            up = try RunningProcess(Binaries.path("droidgate"), ["up", "--demo", "--config", config])
        }

        func status() -> JSONValue {
            guard let (_, out) = try? runToEnd(Binaries.path("droidgate"), ["status", "--json", "--config", config], timeout: 20) else { return .null }
            return (try? JSONValue(parsing: out)) ?? .null
        }

        var backend: JSONValue? { status()["supervisord"]?["backend"] }

        /// Waits until supervisord has noticed the squatter (state port-taken;
        /// before that state existed, a backoff that said "already taken") and
        /// edged has that report.
        func awaitSquatterNoticed(timeout: Double = 20) -> Bool {
            eventually(timeout: timeout) {
                let s = status()
                guard let b = s["supervisord"]?["backend"], let state = b["state"]?.stringValue,
                      state == "port-taken" || b["message"]?.stringValue?.contains("already taken") == true else { return false }
                return s["edged"]?["backend"]?["state"]?.stringValue == state
            }
        }

        /// Waits until supervisord reports `state` and edged has its report.
        @discardableResult
        func awaitState(_ state: String, timeout: Double = 20, where extra: (JSONValue) -> Bool = { _ in true }) -> JSONValue? {
            var last: JSONValue = .null
            let ok = eventually(timeout: timeout) {
                last = status()
                guard let b = last["supervisord"]?["backend"], b["state"]?.stringValue == state, extra(b) else { return false }
                return last["edged"]?["backend"]?["state"]?.stringValue == state
            }
            return ok ? last["supervisord"]?["backend"] : nil
        }

        func chat() -> RawHTTP.Response? {
            try? request(edgePort, "POST", "/v1/chat/completions", body: #"{"model":"gpt-5","messages":[{"role":"user","content":"a secret prompt"}]}"#, timeout: 15)
        }

        deinit {
            up?.signal(SIGTERM)
            if up?.waitForExit(timeout: 15) == nil { up?.signal(SIGKILL) }
            killProcesses(mentioning: dir.path)
        }
    }

    /// Clients sending requests through edged all along, each on a new
    /// connection or on one kept alive (edged's pooled backend connections).
    final class Clients: @unchecked Sendable {
        private let stopFlag = Locked(false)
        private let statuses = Locked<[Int]>([])
        private let group = DispatchGroup()

        init(port: UInt16, count: Int = 4) {
            let body = #"{"model":"gpt-5","messages":[{"role":"user","content":"a secret prompt"}]}"#
            for i in 0..<count {
                group.enter()
                Thread { [self] in
                    defer { group.leave() }
                    var kept: RawHTTP? = nil
                    while !stopFlag.value {
                        if i % 2 == 0 {
                            let s = (try? request(port, "POST", "/v1/chat/completions", body: body, timeout: 15))??.status ?? 0
                            statuses.withLock { $0.append(s) }
                            continue
                        }
                        if kept == nil { kept = try? RawHTTP(port: port) }
                        guard let c = kept else { usleep(10_000); continue }
                        let sent = (try? c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")) != nil
                        let r = sent ? try? c.readResponse(timeout: 15) : nil
                        statuses.withLock { $0.append(r?.status ?? 0) }
                        if r == nil || r?.status != 200 { kept = nil }
                    }
                }.start()
            }
        }

        /// Waits until `n` more answers than now came back (up to `timeout` s). False on timeout.
        func awaitProgress(_ n: Int = 8, timeout: Double = 15) -> Bool {
            let target = statuses.value.count + n
            return eventually(timeout: timeout) { self.statuses.value.count >= target }
        }

        /// Stops them; the statuses they got.
        func stop() -> [Int] {
            stopFlag.value = true
            group.wait()
            return statuses.value
        }

        /// "200 ×812, 503 ×6" (0: no answer).
        static func tally(_ statuses: [Int]) -> String {
            Dictionary(grouping: statuses, by: { $0 }).sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value.count)" }.joined(separator: ", ")
        }
    }

    /// What every test checks once the squatter holds the port: nothing
    /// reached it, a client gets a 503 naming it, and so does `droidgate status`.
    func assertSquatterIsSentNothing(_ stack: Stack, _ squatter: Squatter, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try XCTUnwrap(stack.chat(), "no answer from edged", file: file, line: line)
        XCTAssertEqual(r.status, 503, r.bodyText, file: file, line: line)
        XCTAssertEqual(r.json?["error"]?["type"], "backend_unavailable", r.bodyText, file: file, line: line)
        let message = r.json?["error"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("is taken by another process (pid \(getpid()))"), message, file: file, line: line)

        let (_, text) = try runToEnd(Binaries.path("droidgate"), ["status", "--config", stack.config])
        let supervisord = text.split(separator: "\n").first { $0.hasPrefix("supervisord") } ?? ""
        XCTAssertTrue(supervisord.contains("backend port-taken (port \(stack.backendPort) held by pid \(getpid()))"), text, file: file, line: line)

        usleep(300_000)   // anything still on its way arrives
        XCTAssertEqual(squatter.bytes.count, 0, "the squatter got \(squatter.summary)", file: file, line: line)
        XCTAssertEqual(squatter.connections, 0, "not even a connection: \(squatter.summary)", file: file, line: line)
    }

    func testASquatterThatHoldsThePortBeforeStartGetsNothing() throws {
        let stack = Stack()
        let squatter = try XCTUnwrap(Squatter.bind(port: stack.backendPort, timeout: 1))
        defer { squatter.stop() }
        try stack.start()
        XCTAssertTrue(stack.awaitSquatterNoticed(), "\(stack.status())\n\(stack.up.text)")
        try assertSquatterIsSentNothing(stack, squatter)
        XCTAssertFalse(stack.up.text.contains("Bearer"), "no key in the logs")

        // Once the port is free, the backend starts and requests are served again.
        squatter.stop()
        XCTAssertNotNil(stack.awaitState("ready", timeout: 40), "\(stack.status())\n\(stack.up.text)")
        XCTAssertEqual(stack.chat()?.status, 200)
    }

    func testASquatterThatTakesThePortDuringTheBackoffGetsNothing() throws {
        let stack = Stack()
        try stack.start()
        let pid = try XCTUnwrap(stack.awaitState("ready")?["pid"]?.intValue, "\(stack.status())\n\(stack.up.text)")
        XCTAssertEqual(stack.chat()?.status, 200)
        let clients = Clients(port: stack.edgePort)
        XCTAssertTrue(clients.awaitProgress(), "the clients never got going")
        // supervisord backs off 0.5 s before it starts a new backend: the squatter binds first.
        kill(Int32(pid), SIGKILL)
        let squatter = try XCTUnwrap(Squatter.bind(port: stack.backendPort), "the port never came free")
        defer { squatter.stop() }
        XCTAssertTrue(stack.awaitSquatterNoticed(), "\(stack.status())\n\(stack.up.text)")
        XCTAssertTrue(clients.awaitProgress(4), "the clients stopped getting answers once the squatter held the port")
        let statuses = clients.stop()
        print("squatter during a backoff | clients got \(Clients.tally(statuses)) | squatter got \(squatter.summary)")
        XCTAssertGreaterThan(statuses.count, 10)
        XCTAssertFalse(statuses.contains(504), "a request went where no answer came from: \(Clients.tally(statuses))")
        try assertSquatterIsSentNothing(stack, squatter)
    }

    func testASquatterThatTakesThePortDuringARestartGetsNothing() throws {
        let stack = Stack()
        try stack.start()
        XCTAssertNotNil(stack.awaitState("ready"), "\(stack.status())\n\(stack.up.text)")
        let clients = Clients(port: stack.edgePort)
        XCTAssertTrue(clients.awaitProgress(), "the clients never got going")
        // The restart's SIGTERM makes the backend close its listener at once (it then
        // drains): the squatter binds the moment it does.
        let restart = Thread {
            _ = try? runToEnd(Binaries.path("droidgate"), ["backend", "restart", "--config", stack.config])
        }
        restart.start()
        let squatter = try XCTUnwrap(Squatter.bind(port: stack.backendPort), "the port never came free")
        defer { squatter.stop() }
        XCTAssertTrue(stack.awaitSquatterNoticed(), "\(stack.status())\n\(stack.up.text)")
        XCTAssertTrue(clients.awaitProgress(4), "the clients stopped getting answers once the squatter held the port")
        let statuses = clients.stop()
        print("squatter during a restart | clients got \(Clients.tally(statuses)) | squatter got \(squatter.summary)")
        XCTAssertGreaterThan(statuses.count, 10)
        XCTAssertFalse(statuses.contains(504), "a request went where no answer came from: \(Clients.tally(statuses))")
        try assertSquatterIsSentNothing(stack, squatter)
    }
}
