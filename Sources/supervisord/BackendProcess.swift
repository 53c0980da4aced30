import Foundation
import Glibc
import Shared

/// The backend child: how it is started, recognised again after a
/// supervisord restart, and watched. Tracked by pid and pidfd, never by name.
struct BackendProcess: Sendable {
    let pid: pid_t
    let pidfd: Pidfd?
    /// Start time in clock ticks since boot (/proc/PID/stat field 22): with the
    /// pid, it identifies this process even after the pid is reused.
    let startTime: UInt64
    let executable: String
    /// Our own child (waitpid works) or adopted from a previous supervisord.
    let isOurChild: Bool
    /// backend.log's size when this child started: what it printed comes after.
    var logOffset = 0

    /// Starts `executable -config <config.yaml> [-local-model]` with a clean
    /// environment, stdin /dev/null, and stdout/stderr appended to backend.log
    /// (a file outlives supervisord, so the child never dies of SIGPIPE).
    /// `localModel` (backend.localModel): `-local-model`, the embedded catalog
    /// only. Without it, as cli-proxy-api runs by default, it fetches
    /// models.json from raw.githubusercontent.com/router-for-me/models (or
    /// models.router-for.me) at start and every 3 h, keeping the embedded one
    /// when that fails (internal/registry/model_updater.go). The flag exists
    /// since the build of 2026-03-18; older builds refuse it.
    static func spawn(executable: String, files: BackendFiles, localModel: Bool) throws -> BackendProcess {
        let strayEnv = files.workDir + "/.env"
        if Files.exists(strayEnv) {
            Log.warning("supervisord: removing a stray .env from the backend's working dir \(files.workDir)")
            Files.remove(strayEnv)
        }
        let devNull = try FileDescriptor.open("/dev/null", O_RDONLY)
        defer { devNull.close() }
        let log = try FileDescriptor.open(files.logFile, O_WRONLY | O_APPEND | O_CREAT, mode: 0o600)
        defer { log.close() }
        var options = SpawnOptions()
        options.fdMap = [(devNull, 0), (log, 1), (log, 2)]
        options.workingDirectory = files.workDir
        options.newSession = true
        let environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": files.dir,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
        ]
        let logOffset = (try? Files.status(files.logFile).size) ?? 0
        let pid = try Spawn.run(executable, arguments: ["-config", files.configYAML] + (localModel ? [localModelFlag] : []),
                                environment: environment, options: options)
        var p = BackendProcess(pid: pid, pidfd: try? Pidfd.open(pid), startTime: startTime(of: pid) ?? 0,
                               executable: executable, isOurChild: true)
        p.logOffset = logOffset
        return p
    }

    /// A backend a previous supervisord left running (`BackendAdoption`).
    /// `executable` is only what the kernel says it runs, for display.
    static func adopt(pid: pid_t) -> BackendProcess? {
        guard let start = startTime(of: pid) else { return nil }
        return BackendProcess(pid: pid, pidfd: try? Pidfd.open(pid), startTime: start,
                              executable: executablePath(of: pid) ?? "pid \(pid)", isOurChild: false)
    }

    static let localModelFlag = "-local-model"

    /// Did this child exit because its build predates `-local-model`? Go's
    /// flag package answers an unknown flag with exit status 2 and
    /// `flag provided but not defined: -local-model` on stderr.
    func refusedLocalModel(status: ExitStatus?, files: BackendFiles) -> Bool {
        guard status == .exited(2), let fd = try? FileDescriptor.open(files.logFile, O_RDONLY) else { return false }
        defer { fd.close() }
        var tail = [UInt8](repeating: 0, count: 16 << 10)
        let n = tail.withUnsafeMutableBytes { b in (try? fd.pread(into: b, at: logOffset)) ?? 0 }
        let text = String(decoding: tail[0..<n], as: UTF8.self)
        return text.contains("flag provided but not defined: \(Self.localModelFlag)")
    }

    /// Still running (and still the same process, not a zombie)?
    var isAlive: Bool {
        guard let (state, start) = Self.stat(of: pid) else { return false }
        return start == startTime && state != "Z" && state != "X"
    }

    /// Waits up to `seconds` for the process to end; returns how it ended
    /// (nil: still running). Adopted processes end with an unknown status.
    func waitForExit(seconds: Double, alsoWatching extra: FileDescriptor? = nil) -> (exited: Bool, status: ExitStatus?, woken: Bool) {
        var fds: [FileDescriptor] = []
        if let pidfd { fds.append(pidfd.fd) }
        if let extra { fds.append(extra) }
        if fds.isEmpty || pidfd == nil {
            // No pidfd: poll liveness.
            let ready = (try? Poll.anyReadable(fds, timeoutMs: Int32(min(seconds, 0.25) * 1000))) ?? []
            let woken = extra.map { e in ready.contains(e) } ?? false
            return (!isAlive, reap(), woken)
        }
        let ready = (try? Poll.anyReadable(fds, timeoutMs: Int32(seconds * 1000))) ?? []
        let woken = extra.map { ready.contains($0) } ?? false
        guard let pidfd, ready.contains(pidfd.fd) else { return (false, nil, woken) }
        return (true, reap(), woken)
    }

    private func reap() -> ExitStatus? {
        guard isOurChild else { return nil }
        return try? Processes.wait(pid, noHang: true)
    }

    func signal(_ sig: Int32) {
        if let pidfd { try? pidfd.signal(sig) } else if Self.startTime(of: pid) == startTime { Processes.signal(pid, sig) }
    }

    /// SIGTERM, up to `grace` seconds for in-flight streams, then SIGKILL.
    func stop(grace: Double) {
        signal(SIGTERM)
        let deadline = Monotonic.seconds() + grace
        while Monotonic.seconds() < deadline {
            if waitForExit(seconds: min(0.2, max(0.01, deadline - Monotonic.seconds()))).exited || !isAlive { return }
        }
        Log.warning("supervisord: backend pid \(pid) did not stop within \(grace) s; sending SIGKILL")
        signal(SIGKILL)
        _ = waitForExit(seconds: 5)
    }

    func close() { pidfd?.close() }

    static func startTime(of pid: pid_t) -> UInt64? { ProcFS.stat(of: pid)?.startTime }

    static func stat(of pid: pid_t) -> (state: Character, startTime: UInt64)? {
        ProcFS.stat(of: pid).map { ($0.state, $0.startTime) }
    }

    static func executablePath(of pid: pid_t) -> String? { ProcFS.executable(of: pid) }
}
