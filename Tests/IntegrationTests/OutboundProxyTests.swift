import Foundation
import Shared
import XCTest

/// `network.proxies` / `network.noProxy`: edged's Factory calls and authd's
/// WorkOS calls through HTTP CONNECT proxies (libcurl, per request),
/// round-robin per request as droid2api's proxy-manager.js does, with the
/// proxies' credentials never in a log line.
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

    /// Each request takes the next proxy, whatever connection it rides: four
    /// requests one after another alternate between the two proxies, and each
    /// proxy carries them on the one tunnel it opened (libcurl reuses it).
    func testProxiesRotatePerRequestAndConnectionsAreReused() throws {
        let a = try CountingConnectProxy()
        let b = try CountingConnectProxy()
        // One loop: each loop has its own libcurl connection pool, as it has its own backend pool.
        let s = try Stack(env: ["FACTORY_API_KEY": "fk-test"], withWorkOS: false, network: #"{"proxies": ["\#(a.url)", "\#(b.url)"]}"#,
                          extra: #""edged": {"workers": 1}"#)
        for _ in 0..<4 { XCTAssertEqual(try s.post("/v1/chat/completions", Self.chat).status, 200, s.up.text) }
        let order = (a.requests.value.map { ($0, "a") } + b.requests.value.map { ($0, "b") }).sorted { $0.0 < $1.0 }.map(\.1)
        XCTAssertEqual(order, ["a", "b", "a", "b"])
        XCTAssertEqual(a.tunnels(to: s.factoryPort), 1, "one tunnel through a, reused: \(a.tunnels)")
        XCTAssertEqual(b.tunnels(to: s.factoryPort), 1, "one tunnel through b, reused: \(b.tunnels)")
    }

    func testNoProxyHostsGoDirect() throws {
        let a = try CountingConnectProxy()
        let s = try Stack(network: #"{"proxies": ["\#(a.url)"], "noProxy": ["127.0.0.1"]}"#)
        XCTAssertEqual(try s.post("/v1/chat/completions", Self.chat).status, 200)
        XCTAssertEqual(a.tunnels, [])
    }

    /// Proxy variables in the daemons' environment change nothing (the start
    /// log says they are ignored): a `NO_PROXY` naming Factory's host does not
    /// take the configured proxy away, and an `http_proxy` does not add one
    /// where `network.noProxy` says direct. libcurl reads `no_proxy` itself
    /// unless its own list is set.
    func testProxyVariablesInTheEnvironmentAreIgnored() throws {
        let a = try CountingConnectProxy()
        let stray = try CountingConnectProxy()
        let env = ["FACTORY_API_KEY": "fk-test", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                   "http_proxy": stray.url, "HTTPS_PROXY": stray.url, "ALL_PROXY": stray.url]
        let s = try Stack(env: env, withWorkOS: false, network: #"{"proxies": ["\#(a.url)"]}"#)
        XCTAssertEqual(try s.post("/v1/chat/completions", Self.chat).status, 200, s.up.text)
        XCTAssertEqual(a.tunnels(to: s.factoryPort), 1, "the configured proxy carried the call: \(a.tunnels)")
        XCTAssertTrue(s.up.text.contains("ignoring"), s.up.text)

        let direct = try Stack(env: env, withWorkOS: false, network: #"{"proxies": ["\#(a.url)"], "noProxy": ["127.0.0.1"]}"#)
        XCTAssertEqual(try direct.post("/v1/chat/completions", Self.chat).status, 200, direct.up.text)
        XCTAssertEqual(stray.tunnels, [], "no call through a proxy named only in the environment")
        XCTAssertEqual(stray.requests.value.count, 0)
    }

    /// A proxy that wants credentials droidgate was not given: the client gets
    /// a 502, the operator one line naming the proxy (without secrets) and the 407.
    func testAProxyThatRefusesTheTunnelIsReportedNotBypassed() throws {
        let a = try CountingConnectProxy(credentials: "bob:secret")
        let s = try Stack(env: ["FACTORY_API_KEY": "fk-test"], withWorkOS: false,
                          network: #"{"proxies": ["http://bob:wrong@127.0.0.1:\#(a.port)"]}"#)
        let r = try s.post("/v1/chat/completions", Self.chat)
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("through proxy http://bob:***@127.0.0.1:\(a.port)") && r.bodyText.contains("407"),
                      "the client learns the call went through a proxy, and what it answered: \(r.bodyText)")
        XCTAssertEqual(try s.recorded().count, 0, "nothing reached Factory around the proxy")
        XCTAssertGreaterThanOrEqual(a.refused, 1)
        XCTAssertTrue(eventually { s.up.text.contains("check the user name and password in network.proxies") }, s.up.text)
        XCTAssertFalse(s.up.text.contains("wrong"), "a proxy password in the log")
    }

    /// An `https://` proxy: edged speaks TLS to the proxy itself, checked
    /// against `network.caFile`, and CONNECTs through it. The proxy here is
    /// socat terminating TLS (a certificate for 127.0.0.1 that openssl makes
    /// for the test) in front of the counting CONNECT proxy. Without the CA
    /// file the proxy's certificate is refused: a 502, and nothing reaches Factory.
    func testAnHTTPSProxyIsReachedOverTLSCheckedAgainstTheCAFile() throws {
        for tool in ["/usr/bin/socat", "/usr/bin/openssl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is not installed (scripts/install-deps installs it)")
        }
        let dir = TempDir()
        let cert = dir.path + "/proxy.pem", key = dir.path + "/proxy.key"
        let (rc, out) = try runToEnd("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        XCTAssertEqual(rc, 0, out)
        let inner = try CountingConnectProxy()
        let tlsPort = freePort()
        let socat = try RunningProcess("/usr/bin/socat", ["OPENSSL-LISTEN:\(tlsPort),bind=127.0.0.1,reuseaddr,fork,cert=\(cert),key=\(key),verify=0",
                                                         "TCP:127.0.0.1:\(inner.port)"])
        defer { socat.signal(SIGTERM) }
        XCTAssertTrue(eventually { (try? RawHTTP(port: tlsPort)) != nil }, socat.text)

        // SSLKEYLOGFILE in the environment: libcurl would write this TLS session's secrets there.
        let keyLog = dir.path + "/tls-keys.log"
        let s = try Stack(env: ["FACTORY_API_KEY": "fk-test", "SSLKEYLOGFILE": keyLog], withWorkOS: false,
                          network: #"{"proxies": ["https://127.0.0.1:\#(tlsPort)"], "caFile": "\#(cert)"}"#)
        XCTAssertEqual(try s.post("/v1/chat/completions", Self.chat).status, 200, s.up.text)
        XCTAssertEqual(inner.tunnels(to: s.factoryPort), 1, "the request went through the TLS proxy: \(inner.tunnels)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyLog), "TLS session secrets written to SSLKEYLOGFILE")
        XCTAssertTrue(s.up.text.contains("ignoring SSLKEYLOGFILE"), s.up.text)

        let untrusted = try Stack(env: ["FACTORY_API_KEY": "fk-test"], withWorkOS: false,
                                  network: #"{"proxies": ["https://127.0.0.1:\#(tlsPort)"]}"#)
        let r = try untrusted.post("/v1/chat/completions", Self.chat)
        XCTAssertEqual(r.status, 502, r.bodyText)
        XCTAssertTrue(r.bodyText.contains("https://127.0.0.1:\(tlsPort)"), "the client learns which proxy failed: \(r.bodyText)")
        XCTAssertEqual(try untrusted.recorded().count, 0, "nothing reached Factory")
        XCTAssertEqual(inner.tunnels(to: untrusted.factoryPort), 0, "no tunnel behind an unverified proxy: \(inner.tunnels)")
    }
}
