import Foundation
import Shared
import XCTest

/// authd and edged hold tokens in memory: neither may be dumped or traced by
/// its own user. What shows from outside: the kernel makes /proc/<pid>/ of a
/// process that is not dumpable owned by root (task_dump_owner), where a
/// dumpable one's belongs to its uid; and /proc/<pid>/limits shows RLIMIT_CORE.
/// As root, the daemons run as nobody here, or root would own both kinds.
final class CoreDumpTests: XCTestCase {
    let runAs = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
    var uid: uid_t { getuid() == 0 ? 65534 : getuid() }

    func start(_ exe: String, _ args: [String], env: [String: String] = [:]) throws -> RunningProcess {
        runAs.isEmpty ? try RunningProcess(exe, args, environment: env)
                      : try RunningProcess(runAs[0], Array(runAs.dropFirst()) + [exe] + args, environment: env)
    }

    func procOwner(_ pid: Int32) throws -> uid_t { try Files.status("/proc/\(pid)/status").uid }

    func coreLimit(_ pid: Int32) throws -> String {
        let text = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
        return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2).joined(separator: " ")
    }

    func testAuthdAndEdgedAreNotDumpable() throws {
        let dir = TempDir()
        if getuid() == 0 { chown(dir.path, 65534, 65534) }
        let port = freePort()
        let config = dir.write("droidgate.json", #"{"listen": "127.0.0.1:\#(port)"}"#)
        let env = ["DROIDGATE_ROOT": dir.path, "FACTORY_API_KEY": "fk-core-test"]

        // The observable works: a process of the same user that did not opt out is its own.
        let control = try start("/bin/sleep", ["30"])
        defer { control.signal(SIGKILL) }
        XCTAssertTrue(eventually { (try? procOwner(control.pid)) == uid })

        let authd = try start(Binaries.path("authd"), ["--config", config], env: env)
        defer { authd.signal(SIGKILL) }
        XCTAssertTrue(eventually { Files.exists(dir.path + "/run/authd.sock") }, authd.text)
        let edged = try start(Binaries.path("edged"), ["--config", config], env: env)
        defer { edged.signal(SIGKILL) }
        XCTAssertTrue(eventually { (try? RawHTTP(port: port)) != nil }, edged.text)

        for (name, p) in [("authd", authd), ("edged", edged)] {
            XCTAssertEqual(try procOwner(p.pid), 0, "\(name) is dumpable: /proc/\(p.pid) belongs to uid \(uid)")
            XCTAssertEqual(try coreLimit(p.pid), "0 0", "\(name): RLIMIT_CORE soft and hard")
        }
    }
}
