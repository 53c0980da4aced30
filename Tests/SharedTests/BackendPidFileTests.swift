import Foundation
import XCTest
@testable import Shared

final class BackendPidFileTests: XCTestCase {
    /// A package upgrade replaces the backend's executable under the same path while it runs:
    /// /proc/PID/exe then reads "PATH (deleted)". supervisord must still recognise (re-adopt)
    /// that process, and must not take another executable's process for it.
    func testRunningProcessStaysRecognisedAfterItsExecutableIsReplaced() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pidfile-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let exe = dir.appendingPathComponent("backend").path
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: exe)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["30"]
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        let pid = p.processIdentifier
        var stat: ProcFS.Stat?
        for _ in 0..<100 {  // until the child has exec'd (its exe is ours, not the parent's)
            if ProcFS.executable(of: pid) == exe, let s = ProcFS.stat(of: pid) { stat = s; break }
            usleep(10_000)
        }
        let start = try XCTUnwrap(stat, "the child did not start").startTime

        let record = BackendPidFile(pid: pid, startTime: start, executable: exe)
        XCTAssertTrue(record.isRunning)
        // What dpkg does: the new file under a temporary name, renamed over the old one.
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: exe + ".new")
        XCTAssertEqual(rename(exe + ".new", exe), 0)
        XCTAssertEqual(ProcFS.executable(of: pid), exe + " (deleted)")
        XCTAssertTrue(record.isRunning, "the same process, its file replaced")
        XCTAssertFalse(BackendPidFile(pid: pid, startTime: start, executable: "/bin/sleep").isRunning, "another executable")
        XCTAssertFalse(BackendPidFile(pid: pid, startTime: start &+ 1, executable: exe).isRunning, "another start time")
    }
}
