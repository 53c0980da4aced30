import Foundation
import IPC
import Shared
import XCTest

/// The Factory route through the whole stack: droidgate up (demo backend),
/// authd against fake-workos, edged against fake-factory (which checks
/// bearers against fake-workos).
final class FactoryTests: XCTestCase {
    final class Stack: @unchecked Sendable {
        let dir = TempDir()
        let edgePort = freePort(), backendPort = freePort(), factoryPort = freePort(), workosPort = freePort()
        var workos: RunningProcess!
        var factory: RunningProcess!
        var up: RunningProcess!

        init(reasoning: String = "auto", env: [String: String] = ["DROID_REFRESH_KEY": "factory-seed"], withWorkOS: Bool = true,
             clientKey: String? = nil, userAgent: String = "factory-cli/9.9.9", latestVersionPort: UInt16? = nil,
             network: String? = nil, extra: String? = nil, factoryURL: String? = nil, factoryTimeout: Int? = nil) throws {
            let clientKeyDigests = clientKey.map { ["sha256:" + SHA256.hexDigest(Array($0.utf8))] } ?? []
            workos = try RunningProcess(Binaries.path("fake-workos"), ["--port", String(workosPort), "--seed-refresh", "factory-seed"])
            factory = try RunningProcess(Binaries.path("fake-factory"), ["--port", String(factoryPort), "--record", "--latest-version", "0.91.7"]
                                         + (withWorkOS ? ["--workos", "http://127.0.0.1:\(workosPort)"] : []))
            guard eventually({ (try? RawHTTP(port: self.factoryPort)) != nil && (try? RawHTTP(port: self.workosPort)) != nil }) else {
                throw TimedOut(what: "fakes", seconds: 10)
            }
            let config = dir.write("droidgate.json", """
            {"listen": "127.0.0.1:\(edgePort)", "backend": {"port": \(backendPort)},\(network.map { "\"network\": \($0)," } ?? "")\(extra.map { $0 + "," } ?? "")
             "clients": {"apiKeys": [\(clientKeyDigests.map { "\"\($0)\"" }.joined(separator: ","))]},
             "auth": {"workosBaseURL": "http://127.0.0.1:\(workosPort)", "timeoutSeconds": 5},
             "factory": {"baseURL": "\(factoryURL ?? "http://127.0.0.1:\(factoryPort)")", "systemPrompt": "You are Droid.", "userAgent": "\(userAgent)",\(factoryTimeout.map { " \"timeoutSeconds\": \($0)," } ?? "")
                         "latestVersionURL": "http://127.0.0.1:\(latestVersionPort ?? factoryPort)/factory-cli/LATEST"},
             "models": [
               {"id": "claude-f", "upstream": "factory", "type": "anthropic", "reasoning": "\(reasoning)", "upstreamModel": "claude-opus-4-6"},
               {"id": "gpt-f", "upstream": "factory", "type": "openai", "reasoning": "\(reasoning)"},
               {"id": "gemini-f", "upstream": "factory", "type": "google"},
               {"id": "chat-f", "upstream": "factory", "type": "common"},
               {"id": "claude-fast", "upstream": "factory", "type": "anthropic", "fast": true, "upstreamModel": "claude-opus-4-6"},
               {"id": "gpt-fast", "upstream": "factory", "type": "openai", "fast": true, "reasoning": "auto"}
             ],
             "modelRedirects": {"claude-alias": "claude-f"}}
            """)
            chmod(config, 0o600)   // `network` may hold a proxy password (ConfigSecrets)
            up = try RunningProcess(Binaries.path("droidgate"), ["up", "--demo", "--config", config], environment: env)
            guard eventually(timeout: 15, {
                guard let h = try? request(self.edgePort, "GET", "/healthz", headers: clientKey.map { ["x-api-key": $0] } ?? [:])?.json else { return false }
                return h["backend"]?["state"] == "ready" && h["authd"]?["connected"] == true
            }) else { throw TimedOut(what: "stack: \(up.text)", seconds: 15) }
        }

        func recorded() throws -> [JSONValue] {
            try XCTUnwrap(try request(factoryPort, "GET", "/_fake/requests")?.json?["requests"]?.arrayValue)
        }

        func last() throws -> (headers: [String: String], body: String, path: String) {
            let r = try XCTUnwrap(try recorded().last)
            var h: [String: String] = [:]
            for pair in r["headers"]?.arrayValue ?? [] { h[pair[0]?.stringValue?.lowercased() ?? ""] = pair[1]?.stringValue }
            return (h, r["body_text"]?.stringValue ?? "", r["path"]?.stringValue ?? "")
        }

        /// Knobs for fake-factory's next request (x-fake-* headers are not forwarded to Factory).
        func next(_ json: String) throws {
            XCTAssertEqual(try request(factoryPort, "POST", "/_fake/next", body: json)?.status, 200)
        }

        func post(_ path: String, _ body: String, headers: [String: String] = [:]) throws -> RawHTTP.Response {
            try XCTUnwrap(try request(edgePort, "POST", path, body: body, headers: headers, timeout: 20))
        }

        deinit {
            up?.signal(SIGTERM)
            _ = up?.waitForExit(timeout: 10)
            factory?.signal(SIGKILL)
            workos?.signal(SIGKILL)
        }
    }

    /// Replaces the volatile fields (ids, timestamps) of a chat reply.
    func normalized(_ v: JSONValue) -> String {
        var s = v.serializedString()
        for key in ["id", "created", "system_fingerprint"] {
            s = s.replacingOccurrences(of: #""\#(key)":"[^"]*""#, with: #""\#(key)":"*""#, options: .regularExpression)
            s = s.replacingOccurrences(of: #""\#(key)":[0-9]+"#, with: #""\#(key)":0"#, options: .regularExpression)
        }
        return s
    }

    // 1
    func testModelsListsFactoryModelsAndTheBackends() throws {
        let s = try Stack()
        let r = try XCTUnwrap(try request(s.edgePort, "GET", "/v1/models")?.json)
        let data = try XCTUnwrap(r["data"]?.arrayValue)
        let ids = data.compactMap { $0["id"]?.stringValue }
        XCTAssertEqual(Array(ids.prefix(4)), ["claude-f", "gpt-f", "gemini-f", "chat-f"])
        XCTAssertTrue(ids.contains("claude-sonnet-4-6"), "the backend's models too: \(ids)")
        let created = try XCTUnwrap(data[0]["created"]?.intValue)
        XCTAssertLessThan(abs(Double(created) - Date().timeIntervalSince1970), 60, "created is in seconds")
        XCTAssertEqual(data[0]["owned_by"], "anthropic")
    }

    /// Each caller gets the shape the backend gives it (#26): Claude Code and the
    /// Anthropic SDK (Anthropic-Version) Anthropic's, with Factory's models in it.
    /// Before, edged always answered in OpenAI's shape and dropped the header.
    func testModelsKeepTheCallersShape() throws {
        let s = try Stack()
        let r = try XCTUnwrap(try request(s.edgePort, "GET", "/v1/models", headers: ["anthropic-version": "2023-06-01"]))
        XCTAssertNil(r.header("x-droidgate-warning"), "\(r.headers)")
        let v = try XCTUnwrap(r.json)
        let data = try XCTUnwrap(v["data"]?.arrayValue)
        XCTAssertNil(v["object"], "not OpenAI's list: \(v)")
        XCTAssertEqual(v["has_more"], false)
        XCTAssertEqual(v["first_id"], "claude-f")
        let f = try XCTUnwrap(data.first { $0["id"] == "claude-f" })
        XCTAssertEqual(f["type"], "model")
        XCTAssertEqual(f["display_name"], "claude-f")
        XCTAssertTrue(f["created_at"]?.stringValue?.hasSuffix("Z") == true, "\(f)")
        let backend = try XCTUnwrap(data.first { $0["id"] == "claude-sonnet-4-6" }, "the backend's models too")
        XCTAssertEqual(backend["type"], "model", "in the backend's Anthropic shape: \(backend)")
    }

    // 2
    func testChatToAnthropic() throws {
        let s = try Stack()
        let body = #"{"model":"claude-alias","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"hi"}],"stop":"END","tools":[{"type":"function","function":{"name":"Read","description":"read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}]}"#
        let r = try s.post("/v1/chat/completions", body)
        XCTAssertEqual(r.status, 200, r.bodyText)
        let up = try s.last()
        XCTAssertEqual(up.path, "/api/llm/a/v1/messages")
        let sent = try JSONValue(parsing: up.body)
        XCTAssertEqual(sent["model"], "claude-opus-4-6", "redirect then upstreamModel")
        XCTAssertEqual(sent["system"], [["type": "text", "text": "You are Droid."], ["type": "text", "text": "Be terse."]])
        XCTAssertEqual(sent["stop_sequences"], ["END"])
        XCTAssertEqual(sent["max_tokens"], 4096)
        XCTAssertEqual(sent["tools"]?[0]?["name"], "Read")
        XCTAssertEqual(sent["tools"]?[0]?["input_schema"]?["properties"]?["path"]?["type"], "string")
        XCTAssertEqual(up.headers["x-api-key"], "placeholder")
        XCTAssertEqual(up.headers["anthropic-version"], "2023-06-01")
        XCTAssertEqual(up.headers["x-factory-client"], "cli")
        XCTAssertEqual(up.headers["x-api-provider"], "anthropic")
        XCTAssertEqual(up.headers["user-agent"], "factory-cli/9.9.9")
        XCTAssertNotNil(up.headers["x-session-id"])
        XCTAssertNotNil(up.headers["x-assistant-message-id"])
        XCTAssertTrue(up.headers["authorization"]?.hasPrefix("Bearer eyJ") == true, "authd's WorkOS access token")
        // The fake answers with a tool call: a real chat.completion.
        let reply = try XCTUnwrap(r.json)
        XCTAssertEqual(reply["object"], "chat.completion")
        XCTAssertEqual(reply["model"], "claude-opus-4-6", "the model that answered")
        XCTAssertEqual(reply["choices"]?[0]?["finish_reason"], "tool_calls")
        XCTAssertEqual(reply["choices"]?[0]?["message"]?["tool_calls"]?[0]?["function"]?["name"], "Read")
        XCTAssertNotNil(reply["usage"]?["prompt_tokens"]?.intValue)
        // The tool result goes back as a tool_result block in a user turn.
        let callID = try XCTUnwrap(reply["choices"]?[0]?["message"]?["tool_calls"]?[0]?["id"]?.stringValue)
        let followUp = #"{"model":"claude-f","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"\#(callID)","type":"function","function":{"name":"Read","arguments":"{\"path\":\"a\"}"}}]},{"role":"tool","tool_call_id":"\#(callID)","content":"file text"}],"tools":[{"type":"function","function":{"name":"Read","parameters":{"type":"object"}}}]}"#
        let r2 = try s.post("/v1/chat/completions", followUp)
        XCTAssertEqual(r2.status, 200, r2.bodyText)
        let sent2 = try JSONValue(parsing: try s.last().body)
        let msgs = try XCTUnwrap(sent2["messages"]?.arrayValue)
        XCTAssertEqual(msgs[1]["content"]?[0]?["type"], "tool_use")
        XCTAssertEqual(msgs[1]["content"]?[0]?["input"]?["path"], "a")
        XCTAssertEqual(msgs[2]["role"], "user")
        XCTAssertEqual(msgs[2]["content"]?[0]?["type"], "tool_result")
        XCTAssertEqual(msgs[2]["content"]?[0]?["tool_use_id"]?.stringValue, callID)
        XCTAssertEqual(r2.json?["choices"]?[0]?["finish_reason"], "stop")
    }

    func testChatToAnthropicStreaming() throws {
        let s = try Stack(reasoning: "high")
        let body = #"{"model":"claude-f","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try s.next(#"{"events": 3}"#)
        let r = try s.post("/v1/chat/completions", body)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("content-type"), "text/event-stream")
        let frames = r.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(frames.last, "data: [DONE]")
        XCTAssertEqual(frames.filter { $0 == "data: [DONE]" }.count, 1)
        let chunks = try frames.dropLast().map { try JSONValue(parsing: String($0.dropFirst(6))) }
        XCTAssertEqual(chunks.first?["choices"]?[0]?["delta"]?["role"], "assistant", "a role chunk first")
        XCTAssertTrue(chunks.contains { $0["choices"]?[0]?["delta"]?["reasoning_content"] != nil }, "thinking as reasoning_content")
        let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
        XCTAssertEqual(text, "Hello from the fake backend.")
        let finish = try XCTUnwrap(chunks.last)
        XCTAssertEqual(finish["choices"]?[0]?["finish_reason"], "stop")
        XCTAssertNotNil(finish["usage"]?["completion_tokens"]?.intValue)
        XCTAssertTrue(chunks.allSatisfy { $0["object"] == "chat.completion.chunk" && $0["model"] == "claude-opus-4-6" })
        // The reasoning policy "high": thinking enabled with the fixed budget and the interleaved beta.
        let up = try s.last()
        let sent = try JSONValue(parsing: up.body)
        XCTAssertEqual(sent["thinking"], ["type": "enabled", "budget_tokens": 24576])
        XCTAssertGreaterThan(sent["max_tokens"]?.intValue ?? 0, 24576)
        XCTAssertTrue(up.headers["anthropic-beta"]?.contains("interleaved-thinking-2025-05-14") == true)
    }

    // 3
    func testChatToResponses() throws {
        let s = try Stack()
        let body = #"{"model":"gpt-f","messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"Read","parameters":{"type":"object"}}}]}"#
        let r = try s.post("/v1/chat/completions", body)
        XCTAssertEqual(r.status, 200, r.bodyText)
        let up = try s.last()
        XCTAssertEqual(up.path, "/api/llm/o/v1/responses")
        let sent = try JSONValue(parsing: up.body)
        XCTAssertEqual(sent["instructions"], "You are Droid.\n\nsys")
        XCTAssertEqual(sent["store"], false)
        XCTAssertEqual(sent["tools"]?[0]?["type"], "function")
        XCTAssertEqual(sent["tools"]?[0]?["name"], "Read", "flattened")
        XCTAssertNotNil(sent["input"]?.arrayValue)
        let reply = try XCTUnwrap(r.json)
        XCTAssertEqual(reply["choices"]?[0]?["finish_reason"], "tool_calls")
        XCTAssertEqual(reply["choices"]?[0]?["message"]?["tool_calls"]?[0]?["function"]?["name"], "Read")
        // Streaming: ends with a finish chunk and exactly one [DONE].
        let st = try s.post("/v1/chat/completions", #"{"model":"gpt-f","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        let frames = st.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(frames.filter { $0 == "data: [DONE]" }.count, 1)
        XCTAssertEqual(frames.last, "data: [DONE]")
        let finish = try JSONValue(parsing: String(frames[frames.count - 2].dropFirst(6)))
        XCTAssertEqual(finish["choices"]?[0]?["finish_reason"], "stop")
    }

    // 4
    func testMessagesPassThroughKeepsTheBodyAndPrefixesTheSystemPrompt() throws {
        let s = try Stack()
        let stringSystem = #"{"model": "claude-f", "system": "mine", "max_tokens": 64, "messages": [ {"role": "user", "content": "hi"} ]}"#
        XCTAssertEqual(try s.post("/v1/messages", stringSystem, headers: ["anthropic-beta": "a-beta", "x-custom": "dropped"]).status, 200)
        var up = try s.last()
        XCTAssertEqual(up.body, #"{"model": "claude-opus-4-6", "system": "You are Droid.\n\nmine", "max_tokens": 64, "messages": [ {"role": "user", "content": "hi"} ]}"#)
        XCTAssertEqual(up.headers["anthropic-beta"], "a-beta")
        XCTAssertNil(up.headers["x-custom"], "no other client header is forwarded")
        let arraySystem = #"{"model":"claude-f","system":[{"type":"text","text":"mine","cache_control":{"type":"ephemeral"}}],"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#
        let passed = try s.post("/v1/messages", arraySystem)
        XCTAssertEqual(passed.status, 200)
        // Factory's reply had a length: the client gets it with that length, not re-chunked.
        XCTAssertEqual(passed.header("Content-Length").flatMap(Int.init), passed.body.count)
        XCTAssertNil(passed.header("Transfer-Encoding"))
        up = try s.last()
        XCTAssertEqual(up.body, #"{"model":"claude-opus-4-6","system":[{"type":"text","text":"You are Droid."},{"type":"text","text":"mine","cache_control":{"type":"ephemeral"}}],"max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#)
        // The wrong endpoint for a model's type.
        let wrong = try s.post("/v1/responses", #"{"model":"claude-f","input":"x"}"#)
        XCTAssertEqual(wrong.status, 400)
        XCTAssertTrue(wrong.json?["error"]?["message"]?.stringValue?.contains("/v1/messages") == true)
    }

    // 5
    func testReasoningPolicyOffRemovesThinkingAndTheBeta() throws {
        let s = try Stack(reasoning: "off")
        let body = #"{"model":"claude-f","thinking":{"type":"enabled","budget_tokens":5000},"max_tokens":9000,"messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(try s.post("/v1/messages", body, headers: ["anthropic-beta": "interleaved-thinking-2025-05-14,other"]).status, 200)
        let up = try s.last()
        XCTAssertEqual(up.body, #"{"system":[{"type":"text","text":"You are Droid."}],"model":"claude-opus-4-6","max_tokens":9000,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(up.headers["anthropic-beta"], "other")
    }

    func testReasoningPolicyAutoLeavesTheClientsFields() throws {
        let s = try Stack(reasoning: "auto")
        let body = #"{"model":"gpt-f","reasoning":{"effort":"low"},"input":"x"}"#
        XCTAssertEqual(try s.post("/v1/responses", body).status, 200)
        XCTAssertEqual(try s.last().body, #"{"instructions":"You are Droid.","model":"gpt-f","reasoning":{"effort":"low"},"input":"x"}"#)
    }

    // 6
    func testUpstream429KeepsItsStatusAndBody() throws {
        let s = try Stack()
        try s.next(#"{"status": 429}"#)
        let r = try s.post("/v1/chat/completions", #"{"model":"claude-f","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(r.status, 429)
        XCTAssertEqual(r.reason, "Too Many Requests")
        let e = try XCTUnwrap(r.json?["error"])
        XCTAssertEqual(e["message"], "Factory returned 429")
        XCTAssertEqual(e["type"], "rate_limit_error")
        XCTAssertEqual(e["upstream"]?["error"]?["type"], "rate_limit_error", "the upstream body, as JSON: \(r.bodyText)")
    }

    // 7
    func testA401TriggersOneRefreshAndRetry() throws {
        let s = try Stack()
        XCTAssertEqual(try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        let before = try XCTUnwrap(try s.last().headers["authorization"])
        // Factory stops accepting the current access token.
        _ = try request(s.workosPort, "POST", "/_fake/revoke-access", body: "{}")
        usleep(400_000)   // fake-factory trusts its list of valid tokens for ~200 ms
        let r = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"again"}]}"#)
        XCTAssertEqual(r.status, 200, r.bodyText)
        let after = try XCTUnwrap(try s.last().headers["authorization"])
        XCTAssertNotEqual(before, after, "retried with a fresh token")
        XCTAssertTrue(s.up.waitFor("Factory answered 401"), s.up.text)
    }

    func testTokenRotationDuringALongStreamDoesNotBreakIt() throws {
        let s = try Stack()
        let c = try RawHTTP(port: s.edgePort)
        let body = #"{"model":"claude-f","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        try s.next(#"{"events": 10, "event_delay_ms": 150}"#)
        try c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(try c.waitFor("\"content\":", timeout: 10))
        // Rotate the token mid-stream: authd refreshes and pushes the new one to edged.
        let authd = try IPCClient(path: s.dir.path + "/.droidgate/run/authd.sock", role: "test")
        let fresh = try authd.call("token.refresh", timeout: 30).result["token"]?.stringValue
        authd.close()
        XCTAssertNotNil(fresh)
        XCTAssertNotNil(try c.waitFor("data: [DONE]", timeout: 15), c.received)
        // The next request already uses the rotated token.
        XCTAssertEqual(try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertEqual(try s.last().headers["authorization"], "Bearer " + (fresh ?? ""))
    }

    // 8
    func testTier3PassesTheClientsAuthorizationUnchanged() throws {
        let s = try Stack(env: [:], withWorkOS: false)
        let r = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#,
                           headers: ["Authorization": "Bearer client-own-factory-key"])
        XCTAssertEqual(r.status, 200, r.bodyText)
        XCTAssertEqual(try s.last().headers["authorization"], "Bearer client-own-factory-key")
        let none = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(none.status, 401)
        XCTAssertTrue(none.json?["error"]?["message"]?.stringValue?.contains("droidgate login") == true, none.bodyText)
    }

    /// Tier 3 passes the client's own credential to Factory, but never
    /// droidgate's client key: that one answers 401 naming what it is.
    func testTheClientsDroidgateKeyNeverGoesToFactory() throws {
        let s = try Stack(env: [:], withWorkOS: false, clientKey: "sk-droidgate-client")
        let before = try s.recorded().count
        let r = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#,
                           headers: ["Authorization": "Bearer sk-droidgate-client"])
        XCTAssertEqual(r.status, 401, r.bodyText)
        XCTAssertTrue(r.json?["error"]?["message"]?.stringValue?.contains("droidgate client key") == true, r.bodyText)
        XCTAssertEqual(try s.recorded().count, before, "nothing reached Factory")
        // The droidgate key in x-api-key lets the request in; a Factory key in Authorization still passes.
        let ok = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#,
                            headers: ["x-api-key": "sk-droidgate-client", "Authorization": "Bearer client-own-factory-key"])
        XCTAssertEqual(ok.status, 200, ok.bodyText)
        XCTAssertEqual(try s.last().headers["authorization"], "Bearer client-own-factory-key")
        XCTAssertFalse(try s.recorded().description.contains("sk-droidgate-client"))
    }

    /// `fast: true` as droid2api does it: the fast-mode beta for Anthropic-type
    /// models, `service_tier: priority` for OpenAI-type ones (spliced on the
    /// pass-through, set in the translation) unless the client chose a tier.
    /// And the Google route's x-client-version, from the user agent.
    func testFastModelsAndTheGoogleClientVersionAtFactory() throws {
        let s = try Stack()
        XCTAssertEqual(try s.post("/v1/messages", #"{"model":"claude-fast","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertTrue(try s.last().headers["anthropic-beta"]?.contains("fast-mode-2026-02-01") == true)
        XCTAssertEqual(try s.post("/v1/responses", #"{"model":"gpt-fast","input":"hi"}"#).status, 200)
        XCTAssertEqual(try s.last().body, #"{"instructions":"You are Droid.","service_tier":"priority","model":"gpt-fast","input":"hi"}"#)
        XCTAssertEqual(try s.post("/v1/responses", #"{"model":"gpt-fast","service_tier":"flex","input":"hi"}"#).status, 200)
        XCTAssertTrue(try s.last().body.contains(#""service_tier":"flex""#))
        XCTAssertFalse(try s.last().body.contains("priority"))
        XCTAssertEqual(try s.post("/v1/chat/completions", #"{"model":"gpt-fast","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertEqual(try JSONValue(parsing: s.last().body)["service_tier"], "priority")
        XCTAssertEqual(try s.post("/v1/chat/completions", #"{"model":"gemini-f","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertEqual(try s.last().headers["x-client-version"], "9.9.9")
        // Not fast: neither.
        XCTAssertEqual(try s.post("/v1/messages", #"{"model":"claude-f","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertFalse(try s.last().headers["anthropic-beta"]?.contains("fast-mode") == true)
    }

    /// `factory.userAgent: "auto"` follows Factory CLI's LATEST file; until it
    /// is read (or when it cannot be), the built-in version, never a wait.
    func testTheUserAgentFollowsTheLatestCLIVersion() throws {
        let s = try Stack(userAgent: "auto")
        XCTAssertTrue(eventually(timeout: 10) {
            (try? s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#).status) == 200
                && (try? s.last().headers["user-agent"]) == "factory-cli/0.91.7"
        }, (try? s.last().headers["user-agent"]) ?? "-")
        XCTAssertEqual(try s.post("/v1/chat/completions", #"{"model":"gemini-f","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertEqual(try s.last().headers["x-client-version"], "0.91.7")
        // LATEST unreachable: the built-in version, and requests are not held.
        let dead = freePort()
        let t = try Stack(userAgent: "auto", latestVersionPort: dead)
        let started = Date()
        XCTAssertEqual(try t.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#).status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(try t.last().headers["user-agent"], "factory-cli/0.84.0")
    }

    func testGoogleAndCommonThroughChat() throws {
        let s = try Stack()
        let g = try s.post("/v1/chat/completions", #"{"model":"gemini-f","messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(g.status, 200, g.bodyText)
        XCTAssertEqual(g.json?["choices"]?[0]?["message"]?["content"], "Hello from the fake backend.")
        let sentG = try JSONValue(parsing: try s.last().body)
        XCTAssertEqual(sentG["systemInstruction"]?["parts"]?[0]?["text"], "You are Droid.")
        let c = try s.post("/v1/chat/completions", #"{"model":"chat-f","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(c.status, 200)
        XCTAssertEqual(try s.last().body, #"{"model":"chat-f","messages":[{"role":"system","content":"You are Droid."},{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(try s.last().path, "/api/llm/o/v1/chat/completions")
    }

    /// edged's resident memory, in bytes.
    static func rss(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return -1 }
        return kb * 1024
    }

    /// A client that stops reading a Factory stream (#27). The transfer pauses
    /// (libcurl stops reading Factory's socket) while the client's socket is
    /// full, and goes on when it drains: the client gets the whole 64 MiB
    /// stream, and edged holds no more than its high-water mark meanwhile.
    /// Before (URLSession cannot pause a transfer) edged queued 16 MiB and
    /// cut the response off.
    func testAClientThatStopsReadingAFactoryStreamGetsItWholeAndEdgedDoesNotBuffer() throws {
        let s = try Stack()
        let pid = Int32(try XCTUnwrap(try request(s.edgePort, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue))
        XCTAssertEqual(try s.post("/v1/messages", #"{"model":"claude-f","max_tokens":10,"messages":[{"role":"user","content":"warm"}]}"#).status, 200)
        let idle = Self.rss(pid)
        try s.next(#"{"events": 2048, "size": 67108864}"#)   // 64 MiB of text in 32 KiB deltas
        let c = try RawHTTP(port: s.edgePort)
        let body = #"{"model":"claude-f","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send(messagesPOST(body))
        // Read nothing for 3 s: edged pauses the transfer instead of queueing Factory's bytes.
        var peak = idle
        for _ in 0..<30 {
            usleep(100_000)
            peak = max(peak, Self.rss(pid))
        }
        XCTAssertFalse(s.up.text.contains("client not reading"), "nothing was cut off")
        XCTAssertLessThan(peak - idle, 12 << 20, "edged grew by \((peak - idle) >> 20) MiB while the client read nothing")
        // Then read it all: complete, with the chunked terminator.
        XCTAssertTrue(try c.readUntil(endsWith: "\r\n0\r\n\r\n", timeout: 120), "the whole stream arrives, terminated: \(c.receivedCount) bytes")
        XCTAssertGreaterThan(c.receivedCount, 64 << 20)
        XCTAssertTrue(String(decoding: c.receivedBytes.suffix(400), as: UTF8.self).contains("event: message_stop"))
        XCTAssertEqual(try request(s.edgePort, "GET", "/healthz")?.status, 200)
    }

    /// A slow client (#27): it reads a 64 MiB Factory stream at 256 KiB/s (4
    /// minutes; 2 MiB in the quick mode). It gets the stream whole, and edged's
    /// memory stays within a few MiB of idle all the while: the transfer
    /// advances only as fast as the client drains its socket.
    func testASlowReaderGetsAWholeFactoryStreamWhileEdgedStaysNearIdle() throws {
        let s = try Stack()
        let pid = Int32(try XCTUnwrap(try request(s.edgePort, "GET", "/healthz")?.json?["edged"]?["pid"]?.intValue))
        XCTAssertEqual(try s.post("/v1/messages", #"{"model":"claude-f","max_tokens":10,"messages":[{"role":"user","content":"warm"}]}"#).status, 200)
        let idle = Self.rss(pid)
        let size = TestScale.rounds(64, quick: 2) << 20
        try s.next(#"{"events": \#(size >> 15), "size": \#(size)}"#)   // 32 KiB deltas
        let c = try RawHTTP(port: s.edgePort)
        let body = #"{"model":"claude-f","stream":true,"max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#
        try c.send(messagesPOST(body))
        var peak = idle
        let whole = try c.readPaced(bytesPerSecond: 256 << 10, until: "\r\n0\r\n\r\n", timeout: Double(size >> 18) * 1.5 + 30) {
            peak = max(peak, Self.rss(pid))
        }
        XCTAssertTrue(whole, "the whole stream arrives, terminated: \(c.receivedCount) of over \(size) bytes")
        XCTAssertGreaterThan(c.receivedCount, size)
        XCTAssertTrue(String(decoding: c.receivedBytes.suffix(400), as: UTF8.self).contains("event: message_stop"))
        XCTAssertLessThan(peak - idle, 8 << 20, "edged grew by \((peak - idle) >> 20) MiB while a client read \(size >> 20) MiB at 256 KiB/s")
        XCTAssertFalse(s.up.text.contains("client not reading"), "nothing was cut off")
    }

    /// A real client's pool: one kept-alive connection carries every kind of
    /// Factory answer in turn — a pass-through reply with its length, a
    /// translated reply, translated and passed-through streams (chunked) —
    /// and then two pipelined requests; each answer is whole and the
    /// connection stays open for the next (nothing is retried).
    func testOneKeptAliveConnectionCarriesEveryKindOfFactoryAnswer() throws {
        let s = try Stack()
        let c = try RawHTTP(port: s.edgePort)
        func req(_ path: String, _ body: String) -> String {
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }
        let turns: [(String, String, String)] = [
            ("/v1/messages", #"{"model":"claude-f","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#, "\"type\":\"message\""),
            ("/v1/chat/completions", #"{"model":"claude-f","messages":[{"role":"user","content":"hi"}]}"#, "chat.completion"),
            ("/v1/chat/completions", #"{"model":"claude-f","stream":true,"messages":[{"role":"user","content":"hi"}]}"#, "[DONE]"),
            ("/v1/messages", #"{"model":"claude-f","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#, "message_stop"),
            ("/v1/chat/completions", #"{"model":"gpt-f","messages":[{"role":"user","content":"hi"}]}"#, "chat.completion"),
        ]
        for (path, body, marker) in turns {
            try c.send(req(path, body))
            let r = try XCTUnwrap(try c.readResponse(), "\(path) \(body)")
            XCTAssertEqual(r.status, 200, r.bodyText)
            XCTAssertTrue(r.bodyText.contains(marker), "\(path): \(r.bodyText.prefix(300))")
            XCTAssertNil(r.header("Connection"), "the connection is kept: \(r.headers)")
        }
        // Two requests in one write: both answered, in order, on the same connection.
        try c.send(req(turns[0].0, turns[0].1) + req(turns[1].0, turns[1].1))
        let first = try XCTUnwrap(try c.readResponse()), second = try XCTUnwrap(try c.readResponse())
        XCTAssertTrue(first.bodyText.contains(turns[0].2) && second.bodyText.contains(turns[1].2), "\(first.bodyText) \(second.bodyText)")
        XCTAssertFalse(c.closedByPeer)
        XCTAssertEqual(try s.recorded().count, turns.count + 2, "every request reached Factory once")
    }

    /// A redirect from Factory is never followed: the bearer would go with it.
    func testARedirectFromFactoryIsNotFollowed() throws {
        let s = try Stack()
        let thief = try Socket.listenTCP(SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: 0))
        defer { thief.close() }
        let thiefPort = try XCTUnwrap(thief.localAddress()).port
        try s.next(#"{"redirect": {"to": "http://127.0.0.1:\#(thiefPort)/steal", "status": 307}}"#)
        let r = try s.post("/v1/chat/completions", #"{"model":"claude-f","messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(r.status, 502)
        XCTAssertEqual(r.reason, "Bad Gateway")
        let message = r.json?["error"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("307") && message.contains("never follows redirects"), message)
        // Nobody connected to the Location.
        XCTAssertFalse(try Poll.readable(thief.fd, timeoutMs: 300), "edged followed the redirect")
    }
}
