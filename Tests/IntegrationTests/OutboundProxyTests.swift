import Foundation
import Shared
import XCTest

/// `network.proxies` / `network.noProxy`: edged's Factory calls and authd's
/// WorkOS calls through HTTP CONNECT proxies, round-robin, with the proxies'
/// credentials never in a log line; the relay that carries them serves only
/// its own process.
final class OutboundProxyTests: XCTestCase {
    typealias Stack = FactoryTests.Stack

    static let chat = #"{"model":"gpt-f","messages":[{"role":"user","content":"hi"}]}"#

    func testFactoryAndWorkOSCallsGoThroughTheProxiesRoundRobin() throws {
        let a = try CountingConnectProxy(credentials: "alice:p@ss w")
        let b = try CountingConnectProxy()
        let s = try Stack(network: #"{"proxies": ["http://alice:p%40ss%20w@127.0.0.1:\#(a.port)", "\#(b.url)/"]}"#)
        // Two requests at once: Factory holds each for 1.5 s, so edged opens two connections.
        try s.next(#"{"latency_ms": 1500, "count": 2}"#)
        let statuses = Locked<[Int]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                let status = (try? s.post("/v1/chat/completions", Self.chat).status) ?? 0
                statuses.withLock { $0.append(status) }
            }
        }
        group.wait()
        XCTAssertEqual(statuses.value, [200, 200], s.up.text)
        // edged's two Factory connections: one through each proxy.
        XCTAssertEqual(a.tunnels(to: s.factoryPort), 1, "\(a.tunnels)")
        XCTAssertEqual(b.tunnels(to: s.factoryPort), 1, "\(b.tunnels)")
        // authd's refresh worker reached WorkOS through the first proxy, with its credentials.
        XCTAssertGreaterThanOrEqual(a.tunnels(to: s.workosPort), 1, "\(a.tunnels)")
        XCTAssertEqual(a.refused + b.refused, 0)
        XCTAssertGreaterThan(a.bytesCarried, 0)
        let log = s.up.text
        XCTAssertTrue(log.contains("http://alice:***@127.0.0.1:\(a.port)"), log)
        XCTAssertFalse(log.contains("p@ss") || log.contains("p%40ss"), "a proxy password in the log")
    }

    func testNoProxyHostsGoDirect() throws {
        let a = try CountingConnectProxy()
        let s = try Stack(network: #"{"proxies": ["\#(a.url)"], "noProxy": ["127.0.0.1"]}"#)
        XCTAssertEqual(try s.post("/v1/chat/completions", Self.chat).status, 200)
        XCTAssertEqual(a.tunnels, [])
    }

    /// A proxy that wants credentials droidgate was not given: the client gets
    /// a 502, the operator one line naming the proxy (without secrets) and the 407.
    func testAProxyThatRefusesTheTunnelIsReportedNotBypassed() throws {
        let a = try CountingConnectProxy(credentials: "bob:secret")
        let s = try Stack(env: ["FACTORY_API_KEY": "fk-test"], withWorkOS: false,
                          network: #"{"proxies": ["http://bob:wrong@127.0.0.1:\#(a.port)"]}"#)
        let r = try s.post("/v1/chat/completions", Self.chat)
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("through network.proxies"), "the client learns the call went through a proxy: \(r.bodyText)")
        XCTAssertEqual(try s.recorded().count, 0, "nothing reached Factory around the proxy")
        XCTAssertGreaterThanOrEqual(a.refused, 1)
        XCTAssertTrue(eventually { s.up.text.contains("refused the tunnel: 407 Proxy Authentication Required (check the user name and password in network.proxies)") }, s.up.text)
        XCTAssertFalse(s.up.text.contains("wrong"), "a proxy password in the log")
    }

    /// The relay is a SOCKS5 server on a Unix socket: anyone who could connect
    /// could use the proxies' credentials. Only its own process may.
    func testTheRelayServesOnlyItsOwnProcess() throws {
        let a = try CountingConnectProxy()
        let target = try CountingConnectProxy()   // any listener will do as the tunnel's far end
        var network = NetworkConfig()
        network.proxies = [try ProxyURL(parsing: a.url)]
        let dir = TempDir()
        let relay = try OutboundRelay(routes: OutboundRoutes(network), socketPath: dir.path + "/relay.sock")
        relay.start()
        let connect: [UInt8] = [5, 1, 0, 1, 127, 0, 0, 1, UInt8(target.port >> 8), UInt8(target.port & 0xff)]

        // This process: greeting answered, tunnel opened through the proxy.
        let own = try Socket.connectUnix(path: relay.socketPath)
        defer { own.close() }
        try own.setTimeouts(seconds: 5)
        try own.fd.writeAll([5, 1, 0])
        XCTAssertEqual(readExactly(own, 2), [5, 0])
        try own.fd.writeAll(connect)
        XCTAssertEqual(readExactly(own, 10).first(2), [5, 0])
        XCTAssertTrue(eventually { a.tunnels(to: target.port) == 1 })

        // Another process (same user even): closed without a word, nothing through the proxy.
        let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
        try:
            s.sendall(bytes([5, 1, 0]))
            print(repr(s.recv(16)))
        except OSError as e:
            print("closed:", e.errno)
        """
        let child = try RunningProcess("/usr/bin/env", ["python3", "-c", script, relay.socketPath])
        XCTAssertEqual(child.waitForExit(timeout: 10), 0, child.text)
        XCTAssertTrue(child.text.contains("b''") || child.text.contains("closed:"), child.text)
        XCTAssertEqual(a.tunnels.count, 1)
    }

    private func readExactly(_ s: Socket, _ n: Int) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: n)
        while out.count < n {
            let got = (try? chunk.withMutableBytes { (b) throws(SystemError) in
                try s.fd.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<(n - out.count)]))
            }) ?? 0
            if got <= 0 { break }
            out.append(contentsOf: chunk[0..<got])
        }
        return out
    }
}

private extension Array {
    func first(_ n: Int) -> [Element] { Array(prefix(n)) }
}
