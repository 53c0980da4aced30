import Foundation
import Shared
import XCTest

/// The fake cli-proxy-api against what the real one (router-for-me/CLIProxyAPI
/// a7e3596) does, run directly: config hot reload on the file's inode, the
/// model list from the auth-dir, Anthropic-Beta and thinking redaction, old
/// builds without -local-model, graceful shutdown, and the login flows.
final class BackendFidelityTests: XCTestCase {
    /// One fake backend with a config file and an auth-dir in a temp dir.
    final class Fake: @unchecked Sendable {
        let dir = TempDir()
        let port = freePort()
        let configPath: String
        let authDir: String
        var process: RunningProcess!

        init(config: String = "", args: [String] = [], start: Bool = true) throws {
            authDir = dir.path + "/auth"
            try FileManager.default.createDirectory(atPath: authDir, withIntermediateDirectories: true)
            configPath = dir.path + "/config.yaml"
            try Self.rewriteInPlace(configPath, yaml(config))
            if start { try self.start(args) }
        }

        func yaml(_ body: String) -> String { "auth-dir: \(authDir)\napi-keys:\n  - sk-fake\n" + body }

        func start(_ args: [String] = []) throws {
            process = try RunningProcess(Binaries.path("fake-cli-proxy-api"),
                                         ["-config", configPath, "--port", String(port), "--record"] + args)
            // Up means watching: like the real program (sdk/cliproxy/service_lifecycle.go
            // Run), the fake starts its config watcher after its listener, so a
            // rewrite made as soon as the port answers can precede the watch and
            // go unseen. A CI run lost one that way.
            guard eventually(timeout: 10, {
                (try? request(self.port, "GET", "/_fake/stats"))??.json?["config"]?["watching"] == true
            }) else {
                throw TimedOut(what: "fake start (listening and watching \(configPath)): \(process.text)", seconds: 10)
            }
        }

        /// open(O_WRONLY|O_TRUNC), write, fsync: the same inode.
        static func rewriteInPlace(_ path: String, _ text: String) throws {
            let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            defer { fd.close() }
            try fd.writeAll(Array(text.utf8))
            try fd.sync()
        }

        /// Write a temp file, rename(2) it over the config: a new inode.
        func replaceByRename(_ text: String) throws {
            let temp = configPath + ".tmp"
            try Self.rewriteInPlace(temp, text)
            XCTAssertEqual(rename(temp, configPath), 0)
        }

        func config() throws -> JSONValue {
            try XCTUnwrap(try request(port, "GET", "/_fake/stats")?.json?["config"])
        }

        func account(_ name: String, _ json: String) {
            _ = dir.write("auth/\(name)", json)
        }

        func modelIDs(headers: [String: String] = [:]) throws -> [String] {
            let r = try XCTUnwrap(try request(port, "GET", "/v1/models", headers: ["Authorization": "Bearer sk-fake"].merging(headers) { $1 }))
            XCTAssertEqual(r.status, 200, r.bodyText)
            return (r.json?["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        }

        func post(_ path: String, _ body: String, headers: [String: String] = [:]) throws -> RawHTTP.Response {
            try XCTUnwrap(try request(port, "POST", path, body: body, headers: ["Authorization": "Bearer sk-fake"].merging(headers) { $1 }))
        }

        func recorded() throws -> [JSONValue] {
            try XCTUnwrap(try request(port, "GET", "/_fake/requests")?.json?["requests"]?.arrayValue)
        }
    }

    func excluded(_ c: JSONValue) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (k, v) in c["oauth_excluded_models"]?.objectValue ?? [:] { out[k] = v.arrayValue?.compactMap(\.stringValue) }
        return out
    }

    // MARK: Config watch (internal/watcher/events.go, config_reload.go)

    func testInPlaceRewritesAreReloadedEachTime() throws {
        let f = try Fake(config: "debug: false\n")
        let inode = try Files.status(f.configPath).inode
        var c = try f.config()
        XCTAssertEqual(c["loads"]?.intValue, 1)
        XCTAssertEqual(c["watching"], true)
        XCTAssertEqual(c["debug"], false)

        try Fake.rewriteInPlace(f.configPath, f.yaml("debug: true\nrequest-retry: 3\noauth-excluded-models:\n  kimi:\n    - \"*\"\n"))
        XCTAssertTrue(eventually { (try? f.config())?["loads"]?.intValue == 2 }, f.process.text)
        c = try f.config()
        XCTAssertEqual(c["debug"], true)
        XCTAssertEqual(c["request_retry"]?.intValue, 3)
        XCTAssertEqual(excluded(c), ["kimi": ["*"]])

        try Fake.rewriteInPlace(f.configPath, f.yaml("disable-cooling: true\noauth-excluded-models:\n  KIMI: [\"*\"]\n  codex: [\" GPT-5.5 \", \"gpt-5.5\"]\n"))
        XCTAssertTrue(eventually { (try? f.config())?["loads"]?.intValue == 3 }, f.process.text)
        c = try f.config()
        XCTAssertEqual(c["watching"], true, "the watch survives in-place rewrites")
        XCTAssertEqual(c["disable_cooling"], true)
        XCTAssertEqual(c["debug"], false)
        XCTAssertEqual(excluded(c), ["codex": ["gpt-5.5"], "kimi": ["*"]], "keys lowercased, patterns normalized")
        XCTAssertEqual(try Files.status(f.configPath).inode, inode)
    }

    func testUnchangedAndEmptyWritesAreSkipped() throws {
        let f = try Fake(config: "debug: true\n")   // debug logging shows the skips
        let text = f.yaml("debug: true\n")
        // No hash is kept before the first reload: the same bytes are reloaded once.
        try Fake.rewriteInPlace(f.configPath, text)
        XCTAssertTrue(eventually { (try? f.config())?["loads"]?.intValue == 2 }, f.process.text)
        try Fake.rewriteInPlace(f.configPath, text)
        XCTAssertTrue(eventually { f.process.text.contains("config file content unchanged (hash match), skipping reload") }, f.process.text)
        try Fake.rewriteInPlace(f.configPath, "")
        XCTAssertTrue(eventually { f.process.text.contains("ignoring empty config file write event") }, f.process.text)
        XCTAssertEqual(try f.config()["loads"]?.intValue, 2)
        XCTAssertEqual(try f.config()["watching"], true)
    }

    func testRenameOverTheConfigIsIgnoredAndKillsTheWatch() throws {
        let f = try Fake()
        try f.replaceByRename(f.yaml("debug: true\n"))
        // fsnotify sees Chmod + Remove on the old inode (ignored), then the watch is gone.
        XCTAssertTrue(eventually { (try? f.config())?["watching"] == false }, f.process.text)
        var c = try f.config()
        XCTAssertEqual(c["loads"]?.intValue, 1, "a rename over the file is never reloaded")
        XCTAssertEqual(c["debug"], false)
        // Later in-place rewrites are not seen either: nothing watches the new inode.
        try Fake.rewriteInPlace(f.configPath, f.yaml("debug: true\nrequest-retry: 7\n"))
        Thread.sleep(forTimeInterval: 1)   // a negative check: well past the 150 ms debounce
        c = try f.config()
        XCTAssertEqual(c["loads"]?.intValue, 1)
        XCTAssertEqual(c["request_retry"]?.intValue, 0)
    }

    func testUnknownKeysAreListedAndIgnored() throws {
        let f = try Fake(config: """
            request-timeout: 600
            request-retry: 2
            routing:
              strategy: round-robin
              sticky: true
            remote-management:
              disable-control-panel: true
            claude-api-key:
              - api-key: x
                base-url: https://example.invalid
                timeout: 5

            """)
        let c = try f.config()
        XCTAssertEqual(c["unknown_keys"], ["claude-api-key.timeout", "request-timeout", "routing.sticky"])
        XCTAssertEqual(c["request_retry"]?.intValue, 2, "known keys still apply")
        XCTAssertEqual(try request(f.port, "GET", "/healthz")?.status, 200)
    }

    // MARK: /v1/models (sdk/cliproxy/service_models.go, sdk/auth/filestore.go)

    func testModelsComeFromEnabledAccountFilesMinusExclusions() throws {
        let f = try Fake(config: "oauth-excluded-models:\n  claude:\n    - \"claude-opus-*\"\n    - \"*haiku*\"\n")
        XCTAssertEqual(try f.modelIDs(), [], "no account file, no models")

        f.account("claude-a@example.com.json", #"{"type":"claude","email":"a@example.com"}"#)
        f.account("codex-b@example.com.json", #"{"type":"codex","email":"b@example.com","disabled":true}"#)
        f.account("gemini-c.json", #"{"type":"gemini","email":"c@example.com"}"#)
        f.account("notes.txt", #"{"type":"xai"}"#)
        f.account("kimi-1.json", #"{"type":" Kimi ","excluded_models":["kimi-k2"]}"#)
        let ids = try f.modelIDs()
        XCTAssertTrue(ids.contains("claude-sonnet-4-6") && ids.contains("claude-fable-5") && ids.contains("claude-sonnet-5"), "\(ids)")
        XCTAssertFalse(ids.contains { $0.hasPrefix("claude-opus-") || $0.contains("haiku") }, "oauth-excluded-models: \(ids)")
        XCTAssertFalse(ids.contains { $0.hasPrefix("gpt-") || $0.hasPrefix("grok-") || $0.hasPrefix("gemini-") }, "disabled, gemini and non-json files serve nothing: \(ids)")
        XCTAssertTrue(ids.contains("kimi-k2-thinking") && !ids.contains("kimi-k2"), "the file's own excluded_models: \(ids)")

        // The catalog entries are the real ones.
        let list = try XCTUnwrap(try request(f.port, "GET", "/v1/models", headers: ["Authorization": "Bearer sk-fake"])?.json)
        let sonnet = try XCTUnwrap(list["data"]?.arrayValue?.first { $0["id"] == "claude-sonnet-4-6" })
        XCTAssertEqual(sonnet, ["id": "claude-sonnet-4-6", "object": "model", "created": 1_771_372_800, "owned_by": "anthropic"])

        // Anthropic clients get every model, non-Claude ids cloaked, sorted by display name.
        let anthropic = try f.modelIDs(headers: ["Anthropic-Version": "2023-06-01"])
        XCTAssertTrue(anthropic.contains("claude-fable-5-dd-" + String("kimi-k2-thinking".reversed())), "\(anthropic)")
        XCTAssertEqual(Set(anthropic.filter { $0.hasPrefix("claude-") && !$0.hasPrefix("claude-fable-5-dd-") }),
                       Set(ids.filter { $0.hasPrefix("claude-") }))

        // Gemini's listing shows the same set.
        let gemini = try XCTUnwrap(try request(f.port, "GET", "/v1beta/models", headers: ["Authorization": "Bearer sk-fake"])?.json)
        XCTAssertEqual(gemini["models"]?.arrayValue?.count, ids.count)

        // A re-enabled account counts at once (the auth-dir is read at request time).
        f.account("codex-b@example.com.json", #"{"type":"codex","email":"b@example.com","disabled":false}"#)
        XCTAssertTrue(try f.modelIDs().contains("gpt-5.5"))
    }

    // MARK: Anthropic-Beta and redacted thinking (claude_executor_request.go)

    func testThinkingIsRedactedUnlessTheBodyCarriesADisplay() throws {
        let f = try Fake()
        f.account("claude-a@example.com.json", #"{"type":"claude","email":"a@example.com"}"#)
        let plain = #"{"model":"claude-opus-4-6","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}"#
        let r = try f.post("/v1/messages", plain)
        XCTAssertEqual(r.status, 200, r.bodyText)
        let block = try XCTUnwrap(r.json?["content"]?[0])
        XCTAssertEqual(block["type"], "thinking")
        XCTAssertEqual(block["thinking"], "", "redact-thinking-2026-02-12: empty text")
        XCTAssertFalse((block["signature"]?.stringValue ?? "").isEmpty, "still signed")

        let shown = #"{"model":"claude-opus-4-6","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024,"display":"summarized"},"messages":[{"role":"user","content":"hi"}]}"#
        let v = try f.post("/v1/messages", shown)
        XCTAssertFalse((v.json?["content"]?[0]?["thinking"]?.stringValue ?? "").isEmpty, v.bodyText)

        // Streaming: no thinking text at all, only the signature.
        let stream = try f.post("/v1/messages", plain.replacingOccurrences(of: #""max_tokens""#, with: #""stream":true,"max_tokens""#))
        XCTAssertTrue(stream.bodyText.contains("\"signature_delta\""), stream.bodyText)
        XCTAssertFalse(stream.bodyText.contains("\"thinking_delta\""), stream.bodyText)
        let shownStream = try f.post("/v1/messages", shown.replacingOccurrences(of: #""max_tokens""#, with: #""stream":true,"max_tokens""#))
        XCTAssertTrue(shownStream.bodyText.contains("\"thinking_delta\""), shownStream.bodyText)

        // OpenAI chat: reasoning_effort asks for summaries, so the translated request carries a display.
        let chat = try f.post("/v1/chat/completions", #"{"model":"claude-opus-4-6","reasoning_effort":"high","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertFalse((chat.json?["choices"]?[0]?["message"]?["reasoning_content"]?.stringValue ?? "").isEmpty, chat.bodyText)
        _ = try f.post("/v1/chat/completions", #"{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}]}"#)

        let betas = try f.recorded().map { $0["upstream_anthropic_beta"]?.stringValue }
        XCTAssertEqual(betas.count, 6)
        let redacted = "redact-thinking-2026-02-12"
        XCTAssertEqual(betas[0], "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,\(redacted),"
            + "thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,"
            + "effort-2025-11-24,fallback-credit-2026-06-01,extended-cache-ttl-2025-04-11,cache-diagnosis-2026-04-07")
        XCTAssertFalse(betas[1]?.contains(redacted) ?? true, "display set: no redaction beta")
        XCTAssertTrue(betas[2]?.contains(redacted) ?? false)
        XCTAssertFalse(betas[3]?.contains(redacted) ?? true)
        XCTAssertFalse(betas[4]?.contains(redacted) ?? true, "chat with reasoning_effort carries display=summarized")
        XCTAssertNil(betas[5], "not a Claude model")

        // display "omitted" drops the beta, but Anthropic then omits the text anyway.
        let omitted = try f.post("/v1/messages", plain.replacingOccurrences(of: #""budget_tokens":1024"#, with: #""budget_tokens":1024,"display":"omitted""#))
        XCTAssertEqual(omitted.json?["content"]?[0]?["thinking"], "", omitted.bodyText)
        XCTAssertFalse(try f.recorded().last?["upstream_anthropic_beta"]?.stringValue?.contains(redacted) ?? true)
    }

    func testCallerBetasOnlySwitchCapabilities() throws {
        let f = try Fake()
        let body = #"{"model":"claude-opus-5","speed":"fast","tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}"#
        _ = try f.post("/v1/messages", body, headers: ["Anthropic-Beta": "context-1m-2025-08-07,made-up-2030-01-01"])
        let beta = try XCTUnwrap(try f.recorded().last?["upstream_anthropic_beta"]?.stringValue)
        XCTAssertEqual(beta, "claude-code-20250219,oauth-2025-04-20,context-1m-2025-08-07,interleaved-thinking-2025-05-14,"
            + "redact-thinking-2026-02-12,thinking-token-count-2026-05-13,context-management-2025-06-27,"
            + "prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,advanced-tool-use-2025-11-20,"
            + "effort-2025-11-24,fallback-credit-2026-06-01,fast-mode-2026-02-01,extended-cache-ttl-2025-04-11,"
            + "cache-diagnosis-2026-04-07")
    }

    // MARK: Start-up flags (cmd/server/main.go)

    func testOldBuildRefusesLocalModelLikeGoFlag() throws {
        let (rc, out) = try runToEnd(Binaries.path("fake-cli-proxy-api"), ["--old-build", "-local-model", "--port", "0"], timeout: 10)
        XCTAssertEqual(rc, 2, out)
        XCTAssertTrue(out.contains("flag provided but not defined: -local-model"), out)
        XCTAssertTrue(out.contains("Usage of ") && out.contains("  -claude-login\n    Login to Claude using OAuth"), out)
        XCTAssertFalse(out.contains("  -local-model"), "an old build's usage has no -local-model: \(out)")
        // A current build takes it.
        let (rc2, out2) = try runToEnd(Binaries.path("fake-cli-proxy-api"), ["-local-model", "--exit-immediately", "0"], timeout: 10)
        XCTAssertEqual(rc2, 0, out2)
        // --help lists the fake's knobs.
        let (_, help) = try runToEnd(Binaries.path("fake-cli-proxy-api"), ["--help"], timeout: 10)
        for knob in ["--old-build", "--shutdown-grace-ms", "--paste-after-ms", "--login-email", "-oauth-callback-port"] {
            XCTAssertTrue(help.contains(knob), "\(knob) missing from --help: \(help)")
        }
    }

    // MARK: Graceful shutdown (sdk/cliproxy/service_lifecycle.go, net/http Shutdown)

    func testSIGTERMLetsAStreamFinishAndRefusesNewConnections() throws {
        let f = try Fake(args: ["--shutdown-grace-ms", "20000"])
        let stream = try RawHTTP(port: f.port)
        let body = #"{"model":"gpt-5.5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try stream.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-fake\r\nx-fake-events: 12\r\n"
            + "x-fake-event-delay-ms: 150\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(try stream.waitFor("\"content\":\"", timeout: 5))
        let idle = try RawHTTP(port: f.port)
        try idle.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try idle.readResponse()?.status, 200)

        f.process.signal(SIGTERM)
        XCTAssertTrue(eventually(timeout: 5) { (try? RawHTTP(port: f.port)) == nil }, "the listener is closed")
        XCTAssertTrue(try idle.waitForClose(timeout: 5), "idle keep-alive connections are closed at once")
        let r = try XCTUnwrap(try stream.readResponse(timeout: 15))
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.bodyText.contains("data: [DONE]"), "the stream finished: \(r.bodyText.suffix(200))")
        XCTAssertTrue(try stream.waitForClose(timeout: 5), "closed after its response, not kept alive")
        XCTAssertEqual(f.process.waitForExit(timeout: 10), 0, f.process.text)
    }

    func testShutdownGivesUpAfterTheGracePeriod() throws {
        let f = try Fake(args: ["--shutdown-grace-ms", "300"])
        let stream = try RawHTTP(port: f.port)
        let body = #"{"model":"gpt-5.5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try stream.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk-fake\r\nx-fake-events: 200\r\n"
            + "x-fake-event-delay-ms: 100\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(try stream.waitFor("\"content\":\"", timeout: 5))
        f.process.signal(SIGTERM)
        XCTAssertEqual(f.process.waitForExit(timeout: 10), 0, f.process.text)
        XCTAssertTrue(try stream.waitForClose(timeout: 5))
        XCTAssertFalse(stream.received.contains("[DONE]"), "cut off at the deadline")
    }

    /// internal/cmd/run.go notifies SIGINT and SIGTERM only: SIGHUP kills the real one.
    func testSIGHUPIsNotAReload() throws {
        let f = try Fake()
        f.process.signal(SIGHUP)
        _ = f.process.waitForExit(timeout: 10)
        XCTAssertEqual(f.process.process.terminationReason, .uncaughtSignal, f.process.text)
        XCTAssertEqual(f.process.process.terminationStatus, SIGHUP)
    }

    // MARK: Logins (sdk/auth/claude.go, antigravity.go, internal/cmd/*_login.go)

    func loginArgs(_ f: Fake, _ flag: String, port: UInt16, pasteAfterMs: Int = 100) -> [String] {
        ["-config", f.configPath, flag, "-no-browser", "-oauth-callback-port", String(port), "--paste-after-ms", String(pasteAfterMs)]
    }

    func state(in output: String) throws -> String {
        let r = try XCTUnwrap(output.range(of: #"state=[0-9a-f]+"#, options: .regularExpression), output)
        return String(output[r].dropFirst("state=".count))
    }

    func testPastedCallbackURLSignsInAndReloginRewritesTheSameFile() throws {
        let f = try Fake(start: false)
        let path = f.authDir + "/claude-fake@example.com.json"
        var inode: UInt64 = 0
        for round in 1...2 {
            let p = try RunningProcess(Binaries.path("fake-cli-proxy-api"), loginArgs(f, "-claude-login", port: freePort()), input: true)
            XCTAssertTrue(p.waitFor("Paste the Claude callback URL (or press Enter to keep waiting): "), p.text)
            p.type("http://localhost:54545/callback?code=fake-code&state=\(try state(in: p.text))")
            XCTAssertEqual(p.waitForExit(timeout: 10), 0, p.text)
            XCTAssertTrue(p.text.contains("Authentication saved to \(path)\nClaude authentication successful!"), p.text)
            let v = try JSONValue(parsing: try Files.read(path))
            XCTAssertEqual(v["type"], "claude")
            XCTAssertEqual(v["email"], "fake@example.com")
            XCTAssertEqual(v["disabled"], false, "a new login enables the account")
            if round == 1 {
                inode = try Files.status(path).inode
                // Between logins the account was disabled and annotated.
                try Fake.rewriteInPlace(path, #"{"type":"claude","email":"fake@example.com","disabled":true,"note":"mine","access_token":"old"}"#)
            } else {
                XCTAssertEqual(try Files.status(path).inode, inode, "the same file, rewritten in place")
                XCTAssertEqual(v["note"], "mine", "non-token keys of the old file are kept")
                XCTAssertEqual(v["access_token"], "fake-access")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: f.authDir), ["claude-fake@example.com.json"])
    }

    func testBrowserCallbackSignsIn() throws {
        let f = try Fake(start: false)
        let port = freePort()
        var args = loginArgs(f, "-antigravity-login", port: port, pasteAfterMs: 60_000)
        args += ["--login-email", "someone@example.com"]
        let p = try RunningProcess(Binaries.path("fake-cli-proxy-api"), args, input: true)
        XCTAssertTrue(p.waitFor("Waiting for antigravity authentication callback..."), p.text)
        XCTAssertTrue(p.text.contains("redirect_uri=http%3A%2F%2Flocalhost%3A\(port)%2Foauth-callback"), p.text)
        let r = try XCTUnwrap(try request(port, "GET", "/oauth-callback?code=c0de&state=\(try state(in: p.text))"))
        XCTAssertTrue(r.bodyText.contains("Login successful"), r.bodyText)
        XCTAssertEqual(p.waitForExit(timeout: 10), 0, p.text)
        XCTAssertTrue(p.text.contains("Authenticated as someone@example.com\nAntigravity authentication successful!"), p.text)
        XCTAssertFalse(p.text.contains("Paste the"), "the callback came first")
        let file = f.authDir + "/antigravity-someone@example.com.json"
        XCTAssertEqual(try Files.status(file).mode, 0o600)
        XCTAssertEqual(try JSONValue(parsing: try Files.read(file))["type"], "antigravity")
    }

    func testEnterKeepsWaitingThenTheCallbackSignsIn() throws {
        let f = try Fake(start: false)
        let port = freePort()
        let p = try RunningProcess(Binaries.path("fake-cli-proxy-api"), loginArgs(f, "-claude-login", port: port), input: true)
        XCTAssertTrue(p.waitFor("(or press Enter to keep waiting): "), p.text)
        p.type("")
        let r = try XCTUnwrap(try request(port, "GET", "/callback?code=c0de&state=\(try state(in: p.text))"))
        XCTAssertEqual(r.status, 302)
        XCTAssertEqual(r.header("Location"), "/success")
        XCTAssertEqual(r.header("Content-Type"), "text/html; charset=utf-8", "Go's http.Redirect")
        XCTAssertEqual(r.bodyText, "<a href=\"/success\">Found</a>.\n\n")
        XCTAssertEqual(p.waitForExit(timeout: 10), 0, p.text)
        XCTAssertTrue(p.text.contains("Claude authentication successful!"), p.text)
    }

    func testWrongPastedCallbacksFailTheLogin() throws {
        let f = try Fake(start: false)
        let cases: [(paste: String, expect: String)] = [
            ("http://localhost:54545/callback?code=c0de&state=0123456789abcdef", "Authentication failed. Please try again."),
            ("http://localhost:54545/callback?state=abc", "Claude authentication failed: callback URL missing code"),
            ("not-a-url", "Claude authentication failed: invalid callback URL"),
            ("http://localhost:54545/callback?error=access_denied", "Claude authentication failed: OAuth error: access_denied"),
        ]
        for c in cases {
            let p = try RunningProcess(Binaries.path("fake-cli-proxy-api"), loginArgs(f, "-claude-login", port: freePort()), input: true)
            XCTAssertTrue(p.waitFor("keep waiting): "), p.text)
            p.type(c.paste)
            XCTAssertEqual(p.waitForExit(timeout: 10), 0, "the real one logs and returns from main: \(p.text)")
            XCTAssertTrue(p.text.contains(c.expect), "\(c.paste): \(p.text)")
            XCTAssertFalse(p.text.contains("authentication successful"), p.text)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: f.authDir), [])
    }

    func testClaudeCallbackPortInUseExits13() throws {
        let f = try Fake(start: false)
        let busy = try Socket.listenTCP(SocketAddress(parsing: "0.0.0.0:0")!)
        defer { busy.close() }
        let (rc, out) = try runToEnd(Binaries.path("fake-cli-proxy-api"),
                                     loginArgs(f, "-claude-login", port: busy.localAddress()!.port), timeout: 10)
        XCTAssertEqual(rc, 13, out)
        XCTAssertTrue(out.contains("The required port is already in use"), out)
    }

    func testDeviceLoginsWriteTheirFiles() throws {
        let f = try Fake(start: false)
        for (flag, prefix) in [("-xai-login", "xai-fake@example.com.json"), ("-kimi-login", "kimi-"), ("-codex-device-login", "codex-")] {
            let (rc, out) = try runToEnd(Binaries.path("fake-cli-proxy-api"), ["-config", f.configPath, flag, "-no-browser"], timeout: 20)
            XCTAssertEqual(rc, 0, out)
            XCTAssertTrue(out.contains("authentication successful!"), out)
            let files = try FileManager.default.contentsOfDirectory(atPath: f.authDir)
            XCTAssertTrue(files.contains { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }, "\(flag): \(files)")
        }
        // The codex file's plan (from its id_token) picks the model list.
        f.account("x.json", #"{"type":"claude"}"#)
        try f.start()
        XCTAssertTrue(try f.modelIDs().contains("gpt-5.3-codex-spark"), "codex pro plan")
    }
}
