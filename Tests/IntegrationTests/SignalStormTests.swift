import Foundation
import Shared
import XCTest

/// Signals are never lost: SIGTERM at any moment from the daemon's first
/// instruction to well after READY ends it with status 0 within 2 s, and a
/// SIGHUP during start-up is a reload, never a death. (Dispatch signal
/// sources with SIG_IGN lost a SIGTERM that reached a thread before they
/// existed: authd was still running 5 s later.)
final class SignalStormTests: XCTestCase {
    static let runsPerDaemon = TestScale.rounds(100, quick: 10)
    static let parallel = 4

    /// "From exec": the moment the daemon's main has blocked the signals
    /// (visible in /proc/PID/status). Before that only the dynamic loader runs,
    /// where the kernel's default action — death by the signal — still applies.
    static func signalsBlocked(_ pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") }),
              let mask = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(SIGTERM - 1)) != 0 && mask & (1 << UInt64(SIGHUP - 1)) != 0
    }

    struct Outcome: Sendable { let ok: Bool; let detail: String }

    /// Started with posix_spawn, output to a file: Foundation's Process.run
    /// crashed (memmove on a bad pointer) when several threads launched
    /// processes and closed descriptors at once, as this storm does.
    final class Daemon: @unchecked Sendable {
        let pid: pid_t
        let log: String
        private var status: ExitStatus? = nil

        init(_ exe: String, _ arguments: [String], root: String) throws {
            log = root + "/output.log"
            var env = ProcessInfo.processInfo.environment
            for k in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "DROIDGATE_LISTEN"] { env[k] = nil }
            env["DROIDGATE_ROOT"] = root
            let out = try FileDescriptor.open(log, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
            let devNull = try FileDescriptor.open("/dev/null", O_RDONLY)
            defer { out.close(); devNull.close() }
            var options = SpawnOptions()
            options.fdMap = [(devNull, 0), (out, 1), (out, 2)]
            pid = try Spawn.run(exe, arguments: arguments, environment: env, options: options)
        }

        var text: String { (try? Files.read(log)).map { String(decoding: $0, as: UTF8.self) } ?? "" }

        var isRunning: Bool {
            if status == nil { status = (try? Processes.wait(pid, noHang: true)) ?? nil }
            return status == nil
        }

        func signal(_ sig: Int32) { kill(pid, sig) }

        /// The exit status within `timeout`, or nil if it still runs.
        func waitForExit(timeout: Double) -> ExitStatus? {
            let deadline = Date().addingTimeInterval(timeout)
            while isRunning && Date() < deadline { usleep(5_000) }
            return status
        }

        deinit {
            if isRunning {
                kill(pid, SIGKILL)
                _ = try? Processes.wait(pid)
            }
        }
    }

    static func start(_ exe: String, in dir: TempDir) throws -> Daemon {
        let config = dir.write("c.json", #"{"listen": "127.0.0.1:\#(freePort())", "backend": {"command": "/nonexistent/cli-proxy-api"}}"#)
        return try Daemon(Binaries.path(exe), ["--config", config], root: dir.path)
    }

    /// SIGTERM after a random delay (0-600 ms) from the signals being blocked.
    static func terminateRun(_ exe: String) -> Outcome {
        let dir = TempDir()
        guard let p = try? start(exe, in: dir) else { return Outcome(ok: false, detail: "cannot start \(exe)") }
        defer { p.signal(SIGKILL) }
        guard eventually(timeout: 5, { signalsBlocked(p.pid) || !p.isRunning }) else {
            return Outcome(ok: false, detail: "\(exe) never blocked its signals: \(p.text)")
        }
        let delay = UInt32.random(in: 0...600_000)
        usleep(delay)
        p.signal(SIGTERM)
        let sent = Date()
        let status = p.waitForExit(timeout: 2)
        let took = Date().timeIntervalSince(sent)
        if status == .exited(0) { return Outcome(ok: true, detail: "") }
        return Outcome(ok: false, detail: "\(exe): SIGTERM \(delay / 1000) ms after start: \(status.map { "\($0)" } ?? "still running") after \(String(format: "%.2f", took)) s\n\(p.text)")
    }

    /// SIGHUP during start-up: the daemon comes up anyway and still stops cleanly.
    static func reloadRun(_ exe: String) -> Outcome {
        let dir = TempDir()
        guard let p = try? start(exe, in: dir) else { return Outcome(ok: false, detail: "cannot start \(exe)") }
        // edged answers SIGHUP with a new generation, which p does not track.
        defer { p.signal(SIGKILL); killProcesses(mentioning: dir.path) }
        guard eventually(timeout: 5, { signalsBlocked(p.pid) || !p.isRunning }) else {
            return Outcome(ok: false, detail: "\(exe) never blocked its signals: \(p.text)")
        }
        let delay = UInt32.random(in: 0...150_000)
        usleep(delay)
        p.signal(SIGHUP)
        if exe == "edged" {
            // edged's SIGHUP is a reload: a new generation takes over and this one exits 0.
            guard eventually(timeout: 10, { p.text.components(separatedBy: " ready: ").count >= 3 }) else {
                return Outcome(ok: false, detail: "edged: SIGHUP \(delay / 1000) ms after start: no new generation: \(p.text)")
            }
            guard p.waitForExit(timeout: 5) == .exited(0) else {
                return Outcome(ok: false, detail: "edged: the old generation did not exit 0 after handing over: \(p.text)")
            }
            return Outcome(ok: true, detail: "")
        }
        guard eventually(timeout: 10, { p.text.contains(" ready: ") || !p.isRunning }), p.isRunning else {
            return Outcome(ok: false, detail: "\(exe): SIGHUP \(delay / 1000) ms after start killed it or it never got ready: \(p.text)")
        }
        p.signal(SIGTERM)
        guard p.waitForExit(timeout: 2) == .exited(0) else { return Outcome(ok: false, detail: "\(exe): no clean stop after a start-up SIGHUP: \(p.text)") }
        return Outcome(ok: true, detail: "")
    }

    func storm(_ run: @escaping @Sendable (String) -> Outcome) {
        for exe in DaemonTests.daemons {
            let failures = Locked<[String]>([])
            let next = Locked(0)
            let group = DispatchGroup()
            for _ in 0..<Self.parallel {
                group.enter()
                DispatchQueue.global().async {
                    defer { group.leave() }
                    while true {
                        let i = next.withLock { n -> Int in n += 1; return n }
                        if i > Self.runsPerDaemon { return }
                        let o = run(exe)
                        if !o.ok { failures.withLock { $0.append(o.detail) } }
                    }
                }
            }
            group.wait()
            let f = failures.value
            XCTAssertTrue(f.isEmpty, "\(exe): \(f.count) of \(Self.runsPerDaemon) runs failed; first: \(f.first ?? "")")
        }
    }

    func testSIGTERMAtAnyMomentEndsTheDaemonCleanly() { storm(Self.terminateRun) }

    func testSIGHUPDuringStartUpIsNeverADeath() { storm(Self.reloadRun) }
}
