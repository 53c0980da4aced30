import Foundation
import Shared
import XCTest

/// `droidgate droid install|uninstall|status` on real files.
final class DroidSettingsTests: XCTestCase {
    let userFile = """
    {
      // not allowed in JSON: replaced below for the valid fixture
    }
    """

    let fixture = """
    {
        "model": "claude-sonnet-4-5",
        "reasoningEffort": "high",
        "cloudSessionSync": true,
        "customModels": [
            {
                "model": "my-local-llama",
                "displayName": "Llama \\u00e9",
                "baseUrl": "http://localhost:11434/v1",
                "apiKey": "x",
                "provider": "generic-chat-completion-api"
            },
            {"model": "other", "id": "custom:mine:other", "baseUrl": "http://h", "apiKey": "k", "provider": "openai"}
        ],
        "hooks": {"PreToolUse": [{"matcher": "Bash", "command": "echo \\"hi\\""}]},
        "enableHooks": true
    }

    """

    func droid(_ args: [String], _ dir: TempDir) throws -> (Int32, String) {
        try runToEnd(Binaries.path("droidgate"), ["droid"] + args + ["--root", dir.path + "/none"])
    }

    /// A config whose listener nobody answers (no stack running), and that listener's URL.
    func noStackConfig(_ dir: TempDir) -> (path: String, base: String) {
        let port = freePort()
        return (dir.write("nostack.json", #"{"listen": "127.0.0.1:\#(port)"}"#), "http://127.0.0.1:\(port)")
    }

    func testInstallUninstallReinstallKeepsEverythingElseByteIdentical() throws {
        let dir = TempDir()
        let path = dir.write("settings.json", fixture)
        let (config, base) = noStackConfig(dir)
        let install = ["install", "--builtin", "--settings", path, "--config", config]
        let (rc, out) = try droid(install, dir)
        XCTAssertEqual(rc, 0, out)
        let installed = try String(contentsOfFile: path, encoding: .utf8)
        let v = try JSONValue(parsing: installed)
        let models = try XCTUnwrap(v["customModels"]?.arrayValue)
        XCTAssertEqual(models.count, 2 + DroidModel.defaults.count)
        XCTAssertEqual(models[0]["model"], "my-local-llama")
        XCTAssertEqual(models[1]["id"], "custom:mine:other", "user models kept in place")
        let ours = models.filter { $0["id"]?.stringValue?.hasPrefix("custom:droidgate:") == true }
        XCTAssertEqual(ours.count, DroidModel.defaults.count)
        let sonnet = try XCTUnwrap(ours.first { $0["model"] == "claude-sonnet-4-6" })
        XCTAssertEqual(sonnet["baseUrl"], .string(base))
        XCTAssertEqual(sonnet["provider"], "anthropic")
        XCTAssertEqual(sonnet["enableThinking"], true)
        XCTAssertEqual(sonnet["supportedReasoningEfforts"], ["low", "medium", "high", "max"])
        XCTAssertEqual(sonnet["defaultReasoningEffort"], "high")
        XCTAssertEqual(sonnet["apiKey"], "droidgate-local")
        XCTAssertNotNil(sonnet["index"]?.intValue)
        XCTAssertEqual(ours.first { $0["model"] == "gpt-5.5" }?["baseUrl"], .string(base + "/v1"))
        XCTAssertEqual(ours.first { $0["model"] == "kimi-k3" }?["provider"], "generic-chat-completion-api")
        XCTAssertEqual(v["hooks"]?["PreToolUse"]?.arrayValue?.count, 1)
        XCTAssertTrue(installed.hasPrefix(String(fixture.prefix(fixture.range(of: "        },\n        {\"model\": \"other\"")!.lowerBound.utf16Offset(in: fixture)))), "the text before our entries is unchanged")
        // A backup of the original was made.
        let backups = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("settings.json.droidgate-") }
        XCTAssertEqual(backups.count, 1)
        XCTAssertEqual(try String(contentsOfFile: dir.path + "/" + backups[0], encoding: .utf8), fixture)

        // Uninstall: byte-identical to the original.
        XCTAssertEqual(try droid(["uninstall", "--settings", path], dir).0, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), fixture)
        // Install twice: no duplicates, same result as once.
        XCTAssertEqual(try droid(install, dir).0, 0)
        XCTAssertEqual(try droid(install, dir).0, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), installed)
        let (src, status) = try droid(["status", "--settings", path, "--config", config], dir)
        XCTAssertEqual(src, 0)
        let lines = status.split(separator: "\n")
        XCTAssertEqual(lines.count, DroidModel.defaults.count + 1, status)
        XCTAssertFalse(status.contains("not served"), "nothing is marked when the stack cannot be asked")
        XCTAssertTrue(lines.last!.hasPrefix("Cannot ask the running stack which models it serves: no droidgate listener answers at \(base)"), status)
    }

    /// Droid orders custom models by `index`: droidgate's come after the user's
    /// own. Before, they were numbered from 0 and collided with the user's (#26).
    func testOurIndexesComeAfterTheUsersOwn() throws {
        let dir = TempDir()
        let (config, _) = noStackConfig(dir)
        func indexes(_ settings: String) throws -> (user: [Int], ours: [Int]) {
            let path = dir.write("settings.json", settings)
            let (rc, out) = try droid(["install", "--builtin", "--settings", path, "--config", config], dir)
            XCTAssertEqual(rc, 0, out)
            let models = try XCTUnwrap(try JSONValue(parsing: Array(try String(contentsOfFile: path, encoding: .utf8).utf8))["customModels"]?.arrayValue)
            let isOurs = { (m: JSONValue) in m["id"]?.stringValue?.hasPrefix("custom:droidgate:") == true }
            return (models.filter { !isOurs($0) }.compactMap { $0["index"]?.intValue }, models.filter(isOurs).compactMap { $0["index"]?.intValue })
        }
        // Two user entries without an index: ours start at 2.
        var r = try indexes(fixture)
        XCTAssertEqual(r.ours, Array(2..<(2 + DroidModel.defaults.count)))
        // A user entry at index 7: ours start at 8, and the user's stays 7.
        r = try indexes(#"{"customModels": [{"model": "m", "baseUrl": "http://h", "apiKey": "k", "provider": "openai", "index": 7}]}"#)
        XCTAssertEqual(r.user, [7])
        XCTAssertEqual(r.ours.first, 8)
        XCTAssertEqual(Set(r.ours).count, DroidModel.defaults.count)
    }

    func testMissingFileIsCreatedAndAFileWithoutCustomModelsGetsTheKey() throws {
        let dir = TempDir()
        let fresh = dir.path + "/factory/settings.json"
        XCTAssertEqual(try droid(["install", "--builtin", "--settings", fresh], dir).0, 0)
        XCTAssertEqual(try Files.status(fresh).mode, 0o600)
        XCTAssertEqual(try JSONValue(parsing: try Files.read(fresh))["customModels"]?.arrayValue?.count, DroidModel.defaults.count)
        let plain = dir.write("plain.json", "{\n  \"model\": \"x\"\n}\n")
        XCTAssertEqual(try droid(["install", "--builtin", "--settings", plain], dir).0, 0)
        let text = try String(contentsOfFile: plain, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("{\n  \"model\": \"x\",\n  \"customModels\": [\n"), text)
        XCTAssertEqual(try droid(["uninstall", "--settings", plain], dir).0, 0)
        XCTAssertEqual(try String(contentsOfFile: plain, encoding: .utf8), "{\n  \"model\": \"x\",\n  \"customModels\": []\n}\n")
    }

    func testMalformedSettingsAreRefusedAndLeftUntouched() throws {
        let dir = TempDir()
        for (name, text, reason) in [("comments.json", userFile, "not valid JSON"), ("array.json", "[1, 2]\n", "not a JSON object"),
                                     ("models.json", #"{"customModels": {"a": 1}}"#, "not an array")] {
            let path = dir.write(name, text)
            let (rc, out) = try droid(["install", "--builtin", "--settings", path], dir)
            XCTAssertEqual(rc, 1, name)
            XCTAssertTrue(out.contains("refusing to edit") && out.contains(reason), out)
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text, "\(name) untouched")
        }
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.contains(".droidgate-") }, "no backup for a refused file")
    }

    func testClientKeysNeedAnExplicitKey() throws {
        let dir = TempDir()
        let digest = SHA256.hexDigest(Array("sk-client".utf8))
        let config = dir.write("c.json", #"{"clients": {"apiKeys": ["sha256:\#(digest)"]}}"#)
        let path = dir.path + "/s.json"
        let (rc, out) = try runToEnd(Binaries.path("droidgate"), ["droid", "install", "--settings", path, "--config", config])
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(out.contains("--api-key-file"), out)
        let keyFile = dir.write("key", "sk-client\n")
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["droid", "install", "--builtin", "--settings", path, "--config", config, "--api-key-file", keyFile]).0, 0)
        XCTAssertEqual(try JSONValue(parsing: try Files.read(path))["customModels"]?[0]?["apiKey"], "sk-client")
    }

    // MARK: - Against a running stack (the fake backend behind a real edged)

    /// A stack whose fake backend reads its accounts from `auth` (config.yaml `auth-dir`).
    func stack(_ dir: TempDir, config: String) throws -> ProxyStack {
        try FileManager.default.createDirectory(atPath: dir.path + "/auth", withIntermediateDirectories: true)
        let yaml = dir.write("fake.yaml", "auth-dir: \(dir.path)/auth\n")
        return try ProxyStack(config: config, backendArgs: ["-config", yaml])
    }

    /// An enabled account file, as `cli-proxy-api -<provider>-login` writes it.
    @discardableResult
    func account(_ dir: TempDir, _ provider: String) -> String {
        try? FileManager.default.createDirectory(atPath: dir.path + "/auth", withIntermediateDirectories: true)
        return dir.write("auth/\(provider)-dev@example.com.json", #"{"type": "\#(provider)", "email": "dev@example.com", "disabled": false}"#)
    }

    /// The ids `GET /v1/models` lists on the stack's listener.
    func served(_ s: ProxyStack, key: String? = nil) throws -> [String] {
        let r = try XCTUnwrap(try request(s.edgePort, "GET", "/v1/models", headers: key.map { ["Authorization": "Bearer \($0)"] } ?? [:]))
        XCTAssertEqual(r.status, 200)
        return r.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    /// Image and video generators are served but not registered.
    func isChat(_ id: String) -> Bool { !id.contains("image") && !id.contains("imagine") && !id.hasPrefix("imagen") }

    func ours(_ path: String) throws -> [JSONValue] {
        let models = try JSONValue(parsing: try Files.read(path))["customModels"]?.arrayValue ?? []
        return models.filter { $0["id"]?.stringValue?.hasPrefix("custom:droidgate:") == true }
    }

    func droidgate(_ args: [String]) throws -> (Int32, String) {
        try runToEnd(Binaries.path("droidgate"), ["droid"] + args)
    }

    func testInstallRegistersWhatTheStackServesAndFollowsTheAccounts() throws {
        let dir = TempDir()
        account(dir, "claude")
        let s = try stack(dir, config: #"""
        "models": [{"id": "claude-opus-4-7", "upstream": "factory", "type": "anthropic"},
                   {"id": "zz-unknown-2", "upstream": "factory", "type": "common"},
                   {"id": "mystery-model-1", "upstream": "factory", "type": "common"}],
        "droid": {"models": [{"model": "mystery-model-1", "displayName": "My Mystery", "provider": "openai", "maxOutputTokens": 1234}]}
        """#)
        let config = s.dir.path + "/droidgate.json"
        let factory: Set = ["claude-opus-4-7", "zz-unknown-2", "mystery-model-1"]
        let path = dir.write("settings.json", fixture)
        let userPart = String(fixture[..<fixture.range(of: #""provider": "openai"}"#)!.upperBound])
        let tail = String(fixture[fixture.range(of: "\n    ],\n    \"hooks\"")!.lowerBound...])

        // Only a claude account: exactly what the stack serves is registered.
        let first = try served(s)
        let filtering = !first.contains { $0.hasPrefix("gpt-") || $0.hasPrefix("codex-") }
        if filtering {
            XCTAssertTrue(first.filter { !factory.contains($0) }.allSatisfy { $0.hasPrefix("claude-") }, "only claude models: \(first)")
        }
        let (rc, out) = try droidgate(["install", "--settings", path, "--config", config])
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("served by the running stack"), out)
        var installed = try ours(path)
        XCTAssertEqual(installed.compactMap { $0["model"]?.stringValue }, first.filter(isChat))
        let base = "http://127.0.0.1:\(s.edgePort)"
        let opus = try XCTUnwrap(installed.first { $0["model"] == "claude-opus-4-7" })
        XCTAssertEqual(opus["displayName"], "Claude Opus 4.7 (droidgate)")
        XCTAssertEqual(opus["provider"], "anthropic")
        XCTAssertEqual(opus["baseUrl"], .string(base))
        XCTAssertEqual(opus["maxOutputTokens"], 128000)
        XCTAssertEqual(opus["supportedReasoningEfforts"], ["low", "medium", "high", "xhigh", "max"])
        XCTAssertEqual(opus["defaultReasoningEffort"], "high")
        let unknown = try XCTUnwrap(installed.first { $0["model"] == "zz-unknown-2" })
        XCTAssertEqual(unknown["displayName"], "Zz Unknown 2 (droidgate)")
        XCTAssertEqual(unknown["provider"], "generic-chat-completion-api")
        XCTAssertEqual(unknown["baseUrl"], .string(base + "/v1"))
        XCTAssertEqual(unknown["maxOutputTokens"], 32000)
        XCTAssertEqual(unknown["enableThinking"], false)
        XCTAssertNil(unknown["supportedReasoningEfforts"])
        let mine = try XCTUnwrap(installed.first { $0["model"] == "mystery-model-1" })
        XCTAssertEqual(mine["displayName"], "My Mystery", "droid.models overrides the table")
        XCTAssertEqual(mine["provider"], "openai")
        XCTAssertEqual(mine["maxOutputTokens"], 1234)
        for m in installed where m["model"]?.stringValue?.hasPrefix("claude-") == true {
            XCTAssertEqual(m["provider"], "anthropic", "\(m)")
        }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix(userPart) && text.hasSuffix(tail), text)

        // A codex login: re-install adds its models, the user's entries and bytes stay.
        account(dir, "codex")
        if filtering {
            XCTAssertTrue(eventually(timeout: 5) { (try? served(s))?.contains { $0.hasPrefix("gpt-") || $0.hasPrefix("codex-") } == true })
        }
        let second = try served(s)
        XCTAssertTrue(Set(second).isSuperset(of: first))
        XCTAssertEqual(try droidgate(["install", "--settings", path, "--config", config]).0, 0)
        installed = try ours(path)
        XCTAssertEqual(installed.compactMap { $0["model"]?.stringValue }, second.filter(isChat))
        XCTAssertTrue(installed.contains { $0["model"]?.stringValue?.hasPrefix("gpt-") == true && $0["provider"] == "openai" }, "codex models: \(installed)")
        text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix(userPart) && text.hasSuffix(tail), text)
        let (okStatus, allServed) = try droidgate(["status", "--settings", path, "--config", config])
        XCTAssertEqual(okStatus, 0)
        XCTAssertFalse(allServed.contains("not served") || allServed.contains("Cannot ask"), allServed)

        // The claude account goes away: status marks what is no longer served.
        try FileManager.default.removeItem(atPath: dir.path + "/auth/claude-dev@example.com.json")
        if filtering {
            XCTAssertTrue(eventually(timeout: 5) { (try? served(s))?.contains { $0.hasPrefix("claude-") && !factory.contains($0) } == false })
        }
        let third = Set(try served(s))
        let (src, status) = try droidgate(["status", "--settings", path, "--config", config])
        XCTAssertEqual(src, 0, status)
        var marked = 0
        for m in installed {
            let model = try XCTUnwrap(m["model"]?.stringValue)
            let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("custom:droidgate:\(DroidSettingsTests.slug(model))  ") }, status)
            XCTAssertEqual(line.hasSuffix("  (not served by the running stack)"), !third.contains(model), String(line))
            if !third.contains(model) { marked += 1 }
        }
        if filtering { XCTAssertGreaterThan(marked, 0, status) }

        // Uninstall gives back the user's file, byte for byte.
        XCTAssertEqual(try droidgate(["uninstall", "--settings", path]).0, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), fixture)
    }

    func testStatusMarksRegisteredModelsTheStackDoesNotServe() throws {
        let dir = TempDir()
        account(dir, "claude")
        let s = try stack(dir, config: #""models": [{"id": "claude-opus-5", "upstream": "factory", "type": "anthropic"}]"#)
        let config = s.dir.path + "/droidgate.json"
        let path = dir.path + "/settings.json"
        XCTAssertEqual(try droidgate(["install", "--builtin", "--settings", path, "--config", config]).0, 0)
        let servedNow = Set(try served(s))
        let (rc, status) = try droidgate(["status", "--settings", path, "--config", config])
        XCTAssertEqual(rc, 0, status)
        let lines = status.split(separator: "\n")
        for m in DroidModel.defaults {
            let line = try XCTUnwrap(lines.first { $0.hasPrefix("custom:droidgate:\(DroidSettingsTests.slug(m.model))  ") }, status)
            XCTAssertEqual(line.hasSuffix("  (not served by the running stack)"), !servedNow.contains(m.model), String(line))
        }
        XCTAssertFalse(try XCTUnwrap(lines.first { $0.hasPrefix("custom:droidgate:claude-opus-5  ") }).contains("not served"))
        XCTAssertTrue(lines.first { $0.hasPrefix("custom:droidgate:grok-4.6  ") }?.hasSuffix("  (not served by the running stack)") == true, status)
        let unregistered = servedNow.filter { id in isChat(id) && !DroidModel.defaults.contains { $0.model == id } }
        if !unregistered.isEmpty {
            XCTAssertTrue(status.contains("The running stack also serves \(unregistered.count) models not registered here"), status)
        }
    }

    func testTheBuiltinCatalogAgreesWithTheFamilyTable() throws {
        // Served as Factory models (edged lists them), the built-in ids get the same entries as --builtin gives.
        let dir = TempDir()
        let type = ["anthropic": "anthropic", "openai": "openai", "generic-chat-completion-api": "common"]
        let models = DroidModel.defaults.map { #"{"id": "\#($0.model)", "upstream": "factory", "type": "\#(type[$0.provider]!)"}"# }
        let s = try stack(dir, config: #""models": [\#(models.joined(separator: ", "))]"#)
        let config = s.dir.path + "/droidgate.json"
        let live = dir.path + "/live.json", builtin = dir.path + "/builtin.json"
        XCTAssertEqual(try droidgate(["install", "--settings", live, "--config", config]).0, 0)
        XCTAssertEqual(try droidgate(["install", "--builtin", "--settings", builtin, "--config", config]).0, 0)
        func withoutIndex(_ v: JSONValue) -> JSONValue {
            guard var o = v.objectValue else { return v }
            o["index"] = nil
            return .object(o)
        }
        let fromTable = try ours(live).map(withoutIndex)
        let fromDefaults = try ours(builtin).map(withoutIndex)
        XCTAssertEqual(fromDefaults.count, DroidModel.defaults.count)
        for entry in fromDefaults {
            XCTAssertEqual(fromTable.first { $0["model"] == entry["model"] }, entry)
        }
    }

    func testWithoutAStackInstallStopsAndBuiltinStillWorks() throws {
        let dir = TempDir()
        let (config, base) = noStackConfig(dir)
        let path = dir.path + "/settings.json"
        let (rc, out) = try droidgate(["install", "--settings", path, "--config", config])
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("no droidgate listener answers at \(base); start it with `droidgate up` or `systemctl start droidgate.target`, or pass --builtin to register the built-in table"), out)
        XCTAssertFalse(Files.exists(path), "nothing written")
        let (brc, bout) = try droidgate(["install", "--builtin", "--settings", path, "--config", config])
        XCTAssertEqual(brc, 0, bout)
        XCTAssertEqual(try ours(path).compactMap { $0["model"]?.stringValue }, DroidModel.defaults.map(\.model))
    }

    func testTheClientKeyIsSentToTheListenerAndStatusReusesIt() throws {
        let dir = TempDir()
        account(dir, "claude")
        let digest = SHA256.hexDigest(Array("sk-client".utf8))
        let s = try stack(dir, config: #""clients": {"apiKeys": ["sha256:\#(digest)"]}"#)
        let config = s.dir.path + "/droidgate.json"
        let path = dir.path + "/settings.json"
        let wrong = dir.write("wrong", "sk-wrong\n")
        let (rc, out) = try droidgate(["install", "--settings", path, "--config", config, "--api-key-file", wrong])
        XCTAssertEqual(rc, 1, out)
        XCTAssertTrue(out.contains("refused the client key (HTTP 401)"), out)
        let key = dir.write("key", "sk-client\n")
        XCTAssertEqual(try droidgate(["install", "--settings", path, "--config", config, "--api-key-file", key]).0, 0)
        let installed = try ours(path)
        XCTAssertEqual(installed.compactMap { $0["model"]?.stringValue }, try served(s, key: "sk-client").filter(isChat))
        XCTAssertTrue(installed.allSatisfy { $0["apiKey"] == "sk-client" })
        let (src, status) = try droidgate(["status", "--settings", path, "--config", config])
        XCTAssertEqual(src, 0)
        XCTAssertFalse(status.contains("Cannot ask") || status.contains("not served"), status)
    }

    /// DroidSettings.slug, as the entries' ids use it.
    static func slug(_ model: String) -> String {
        String(model.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "-" })
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        guard let a = arrayValue, index < a.count else { return nil }
        return a[index]
    }
}
