import Shared
import XCTest

/// `network.proxies` / `network.noProxy` parsing and the relay's SOCKS5 parsing.
final class OutboundProxyConfigTests: XCTestCase {
    func testProxyURLs() throws {
        let p = try ProxyURL(parsing: "http://alice:p%40ss%20w@proxy.corp:3128/")
        XCTAssertEqual(p.host, "proxy.corp")
        XCTAssertEqual(p.port, 3128)
        XCTAssertEqual(p.username, "alice")
        XCTAssertEqual(p.password, "p@ss w")
        XCTAssertEqual(p.description, "http://alice:***@proxy.corp:3128")
        XCTAssertEqual(p.authorization, "Basic YWxpY2U6cEBzcyB3")   // base64("alice:p@ss w")
        let v6 = try ProxyURL(parsing: "http://[fd00::1]:8080")
        XCTAssertEqual(v6.host, "fd00::1")
        XCTAssertEqual(v6.authority, "[fd00::1]:8080")
        XCTAssertNil(v6.authorization)
        XCTAssertEqual(try ProxyURL(parsing: "HTTP://u@h:1").description, "http://u@h:1")
    }

    func testBadProxyURLsSayWhatToFixWithoutRepeatingThem() {
        let cases: [(String, String)] = [
            ("https://proxy:3128", "only http:// proxies"),
            ("socks5://proxy:1080", "only http:// proxies"),
            ("proxy:3128", "expected \"http://"),
            ("http://proxy", "port is missing"),
            ("http://proxy:99999", "1 to 65535"),
            ("http://proxy:3128/path", "no path"),
            ("http://:3128", "host is missing"),
            ("http://u:se cret@proxy:3128", "spaces"),
            ("http://:pw@proxy:3128", "user name"),
        ]
        for (text, problem) in cases {
            XCTAssertThrowsError(try ProxyURL(parsing: text), text) {
                let message = ($0 as? ProxyURL.ParseError)?.message ?? ""
                XCTAssertTrue(message.contains(problem), "\(text): \(message)")
            }
        }
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"network": {"proxies": ["http://u:hunter2@p"]}}"#.utf8), file: "c.json")) {
            let e = $0 as? ConfigError
            XCTAssertEqual(e?.key, "network.proxies[0]")
            XCTAssertFalse("\(String(describing: e))".contains("hunter2"), "the password in an error")
        }
    }

    func testNoProxyMatchesHostsAndTheirSubdomains() {
        let list = NoProxyList(["corp.example", ".internal", "10.1.2.3", "[::1]", "API.Factory.AI"])
        for host in ["corp.example", "git.corp.example", "a.b.internal", "10.1.2.3", "::1", "api.factory.ai"] {
            XCTAssertTrue(list.matches(host: host), host)
        }
        for host in ["notcorp.example", "corp.example.com", "internal.com", "10.1.2.30", "factory.ai", "api.workos.com"] {
            XCTAssertFalse(list.matches(host: host), host)
        }
        XCTAssertTrue(NoProxyList(["*"]).matches(host: "anything"))
        XCTAssertFalse(NoProxyList([]).matches(host: "anything"))
        for bad in ["", "host:8080", "http://h", "a b", "a/b"] { XCTAssertFalse(NoProxyList.isValidEntry(bad), bad) }
        for good in ["*", "h", ".corp.example", "fd00::1", "[fd00::1]", "10.0.0.1"] { XCTAssertTrue(NoProxyList.isValidEntry(good), good) }
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"network": {"noProxy": ["h:80"]}}"#.utf8), file: "c.json")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "network.noProxy[0]")
        }
    }

    func testRoutesAreRoundRobinAndNoProxyGoesDirect() throws {
        var network = NetworkConfig()
        network.proxies = [try ProxyURL(parsing: "http://a:1"), try ProxyURL(parsing: "http://b:2")]
        network.noProxy = NoProxyList(["direct.example"])
        let routes = OutboundRoutes(network)
        let picked = (0..<4).map { _ -> String in
            if case .proxy(let p) = routes.route(host: "api.factory.ai") { return p.host }
            return "direct"
        }
        XCTAssertEqual(picked, ["a", "b", "a", "b"])
        XCTAssertEqual(routes.route(host: "x.direct.example"), .direct)
        XCTAssertEqual(OutboundRoutes(NetworkConfig()).route(host: "api.factory.ai"), .direct)
    }

    func testSocks5Messages() {
        guard case .done(true, 3) = Socks5.parseGreeting([5, 1, 0]) else { return XCTFail("greeting") }
        guard case .done(false, 3) = Socks5.parseGreeting([5, 1, 2]) else { return XCTFail("no 'no auth'") }
        guard case .needMore(4) = Socks5.parseGreeting([5, 2, 0]) else { return XCTFail("partial") }
        guard case .invalid = Socks5.parseGreeting([4, 1, 0]) else { return XCTFail("SOCKS4") }
        let name = Array("api.factory.ai".utf8)
        guard case .done(.success(let t), let n) = Socks5.parseRequest([5, 1, 0, 3, UInt8(name.count)] + name + [1, 187]) else {
            return XCTFail("domain request")
        }
        XCTAssertEqual(t, Socks5.Target(host: "api.factory.ai", port: 443))
        XCTAssertEqual(n, 5 + name.count + 2)
        guard case .done(.success(let v4), _) = Socks5.parseRequest([5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]) else { return XCTFail("v4") }
        XCTAssertEqual(v4, Socks5.Target(host: "127.0.0.1", port: 8080))
        guard case .done(.success(let v6), _) = Socks5.parseRequest([5, 1, 0, 4] + [UInt8](repeating: 0, count: 15) + [1, 0, 80]) else { return XCTFail("v6") }
        XCTAssertEqual(v6.host, "0:0:0:0:0:0:0:1")
        guard case .done(.failure(.commandNotSupported(2)), _) = Socks5.parseRequest([5, 2, 0, 1, 1, 2, 3, 4, 0, 80]) else { return XCTFail("BIND") }
        guard case .done(.failure(.addressTypeNotSupported(9)), _) = Socks5.parseRequest([5, 1, 0, 9, 0]) else { return XCTFail("atyp") }
        guard case .needMore = Socks5.parseRequest([5, 1, 0, 3, 10, 65]) else { return XCTFail("partial name") }
        guard case .invalid = Socks5.parseRequest([5, 1, 0, 3, 2, 65, 10, 0, 80]) else { return XCTFail("control char in a name") }
        XCTAssertEqual(Socks5.reply(.hostUnreachable), [5, 4, 0, 1, 0, 0, 0, 0, 0, 0])
    }
}
