import Glibc
import IPC
import Shared

/// Reload without dropping anything: SIGHUP starts a new edged generation
/// that inherits the listening sockets (the same descriptors, so no
/// connection is refused), waits until it says it is ready, tells systemd
/// (or the dev launcher) that the main pid moved to it, then stops accepting
/// and drains its own in-flight requests and streams before exiting.
enum Generation {
    static let readyFDVariable = "DROIDGATE_READY_FD"
    static let readyTimeout = 20.0

    /// In a successor: tell the previous generation we serve now.
    static func announceReady() {
        guard let v = Environment.get(readyFDVariable), let n = Int32(v) else { return }
        Environment.unset(readyFDVariable)
        let fd = FileDescriptor(rawValue: n)
        try? fd.writeAll([0x31])
        fd.close()
    }

    /// In the running generation, on SIGHUP.
    static func handOver(host: DaemonHost, http: Socket, arguments: [String], drain: @escaping @Sendable () -> Void) {
        guard let ipc = host.ipcSocket.value, let exe = Files.executablePath() else {
            Log.error("edged: reload impossible: sockets or executable path unknown")
            return
        }
        Notify.reloading(status: "starting a new generation")
        Log.info("edged: reload: starting a new generation with the same sockets")
        let pid: pid_t
        let readyRead: FileDescriptor
        do {
            let (r, w) = try FileDescriptor.pipe()
            readyRead = r
            var env = Environment.all()
            env[readyFDVariable] = String(ListenFDs.firstFD + 2)
            for k in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID"] { env.removeValue(forKey: k) }
            var options = SpawnOptions()
            options.fdMap = [(FileDescriptor.standardInput, 0), (FileDescriptor.standardOutput, 1), (FileDescriptor.standardError, 2)]
            pid = try ListenFDs.spawn(exe, arguments: arguments, environment: env,
                                      sockets: [("http", http.fd), ("ipc", ipc.fd)], extra: [w], options: options)
            w.close()
        } catch {
            Log.error("edged: reload failed: cannot start a new generation: \(error); this one keeps serving")
            Notify.send(["READY=1", "STATUS=reload failed: \(error)"])
            return
        }
        defer { readyRead.close() }
        var byte = [UInt8](repeating: 0, count: 1)
        let woke = (try? Poll.readable(readyRead, timeoutMs: Int32(readyTimeout * 1000))) ?? false
        let ready = woke && ((try? byte.withMutableBytes { (b) throws(SystemError) in try readyRead.read(into: b) }) ?? 0) == 1
        guard ready else {
            let why = woke ? "exited before becoming ready (see its log line above: a config error?)" : "did not become ready within \(Int(readyTimeout)) s"
            Log.error("edged: reload failed: the new generation (pid \(pid)) \(why); this one keeps serving")
            Processes.signal(pid, SIGTERM)
            Notify.send(["READY=1", "STATUS=reload failed: new generation not ready"])
            return
        }
        Log.info("edged: generation pid \(pid) is serving; draining this one (pid \(Users.currentPID))")
        Notify.send(["MAINPID=\(pid)", "READY=1", "STATUS=handed over to pid \(pid)"])
        host.handOverAndExit(drain: drain)
    }
}
