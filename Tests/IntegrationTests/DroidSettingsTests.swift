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

    func testInstallUninstallReinstallKeepsEverythingElseByteIdentical() throws {
        let dir = TempDir()
        let path = dir.write("settings.json", fixture)
        let (rc, out) = try droid(["install", "--settings", path], dir)
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
        XCTAssertEqual(sonnet["baseUrl"], "http://127.0.0.1:8317")
        XCTAssertEqual(sonnet["provider"], "anthropic")
        XCTAssertEqual(sonnet["enableThinking"], true)
        XCTAssertEqual(sonnet["supportedReasoningEfforts"], ["low", "medium", "high"])
        XCTAssertEqual(sonnet["defaultReasoningEffort"], "medium")
        XCTAssertEqual(sonnet["apiKey"], "droidgate-local")
        XCTAssertNotNil(sonnet["index"]?.intValue)
        XCTAssertEqual(ours.first { $0["model"] == "gpt-5" }?["baseUrl"], "http://127.0.0.1:8317/v1")
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
        XCTAssertEqual(try droid(["install", "--settings", path], dir).0, 0)
        XCTAssertEqual(try droid(["install", "--settings", path], dir).0, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), installed)
        let (src, status) = try droid(["status", "--settings", path], dir)
        XCTAssertEqual(src, 0)
        XCTAssertEqual(status.split(separator: "\n").count, DroidModel.defaults.count, status)
    }

    func testMissingFileIsCreatedAndAFileWithoutCustomModelsGetsTheKey() throws {
        let dir = TempDir()
        let fresh = dir.path + "/factory/settings.json"
        XCTAssertEqual(try droid(["install", "--settings", fresh], dir).0, 0)
        XCTAssertEqual(try Files.status(fresh).mode, 0o600)
        XCTAssertEqual(try JSONValue(parsing: try Files.read(fresh))["customModels"]?.arrayValue?.count, DroidModel.defaults.count)
        let plain = dir.write("plain.json", "{\n  \"model\": \"x\"\n}\n")
        XCTAssertEqual(try droid(["install", "--settings", plain], dir).0, 0)
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
            let (rc, out) = try droid(["install", "--settings", path], dir)
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
        XCTAssertEqual(try runToEnd(Binaries.path("droidgate"), ["droid", "install", "--settings", path, "--config", config, "--api-key-file", keyFile]).0, 0)
        XCTAssertEqual(try JSONValue(parsing: try Files.read(path))["customModels"]?[0]?["apiKey"], "sk-client")
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        guard let a = arrayValue, index < a.count else { return nil }
        return a[index]
    }
}
