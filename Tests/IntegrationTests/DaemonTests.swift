import Foundation
import Shared
import XCTest

/// Each daemon on its own: command line, config errors, READY, clean SIGTERM.
final class DaemonTests: XCTestCase {
    static let executables = ["authd", "edged", "supervisord", "droidgate", "fake-cli-proxy-api"]
    static let daemons = ["authd", "edged", "supervisord"]

    func testHelpAndVersionOnEveryExecutable() throws {
        for exe in Self.executables {
            let (rc, help) = try runToEnd(Binaries.path(exe), ["--help"])
            XCTAssertEqual(rc, 0, "\(exe) --help")
            XCTAssertTrue(help.lowercased().contains("usage"), "\(exe) --help: \(help)")
            let (vrc, version) = try runToEnd(Binaries.path(exe), ["--version"])
            XCTAssertEqual(vrc, 0, "\(exe) --version")
            XCTAssertTrue(version.contains(Droidgate.version), "\(exe) --version: \(version)")
        }
    }

    func testUnknownArgumentIsAnError() throws {
        for exe in Self.daemons {
            let (rc, out) = try runToEnd(Binaries.path(exe), ["--frobnicate"])
            XCTAssertEqual(rc, 2, exe)
            XCTAssertTrue(out.contains("unknown argument '--frobnicate'"), out)
        }
    }

    /// A bad config stops every daemon before it starts, with one line naming file, key and problem.
    func testBadConfigExitsNonZeroWithOneLine() throws {
        let tmp = TempDir()
        let cases: [(String, String, [String])] = [
            ("syntax.json", "{\n  \"backend\": {\"port\": }\n}", ["syntax error at line 2", "backend.port"]),
            ("unknown.json", #"{"backend": {"prot": 8318}}"#, [#"key "backend.prot""#, "unknown key"]),
            ("type.json", #"{"limits": {"maxBodyBytes": "big"}}"#, [#"key "limits.maxBodyBytes""#, "expected an integer, got string"]),
        ]
        for (name, text, expected) in cases {
            let file = tmp.write(name, text)
            for exe in Self.daemons {
                let (rc, out) = try runToEnd(Binaries.path(exe), ["--config", file], environment: ["DROIDGATE_ROOT": tmp.path + "/root"])
                XCTAssertEqual(rc, 2, "\(exe) \(name): \(out)")
                let lines = out.split(separator: "\n")
                XCTAssertEqual(lines.count, 1, "\(exe) \(name): exactly one line: \(out)")
                XCTAssertTrue(out.contains(file), "names the file: \(out)")
                for e in expected { XCTAssertTrue(out.contains(e), "\(exe) \(name): \(out) should contain \(e)") }
                XCTAssertFalse(Files.exists(tmp.path + "/root/run/\(exe).sock"), "never started half-configured")
            }
        }
    }

    /// READY over sd_notify, status over IPC, then SIGTERM → STOPPING and exit 0 within 5 s.
    func testEachDaemonNotifiesReadyAndStopsOnSIGTERM() throws {
        for exe in Self.daemons {
            let tmp = TempDir()
            let notifyPath = tmp.path + "/notify.sock"
            let notify = try Socket.bindDatagram(path: notifyPath)
            defer { notify.close() }
            let config = tmp.write("c.json", #"{"listen": "127.0.0.1:\#(freePort())"}"#)
            let p = try RunningProcess(Binaries.path(exe), ["--config", config],
                                       environment: ["NOTIFY_SOCKET": notifyPath, "DROIDGATE_ROOT": tmp.path])
            defer { p.signal(SIGKILL) }
            var messages: [String] = []
            while !messages.contains(where: { $0.contains("READY=1") }) {
                guard let d = try notify.receiveDatagram(timeoutMs: 10_000) else { break }
                messages.append(String(decoding: d, as: UTF8.self))
            }
            XCTAssertTrue(messages.contains(where: { $0.hasPrefix("READY=1\nSTATUS=") }), "\(exe): \(messages) \(p.text)")
            XCTAssertTrue(Files.exists(tmp.path + "/run/\(exe).sock"), exe)

            let started = Date()
            p.signal(SIGTERM)
            XCTAssertEqual(p.waitForExit(timeout: 5), 0, "\(exe): \(p.text)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 5)
            // STATUS= updates may come first (supervisord says "backend missing" once it has looked).
            var last: String? = nil
            while let d = try notify.receiveDatagram(timeoutMs: 1000) {
                last = String(decoding: d, as: UTF8.self)
                if last?.hasPrefix("STOPPING=1") == true { break }
            }
            XCTAssertEqual(last?.hasPrefix("STOPPING=1"), true, "\(exe): \(String(describing: last))")
            XCTAssertFalse(Files.exists(tmp.path + "/run/\(exe).sock"), "\(exe) removes its socket")
        }
    }

    func testSIGHUPReloadsAndKeepsRunningOnABadFile() throws {
        let tmp = TempDir()
        let config = tmp.write("c.json", #"{"log": {"level": "info"}}"#)
        let p = try RunningProcess(Binaries.path("authd"), ["--config", config], environment: ["DROIDGATE_ROOT": tmp.path])
        defer { p.signal(SIGKILL) }
        XCTAssertTrue(eventually { p.text.contains("ready") })
        _ = tmp.write("c.json", #"{"log": {"level": "loud"}}"#)
        p.signal(SIGHUP)
        XCTAssertTrue(eventually { p.text.contains("reload refused, keeping the running config") }, p.text)
        _ = tmp.write("c.json", #"{"log": {"level": "debug"}}"#)
        p.signal(SIGHUP)
        XCTAssertTrue(eventually { p.text.contains("config reloaded") }, p.text)
        p.signal(SIGTERM)
        XCTAssertEqual(p.waitForExit(timeout: 5), 0)
    }
}
