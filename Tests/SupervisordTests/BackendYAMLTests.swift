import XCTest
@testable import supervisord
import Shared

final class BackendYAMLTests: XCTestCase {
    func testRenderedFileIsPinned() throws {
        let extra = try JSONValue(parsing: #"{"debug": true, "proxy-url": "", "openai-compatibility": [{"name": "x", "models": ["a", "b"]}]}"#).objectValue!
        let yaml = BackendYAML.render(.init(port: 8318, authDir: "/var/lib/droidgate/backend/auth", apiKey: "dg-key",
                                            extra: extra, disabledProviders: ["kimi", "claude"]))
        XCTAssertEqual(yaml, """
        # Written by droidgate's supervisord; edits here are overwritten.
        # Change droidgate's config (backend.*) instead.
        host: "127.0.0.1"
        port: 8318
        auth-dir: "/var/lib/droidgate/backend/auth"
        api-keys:
          - "dg-key"
        remote-management:
          secret-key: ""
          disable-control-panel: true
        request-retry: 3
        transient-error-cooldown-seconds: -1
        routing:
          strategy: "round-robin"
          session-affinity: true
          session-affinity-ttl: "2h"
        quota-exceeded:
          switch-project: true
          switch-preview-model: true
        oauth-excluded-models:
          claude:
            - "*"
          kimi:
            - "*"
        debug: true
        proxy-url: ""
        openai-compatibility:
          - name: "x"
            models:
              - "a"
              - "b"

        """)
    }

    func testHostileValuesCannotBreakOrInjectYAML() throws {
        let hostile = "x\"\nport: 1\n# \\ \t\u{1}\u{2028}"
        let extra: JSONObject = ["note": .string(hostile), "weird key: port": "v", "list": [.string(hostile)]]
        let yaml = BackendYAML.render(.init(port: 8318, authDir: "/tmp/a\"b\nc", apiKey: "k\"\nhost: 0.0.0.0", extra: extra))
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        // Exactly one host and one port line, both ours.
        XCTAssertEqual(lines.filter { $0.hasPrefix("host:") }, ["host: \"127.0.0.1\""])
        XCTAssertEqual(lines.filter { $0.hasPrefix("port:") }, ["port: 8318"])
        XCTAssertTrue(yaml.contains(#"auth-dir: "/tmp/a\"b\nc""#), yaml)
        XCTAssertTrue(yaml.contains(#"  - "k\"\nhost: 0.0.0.0""#), yaml)
        XCTAssertTrue(yaml.contains(#"note: "x\"\nport: 1\n# \\ \t\u0001\u2028""#), yaml)
        XCTAssertTrue(yaml.contains(#""weird key: port": "v""#), yaml)
        // No raw control characters anywhere but the line breaks.
        XCTAssertFalse(yaml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    func testManagedKeysCannotBeOverridden() throws {
        let extra: JSONObject = ["host": "0.0.0.0"]
        let yaml = BackendYAML.render(.init(port: 1, authDir: "/a", apiKey: "k", extra: extra))
        XCTAssertFalse(yaml.contains("0.0.0.0"))
        // And the config loader refuses them up front.
        XCTAssertThrowsError(try ConfigLoader.parse(Array(#"{"backend": {"extraConfig": {"host": "0.0.0.0"}}}"#.utf8), file: "c.json")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "backend.extraConfig.host")
        }
    }

    /// Cooling (#26): accounts that hit their quota or were revoked cool down
    /// (cli-proxy-api's default); only the cooldowns after transient errors are
    /// off. Before: `disable-cooling: true`, refused as an override. Both are the
    /// operator's to change now.
    func testCoolingKeepsQuotaCooldownsAndOperatorsMayChangeIt() throws {
        let yaml = BackendYAML.render(.init(port: 1, authDir: "/a", apiKey: "k"))
        XCTAssertFalse(yaml.contains("disable-cooling"), yaml)
        XCTAssertTrue(yaml.contains("transient-error-cooldown-seconds: -1"), yaml)
        let overridden = BackendYAML.render(.init(port: 1, authDir: "/a", apiKey: "k",
                                                  extra: ["disable-cooling": true, "transient-error-cooldown-seconds": 30]))
        XCTAssertTrue(overridden.contains("disable-cooling: true"), overridden)
        XCTAssertTrue(overridden.contains("transient-error-cooldown-seconds: 30"), overridden)
        XCTAssertFalse(overridden.contains("transient-error-cooldown-seconds: -1"), overridden)
        XCTAssertNoThrow(try ConfigLoader.parse(Array(#"{"backend": {"extraConfig": {"disable-cooling": true}}}"#.utf8), file: "c.json"))
    }
}

extension BackendYAMLTests {
    /// The first of network.proxies becomes cli-proxy-api's global `proxy-url`
    /// (config.example.yaml), unless backend.extraConfig sets one of its own.
    func testTheFirstOutboundProxyIsTheBackendsProxyURL() throws {
        let config = try ConfigLoader.parse(Array(#"{"network": {"proxies": ["http://u:p@10.0.0.1:3128", "http://10.0.0.2:3128"]}}"#.utf8), file: "c.json")
        XCTAssertEqual(config.backend.proxyURL, "http://u:p@10.0.0.1:3128")
        let yaml = BackendYAML.render(.init(port: 1, authDir: "/a", apiKey: "k", proxyURL: config.backend.proxyURL))
        XCTAssertTrue(yaml.contains(#"proxy-url: "http://u:p@10.0.0.1:3128""#), yaml)
        let own = BackendYAML.render(.init(port: 1, authDir: "/a", apiKey: "k", extra: ["proxy-url": "socks5://10.9.9.9:1080"],
                                          proxyURL: config.backend.proxyURL))
        XCTAssertTrue(own.contains(#"proxy-url: "socks5://10.9.9.9:1080""#), own)
        XCTAssertFalse(own.contains("10.0.0.1"))
        XCTAssertFalse(BackendYAML.render(.init(port: 1, authDir: "/a", apiKey: "k")).contains("proxy-url"))
    }
}
