import XCTest
@testable import Shared

final class ConfigTests: XCTestCase {
    func parse(_ text: String) throws -> Config {
        try ConfigLoader.parse(Array(text.utf8), file: "/etc/droidgate/test.json")
    }

    func assertConfigError(_ text: String, key: String, contains: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            guard let e = error as? ConfigError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.file, "/etc/droidgate/test.json", file: file, line: line)
            XCTAssertEqual(e.key, key, file: file, line: line)
            XCTAssertTrue(e.problem.contains(contains), "\(e.problem) should contain \(contains)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), "one line", file: file, line: line)
        }
    }

    func testEmptyObjectGivesDefaults() throws {
        let c = try parse("{}")
        XCTAssertEqual(c.listen.description, "127.0.0.1:8317")
        XCTAssertEqual(c.backend.port, 8318)
        XCTAssertEqual(c.backend.command, "cli-proxy-api")
        XCTAssertTrue(c.backend.supervised, "edged takes supervisord's word on who listens on the backend port")
        XCTAssertEqual(c.limits.maxBodyBytes, 64 << 20)
        XCTAssertEqual(c.limits.upstreamTimeoutSeconds, 600)
        XCTAssertEqual(c.paths.runtimeDir, "/run/droidgate")
        XCTAssertEqual(c.logLevel, .info)
    }

    func testValuesAreRead() throws {
        let c = try parse("""
        {"listen": "[::1]:9000", "log": {"level": "debug"}, "backend": {"port": 9001, "command": "/opt/cpa",
         "extraConfig": {"debug": true}, "supervised": false}, "limits": {"maxBodyBytes": 2048, "backendHoldSeconds": 1.5},
         "paths": {"runtimeDir": "run", "stateDir": "/var/lib/x"}}
        """)
        XCTAssertEqual(c.listen.description, "[::1]:9000")
        XCTAssertTrue(c.listen.isLoopback)
        XCTAssertEqual(c.logLevel, .debug)
        XCTAssertEqual(c.backend.port, 9001)
        XCTAssertEqual(c.backend.command, "/opt/cpa")
        XCTAssertEqual(c.backend.extraConfig["debug"], true)
        XCTAssertFalse(c.backend.supervised)
        XCTAssertEqual(c.limits.maxBodyBytes, 2048)
        XCTAssertEqual(c.limits.backendHoldSeconds, 1.5)
        XCTAssertEqual(c.paths.runtimeDir, "/etc/droidgate/run", "relative to the config file's folder")
        XCTAssertEqual(c.paths.stateDir, "/var/lib/x")
    }

    /// edged appends Factory's paths to factory.baseURL on every request without
    /// parsing it again: what it would not make a URL of is refused here.
    func testFactoryBaseURLIsCheckedWhenRead() throws {
        XCTAssertEqual(try parse(#"{"factory": {"baseURL": "http://127.0.0.1:9/prefix/"}}"#).factory.baseURL, "http://127.0.0.1:9/prefix/")
        assertConfigError(#"{"factory": {"baseURL": "ftp://x"}}"#, key: "factory.baseURL", contains: "http:// or https://")
        assertConfigError(#"{"factory": {"baseURL": "https://api.factory.ai/a b"}}"#, key: "factory.baseURL", contains: "without spaces")
        assertConfigError(#"{"factory": {"baseURL": "https://api.factory.ai?x=1"}}"#, key: "factory.baseURL", contains: "a query")
        assertConfigError(#"{"factory": {"baseURL": "https:///api"}}"#, key: "factory.baseURL", contains: "a host")
        assertConfigError(#"{"factory": {"baseURL": "https://"}}"#, key: "factory.baseURL", contains: "a host")
    }

    func testSyntaxErrorNamesLineColumnAndKey() {
        assertConfigError("{\n  \"backend\": {\n    \"port\": ,\n  }\n}", key: "", contains: "line 3")
        assertConfigError("{\n  \"backend\": {\n    \"port\": ,\n  }\n}", key: "", contains: "backend.port")
        assertConfigError("{\"listen\": \"127.0.0.1:1\"", key: "", contains: "syntax error")
    }

    func testUnknownKeysAreRejectedAtEveryLevel() {
        assertConfigError(#"{"lisen": "127.0.0.1:1"}"#, key: "lisen", contains: "unknown key")
        assertConfigError(#"{"backend": {"prot": 1}}"#, key: "backend.prot", contains: "unknown key")
        assertConfigError(#"{"log": {"level": "info", "colour": true}}"#, key: "log.colour", contains: "unknown key")
    }

    func testWrongTypesAndRangesAreRejected() {
        assertConfigError(#"{"backend": {"port": "8318"}}"#, key: "backend.port", contains: "expected an integer, got string")
        assertConfigError(#"{"backend": {"port": 70000}}"#, key: "backend.port", contains: "between 1 and 65535")
        assertConfigError(#"{"backend": {"port": 1.5}}"#, key: "backend.port", contains: "expected an integer")
        assertConfigError(#"{"backend": []}"#, key: "backend", contains: "expected an object, got array")
        assertConfigError(#"{"backend": {"supervised": "no"}}"#, key: "backend.supervised", contains: "expected")
        assertConfigError(#"{"listen": 8317}"#, key: "listen", contains: "expected a string")
        assertConfigError(#"{"listen": "example.com:80"}"#, key: "listen", contains: "numeric")
        assertConfigError(#"{"log": {"level": "loud"}}"#, key: "log.level", contains: "one of")
        assertConfigError(#"{"clients": {"apiKeys": ["my-secret-key"]}}"#, key: "clients.apiKeys[0]", contains: "sha256:")
        assertConfigError(#"{"clients": {"apiKeys": [1]}}"#, key: "clients.apiKeys[0]", contains: "expected a string")
        assertConfigError(#"{"auth": {"workosBaseURL": "ftp://x"}}"#, key: "auth.workosBaseURL", contains: "http")
        assertConfigError(#"{"clients": {"allowedOrigins": ["app.example"]}}"#, key: "clients.allowedOrigins[0]", contains: "https://host")
        assertConfigError(#"{"clients": {"allowedOrigins": ["https://app.example/"]}}"#, key: "clients.allowedOrigins[0]", contains: "no trailing slash")
        assertConfigError(#"{"clients": {"allowedHosts": ["devbox.lan:8317"]}}"#, key: "clients.allowedHosts[0]", contains: "without a port")
        assertConfigError(#"[1]"#, key: "", contains: "top level")
        assertConfigError(#"{"backend": {"port": 1, "port": 2}}"#, key: "backend.port", contains: "more than once")
    }

    func testAllowedOriginsAndHostsAreRead() throws {
        let c = try parse(#"{"clients": {"allowedOrigins": ["https://app.example"], "allowedHosts": ["devbox.lan", "[fd00::5]"]}}"#)
        XCTAssertEqual(c.clients.allowedOrigins, ["https://app.example"])
        XCTAssertEqual(c.clients.allowedHosts, ["devbox.lan", "[fd00::5]"])
    }

    func testDigestsAreAccepted() throws {
        let d = "sha256:" + String(repeating: "ab", count: 32)
        XCTAssertEqual(try parse(#"{"clients": {"apiKeys": ["\#(d)"]}}"#).clients.apiKeyDigests, [d])
    }

    func testEnvironmentOverrides() throws {
        var c = try parse("{}")
        try ConfigLoader.applyEnvironment(&c, [
            "DROIDGATE_LISTEN": "127.0.0.2:9999", "FACTORY_API_KEY": "fk", "DROID_REFRESH_KEY": "rk",
            "DROIDGATE_ROOT": "/tmp/dev", "DROIDGATE_BACKEND_COMMAND": "/bin/fake",
        ])
        XCTAssertEqual(c.listen.description, "127.0.0.2:9999")
        XCTAssertEqual(c.auth.factoryAPIKey, "fk")
        XCTAssertEqual(c.auth.refreshTokenSeed, "rk")
        XCTAssertEqual(c.paths.runtimeDir, "/tmp/dev/run")
        XCTAssertEqual(c.paths.socket(.authd), "/tmp/dev/run/authd.sock")
        XCTAssertEqual(c.paths.authStateDir, "/tmp/dev/state/auth")
        XCTAssertEqual(c.backend.command, "/bin/fake")
        XCTAssertThrowsError(try ConfigLoader.applyEnvironment(&c, ["DROIDGATE_LISTEN": "nonsense"])) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "DROIDGATE_LISTEN")
        }
    }

    func testMissingAndOversizedFiles() throws {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/droidgate.json", environment: [:])) { error in
            XCTAssertEqual((error as? ConfigError)?.description, "config /nonexistent/droidgate.json: cannot read: No such file or directory")
        }
        let big = NSTemporaryDirectory() + "big-\(UInt32.random(in: 0...UInt32.max)).json"
        try Files.writeAtomically(big, Array(repeating: UInt8(ascii: " "), count: ConfigLoader.maxFileBytes + 10))
        defer { Files.remove(big) }
        XCTAssertThrowsError(try ConfigLoader.load(path: big, environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("larger than"), "\(error)")
        }
    }

    func testExposureRule() throws {
        let open = try parse(#"{"listen": "0.0.0.0:8317"}"#)
        XCTAssertNotNil(open.exposureProblem(listeningOn: open.listen))
        let keyed = try parse(#"{"listen": "0.0.0.0:8317", "clients": {"apiKeys": ["sha256:\#(String(repeating: "0", count: 64))"]}}"#)
        XCTAssertNil(keyed.exposureProblem(listeningOn: keyed.listen))
        XCTAssertNil(open.exposureProblem(listeningOn: SocketAddress(parsing: "127.0.0.9:1")!))
    }
}

final class RewritesConfigTests: XCTestCase {
    func parse(_ text: String) throws -> Config { try ConfigLoader.parse(Array(text.utf8), file: "t.json") }

    func testDefaultsFromTheSpec() throws {
        let r = try parse("{}").rewrites
        XCTAssertEqual(r.modelAliases.map { "\($0.0)=\($0.1)" }, ["ag-c46s-thinking=claude-sonnet-4-6", "ag-c46o-thinking=claude-opus-4-6-thinking"])
        XCTAssertEqual(r.fastModeModels, [])
        XCTAssertEqual(r.visibleThinkingBetas, [], "no betas the client did not ask for (#26)")
        XCTAssertEqual(r.stripBetaPrefixes, [])
    }

    func testValuesAndValidation() throws {
        let r = try parse(#"{"rewrites": {"modelAliases": {"a": "b"}, "fastModeModels": ["gpt-5"], "stripBetaPrefixes": ["fast-mode-"]}}"#).rewrites
        XCTAssertEqual(r.modelAliases.map { $0.0 + ">" + $0.1 }, ["a>b"])
        XCTAssertEqual(r.fastModeModels, ["gpt-5"])
        XCTAssertEqual(r.stripBetaPrefixes, ["fast-mode-"])
        let bad: [(String, String)] = [
            (#"{"rewrites": {"modelAliases": {"a": ""}}}"#, "rewrites.modelAliases"),
            (#"{"rewrites": {"modelAliases": {"a": 1}}}"#, "rewrites.modelAliases.a"),
            (#"{"rewrites": {"visibleThinkingBetas": ["a,b"]}}"#, "rewrites.visibleThinkingBetas"),
            (#"{"rewrites": {"stripBetaPrefixes": ["x y"]}}"#, "rewrites.stripBetaPrefixes"),
            (#"{"rewrites": {"fastModeModels": ["q\"x"]}}"#, "rewrites.fastModeModels"),
            (#"{"rewrites": {"aliases": {}}}"#, "rewrites.aliases"),
        ]
        for (text, key) in bad {
            XCTAssertThrowsError(try parse(text), text) { XCTAssertEqual(($0 as? ConfigError)?.key, key, text) }
        }
    }
}
