import Shared
import XCTest

/// `network.proxies` / `network.noProxy` / `network.caFile` parsing and the per-request route.
final class OutboundProxyConfigTests: XCTestCase {
    func testProxyURLs() throws {
        let p = try ProxyURL(parsing: "http://alice:p%40ss%20w@proxy.corp:3128/")
        XCTAssertEqual(p.host, "proxy.corp")
        XCTAssertEqual(p.port, 3128)
        XCTAssertEqual(p.username, "alice")
        XCTAssertEqual(p.password, "p@ss w")
        XCTAssertEqual(p.description, "http://alice:***@proxy.corp:3128")
        XCTAssertEqual(p.endpoint, "http://proxy.corp:3128", "libcurl gets the credentials apart")
        let v6 = try ProxyURL(parsing: "http://[fd00::1]:8080")
        XCTAssertEqual(v6.host, "fd00::1")
        XCTAssertEqual(v6.authority, "[fd00::1]:8080")
        XCTAssertNil(v6.username)
        XCTAssertEqual(try ProxyURL(parsing: "HTTP://u@h:1").description, "http://u@h:1")
        // A TLS connection to the proxy itself (libcurl's HTTPS proxy).
        let tls = try ProxyURL(parsing: "https://u:pw@secure.proxy:8443")
        XCTAssertEqual(tls.scheme, "https")
        XCTAssertEqual(tls.endpoint, "https://secure.proxy:8443")
        XCTAssertEqual(tls.description, "https://u:***@secure.proxy:8443")
    }

    func testBadProxyURLsSayWhatToFixWithoutRepeatingThem() {
        let cases: [(String, String)] = [
            ("socks5://proxy:1080", "only http:// and https:// proxies"),
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

    func testCAFileMustBeAnAbsoluteReadablePath() {
        for (value, problem) in [("ca.pem", "absolute path"), ("/no/such/ca.pem", "cannot be read")] {
            XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"network": {"caFile": "\#(value)"}}"#.utf8), file: "c.json")) {
                XCTAssertEqual(($0 as? ConfigError)?.key, "network.caFile")
                XCTAssertTrue("\($0)".contains(problem), "\($0)")
            }
        }
        XCTAssertEqual(try ConfigLoader.parse(Array(#"{"network": {"caFile": "/etc/hostname"}}"#.utf8), file: "c.json").network.caFile, "/etc/hostname")
    }
}
