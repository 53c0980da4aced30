import Foundation
import Glibc
import XCTest
@testable import Shared

/// Text from others, bounded and made harmless where it enters, and the
/// trusted-directory rule for dev roots (issue 25).
final class TrustTextTests: XCTestCase {
    func testTerminalControlsAreMadeVisible() {
        XCTAssertEqual(TerminalText.safe("plain line\n\tindented"), "plain line\n\tindented")
        XCTAssertEqual(TerminalText.safe("a\u{1b}]0;pwned\u{07}b"), "a\\x1b]0;pwned\\x07b")
        XCTAssertEqual(TerminalText.safe("x\r\u{7f}"), "x\\x0d\\x7f")
        XCTAssertEqual(TerminalText.safe("csi\u{9b}2J"), "csi\\u{9b}2J")
        XCTAssertEqual(TerminalText.safe("héllo ✓"), "héllo ✓")
    }

    func testBoundedCutsAndSaysHowMuch() {
        XCTAssertEqual("short".bounded(10), "short")
        let cut = String(repeating: "a", count: 5000).bounded(100)
        XCTAssertTrue(cut.hasPrefix(String(repeating: "a", count: 100) + "…"), cut)
        XCTAssertTrue(cut.hasSuffix("(4900 more bytes cut)"), cut)
        // A scalar cut in two is dropped, not turned into U+FFFD.
        let e = String(repeating: "é", count: 10).bounded(5)   // é is 2 bytes
        XCTAssertTrue(e.hasPrefix("éé…"), e)
        XCTAssertFalse(Array(repeating: UInt8(0x61), count: 9000).boundedText(4096).utf8.count > 4200)
    }

    func testTrustedDirectoryRefusesFoldersOthersCouldWrite() throws {
        let base = NSTemporaryDirectory() + "trust-\(UInt32.random(in: 0...UInt32.max))"
        try Files.makeDirectory(base + "/mine/run", mode: 0o755)
        defer { try? FileManager.default.removeItem(atPath: base) }
        XCTAssertNoThrow(try TrustedDirectory.check(base + "/mine/run").get())

        chmod(base + "/mine/run", 0o777)
        guard case .failure(let open) = TrustedDirectory.check(base + "/mine/run") else { return XCTFail("a 0777 run dir was trusted") }
        XCTAssertTrue(open.reason.contains("writable by every user"), open.description)
        chmod(base + "/mine/run", 0o755)

        // Group-writable: fine for a user-private group (root's own group, no members), not for another.
        chmod(base + "/mine/run", 0o775)
        if TrustedDirectory.isPrivateGroup(getegid(), of: geteuid()) {
            XCTAssertNoThrow(try TrustedDirectory.check(base + "/mine/run").get())
        }
        if geteuid() == 0 {
            chown(base + "/mine/run", 0, 4242)
            XCTAssertThrowsError(try TrustedDirectory.check(base + "/mine/run").get())
            chown(base + "/mine/run", 0, 0)
        }
        chmod(base + "/mine/run", 0o755)

        // A sticky shared folder above ours is fine (others cannot replace our entry); as the last folder it is not.
        chmod(base + "/mine", 0o1777)
        XCTAssertNoThrow(try TrustedDirectory.check(base + "/mine/run").get())
        XCTAssertThrowsError(try TrustedDirectory.check(base + "/mine").get())
        chmod(base + "/mine", 0o755)

        // A folder that belongs to someone else.
        let stranger = geteuid() == 0 ? uid_t(65534) : geteuid() &+ 1
        if geteuid() == 0 {
            chown(base + "/mine", stranger, stranger)
            guard case .failure(let theirs) = TrustedDirectory.check(base + "/mine/run") else { return XCTFail("a folder of uid \(stranger) was trusted") }
            XCTAssertTrue(theirs.reason.contains("uid \(stranger)"), theirs.description)
            XCTAssertEqual(theirs.path, try TrustedDirectory.check(base).get() + "/mine")
            // The same folder, judged from its owner's side, is fine.
            XCTAssertNoThrow(try TrustedDirectory.check(base + "/mine/run", owner: stranger).get())
        }
    }

    func testScrubRemovesTheValueFromTheEnvironment() {
        setenv("DROIDGATE_SCRUB_TEST", "s3cret", 1)
        Environment.scrub("DROIDGATE_SCRUB_TEST")
        XCTAssertNil(Environment.get("DROIDGATE_SCRUB_TEST"))
        XCTAssertFalse(Environment.all().values.contains("s3cret"))
    }
}

/// A config that holds a secret must not be readable by every user (issue 25).
final class ConfigSecretsTests: XCTestCase {
    func load(_ json: String, mode: mode_t) throws -> Config {
        let path = NSTemporaryDirectory() + "cfg-\(UInt32.random(in: 0...UInt32.max)).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { Files.remove(path) }
        chmod(path, mode)
        return try ConfigLoader.load(path: path, environment: [:])
    }

    func testASecretInAWorldReadableFileIsRefusedNamingTheKey() throws {
        let proxied = #"{"network": {"proxies": ["http://alice:s3cret@127.0.0.1:3128"]}}"#
        XCTAssertThrowsError(try load(proxied, mode: 0o644)) { error in
            let e = error as? ConfigError
            XCTAssertEqual(e?.key, "network.proxies[0]")
            XCTAssertTrue(e?.problem.contains("mode 644") == true, "\(error)")
            XCTAssertTrue(e?.problem.contains("chmod 0640") == true, "\(error)")
            XCTAssertFalse("\(error)".contains("s3cret"), "the error repeats the secret")
        }
        XCTAssertNoThrow(try load(proxied, mode: 0o640))
        XCTAssertNoThrow(try load(proxied, mode: 0o600))

        let keyed = #"{"backend": {"extraConfig": {"claude-api-key": [{"api-key": "sk-ant-x", "base-url": "http://127.0.0.1:1"}], "debug": true}}}"#
        XCTAssertThrowsError(try load(keyed, mode: 0o644)) { XCTAssertEqual(($0 as? ConfigError)?.key, "backend.extraConfig.claude-api-key[0].api-key") }
        let dsn = #"{"backend": {"extraConfig": {"something": "postgres://u:pw@db/x"}}}"#
        XCTAssertThrowsError(try load(dsn, mode: 0o604)) { XCTAssertEqual(($0 as? ConfigError)?.key, "backend.extraConfig.something") }
    }

    func testAFileWithoutSecretsMayBeWorldReadable() throws {
        XCTAssertNoThrow(try load(#"{"network": {"proxies": ["http://127.0.0.1:3128"]}, "backend": {"extraConfig": {"debug": true, "proxy-url": "http://proxy:8080"}}}"#, mode: 0o644))
    }
}
