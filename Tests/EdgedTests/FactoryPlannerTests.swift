import Foundation
import XCTest
@testable import edged
import IPC
import Shared
import Translate

/// FactoryPlanner: the URL, body and headers edged sends Factory for one
/// client request (the request path end to end is FactoryTests' job).
final class FactoryPlannerTests: XCTestCase {
    func model(_ type: ModelType, fast: Bool = false, reasoning: ReasoningLevel = .auto) -> FactoryModels.Model {
        FactoryModels.Model(id: "m", type: type, provider: "prov", reasoning: reasoning, upstreamModel: "up-model", fast: fast)
    }

    func request(_ endpoint: ClientEndpoint, _ model: FactoryModels.Model, body: String, headers: [(String, String)] = [],
                 baseURL: String = "https://factory.test/") -> FactoryRequest {
        var factory = FactoryConfig()
        factory.baseURL = baseURL
        return FactoryRequest(endpoint: endpoint, model: model, body: Array(body.utf8), headers: headers, factory: factory,
                              created: 1, id: "chatcmpl-x", userAgent: "factory-cli/0.99.1")
    }

    func plan(_ r: FactoryRequest, file: StaticString = #filePath, line: UInt = #line) throws -> FactoryExchange.Plan {
        switch FactoryPlanner.plan(r, ids: RandomPool()) {
        case .success(let p): return p
        case .failure(let f):
            XCTFail("planning failed: \(f.status) \(f.message)", file: file, line: line)
            throw f
        }
    }

    func header(_ p: FactoryExchange.Plan, _ name: String) -> String? { p.headers.first { $0.0 == name }?.1 }

    static let chat = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#

    func testClientVersionIsTheFirstThreePartVersionAfterASlash() {
        XCTAssertEqual(FactoryPlanner.clientVersion(userAgent: "factory-cli/0.84.1"), "0.84.1")
        XCTAssertEqual(FactoryPlanner.clientVersion(userAgent: "a/1.2 factory-cli/1.2.3.4 (linux)"), "1.2.3")
        XCTAssertEqual(FactoryPlanner.clientVersion(userAgent: "curl/8.5"), "0.84.0")
        XCTAssertEqual(FactoryPlanner.clientVersion(userAgent: "x/1..2"), "0.84.0")
        XCTAssertEqual(FactoryPlanner.clientVersion(userAgent: ""), "0.84.0")
    }

    func testChatToAnthropicIsTranslatedWithTheAnthropicHeaders() throws {
        let p = try plan(request(.chatCompletions, model(.anthropic, fast: true), body: Self.chat,
                                 headers: [("anthropic-beta", "b1, B1,b2"), ("x-session-id", "s1")]))
        XCTAssertEqual(p.url, "https://factory.test/api/llm/a/v1/messages")
        guard case .anthropic(stream: false) = p.translation else { return XCTFail("\(p.translation)") }
        let body = try JSONValue(parsing: p.body)
        XCTAssertEqual(body["model"], "up-model")
        XCTAssertEqual(header(p, "anthropic-version"), "2023-06-01")
        XCTAssertEqual(header(p, "x-api-key"), "placeholder")
        XCTAssertEqual(header(p, "anthropic-beta"), "b1,b2,\(FactoryPlanner.fastModeBeta)", "deduplicated case-blind; the fast-mode beta added")
        XCTAssertEqual(header(p, "x-session-id"), "s1")
        XCTAssertEqual(header(p, "x-api-provider"), "prov")
        XCTAssertEqual(header(p, "user-agent"), "factory-cli/0.99.1")
        XCTAssertEqual(header(p, "accept-encoding"), "identity")
        XCTAssertNotNil(header(p, "x-assistant-message-id"))
        XCTAssertNil(header(p, "x-client-version"))
    }

    func testChatToOpenAIAsksFastModelsForThePriorityTier() throws {
        let p = try plan(request(.chatCompletions, model(.openai, fast: true), body: Self.chat))
        XCTAssertEqual(p.url, "https://factory.test/api/llm/o/v1/responses")
        guard case .responses(stream: false) = p.translation else { return XCTFail("\(p.translation)") }
        XCTAssertEqual(try JSONValue(parsing: p.body)["service_tier"], "priority")
        XCTAssertNil(header(p, "anthropic-version"))
        let slow = try plan(request(.chatCompletions, model(.openai), body: Self.chat))
        XCTAssertNil(try JSONValue(parsing: slow.body)["service_tier"])
    }

    func testGoogleCarriesTheClientVersionAndCommonPassesThrough() throws {
        let g = try plan(request(.chatCompletions, model(.google), body: Self.chat))
        XCTAssertEqual(g.url, "https://factory.test/api/llm/g/v1/generate")
        guard case .google = g.translation else { return XCTFail("\(g.translation)") }
        XCTAssertEqual(header(g, "x-client-version"), "0.99.1")

        let c = try plan(request(.chatCompletions, model(.common), body: Self.chat))
        XCTAssertEqual(c.url, "https://factory.test/api/llm/o/v1/chat/completions")
        guard case .none = c.translation else { return XCTFail("\(c.translation)") }
        XCTAssertEqual(try JSONValue(parsing: c.body)["model"], "up-model", "the model is spliced into the client's bytes")
    }

    func testMessagesPassThroughKeepsTheClientsBytesButTheModel() throws {
        let body = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
        let p = try plan(request(.messages, model(.anthropic), body: body))
        XCTAssertEqual(String(decoding: p.body, as: UTF8.self), body.replacingOccurrences(of: #""model":"m""#, with: #""model":"up-model""#))
        guard case .none = p.translation else { return XCTFail("\(p.translation)") }
        let count = try plan(request(.countTokens, model(.anthropic), body: body))
        XCTAssertEqual(count.url, "https://factory.test/api/llm/a/v1/messages/count_tokens")
    }

    func testInvalidJSONOnATranslatedRouteIsTheClientsError() {
        guard case .failure(let f) = FactoryPlanner.plan(request(.chatCompletions, model(.anthropic), body: "{nope"), ids: RandomPool()) else {
            return XCTFail("planned a body that is not JSON")
        }
        XCTAssertEqual(f.status, 400)
        XCTAssertEqual(f.type, "invalid_request_error")
    }

    func testTheClientsOwnCredentialForTier3() throws {
        let bearer = try plan(request(.messages, model(.anthropic), body: "{}", headers: [("authorization", "Bearer fk-1")]))
        XCTAssertEqual(bearer.clientAuthorization, "Bearer fk-1")
        let key = try plan(request(.messages, model(.anthropic), body: "{}", headers: [("x-api-key", "fk-2")]))
        XCTAssertEqual(key.clientAuthorization, "Bearer fk-2")
        XCTAssertNil(try plan(request(.messages, model(.anthropic), body: "{}")).clientAuthorization)
        var withheld = request(.messages, model(.anthropic), body: "{}")
        withheld.clientKeyWithheld = true
        XCTAssertTrue(try plan(withheld).clientKeyWithheld)
    }
}

/// BackendState: supervisord's report in words a client can act on.
final class BackendStateTests: XCTestCase {
    func describe(_ o: JSONObject) -> BackendState { BackendState(BackendReport(.object(o))) }

    func testEveryStateIsWorded() {
        XCTAssertEqual(BackendState(nil).description, "backend state unknown (supervisord is not reachable)")
        XCTAssertEqual(describe(["state": "missing"]).description, "cli-proxy-api is not installed")
        XCTAssertEqual(describe(["state": "missing", "message": "not on PATH"]).description, "cli-proxy-api is not installed — not on PATH")
        XCTAssertEqual(describe(["state": "starting"]).description, "the backend is starting")
        XCTAssertEqual(describe(["state": "backoff"]).description, "the backend crashed and is restarting")
        XCTAssertEqual(describe(["state": "backoff", "retryInSeconds": 4]).description, "the backend crashed and is restarting in 4 s")
        XCTAssertEqual(describe(["state": "unhealthy"]).description, "the backend stopped answering health checks and is being restarted")
        XCTAssertEqual(describe(["state": "stopped"]).description, "the backend is stopped")
        XCTAssertEqual(describe(["state": "ready"]).description, "supervisord reports the backend ready")
        XCTAssertEqual(describe(["state": "new-state"]).description, "backend state new-state")
    }

    func testAPortTakenByAnotherProcessNamesItWhenItCan() {
        XCTAssertEqual(describe(["state": "port-taken", "port": 8318, "squatterPid": 42]).description,
                       "port 8318 on 127.0.0.1 is taken by another process (pid 42), not droidgate's backend; edged sends it nothing")
        XCTAssertEqual(describe(["state": "port-taken"]).description,
                       "port ? on 127.0.0.1 is taken by another process (one droidgate cannot see), not droidgate's backend; edged sends it nothing")
    }

    func testOnlyMissingAndStoppedAreHopeless() {
        for s in ["missing", "stopped"] { XCTAssertTrue(describe(["state": .string(s)]).isHopeless, s) }
        for s in ["starting", "backoff", "unhealthy", "ready", "port-taken"] { XCTAssertFalse(describe(["state": .string(s)]).isHopeless, s) }
        XCTAssertFalse(BackendState(nil).isHopeless, "unknown: supervisord may come back")
    }
}
