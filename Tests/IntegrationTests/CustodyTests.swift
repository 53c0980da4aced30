import Foundation
import IPC
import Shared
import XCTest

/// Token custody: what authd does with the refresh token when WorkOS, the disk,
/// Factory or the operator misbehave, and what leaves the daemons' memory.
final class CustodyTests: XCTestCase {
    typealias Harness = AuthdTests.Harness

    func startedWithToken(_ seed: String) throws -> Harness {
        let h = try Harness()
        try h.seed(seed)
        try h.startAuthd(env: ["DROID_REFRESH_KEY": seed])
        XCTAssertTrue(eventually { (try? h.call("token.get"))?["token"]?.stringValue != nil }, h.authd!.text)
        return h
    }

    // MARK: 6. unsafe state files

    func testUnsafeStateFilesExitWithStatus2AndOneLine() throws {
        let h = try Harness()
        try FileManager.default.createDirectory(atPath: h.stateDir, withIntermediateDirectories: true)
        chmod(h.stateDir, 0o700)
        _ = h.dir.write("state/auth/tokens.json", #"{"refresh_token": "x"}"#)
        chmod(h.stateDir + "/tokens.json", 0o640)
        let (rc, out) = try runToEnd(Binaries.path("authd"), ["--config", h.configPath], environment: ["DROIDGATE_ROOT": h.dir.path])
        XCTAssertEqual(rc, 2, "a configuration error: the unit's RestartPreventExitStatus=2 stops restarts; \(out)")
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, out)
        XCTAssertTrue(out.contains("has mode 640") && out.contains("fix: chmod 600 \(h.stateDir)/tokens.json"), out)
        let unit = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../systemd/droidgate-authd.service").standardized.path, encoding: .utf8)
        XCTAssertTrue(unit.contains("\nRestartPreventExitStatus=2\n"), "the unit does not restart on 2")
    }

    func assertNoTokenLeaked(_ h: Harness, file: StaticString = #filePath, line: UInt = #line) throws {
        let issued = (try h.workosState()["issued"]?.arrayValue ?? []).compactMap(\.stringValue)
        let text = h.allOutput
        for t in issued where text.contains(t) {
            XCTFail("a token appears in daemon output: \(t.prefix(12))…", file: file, line: line)
        }
    }
}
