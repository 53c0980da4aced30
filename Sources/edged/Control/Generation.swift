import Glibc
import IPC
import Lifecycle
import Shared

/// Reload without dropping anything: SIGHUP starts a new edged generation
/// that inherits the listening sockets (the same descriptors, so no
/// connection is refused), waits until it says it is ready, tells systemd
/// (or the dev launcher) that the main pid moved to it, then stops accepting
/// and hands it every client connection (`ConnectionHandover`) — idle ones
/// at once, busy ones when their exchange ends — before exiting.
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
    static func handOver(host: DaemonHost, http: Socket, unix: Socket?, arguments: [String], server: EdgeServer,
                         drainTimeout: Double, finish: @escaping @Sendable () -> Void) {
        // An upgrade replaced the file we run from: start the new one at the same path.
        guard let ipc = host.ipcSocket.value, let exe = Files.executablePath().map(installedPath) else {
            Log.error("edged: reload impossible: sockets or executable path unknown")
            return
        }
        Notify.reloading(status: "starting a new generation")
        Log.info("edged: reload: starting a new generation with the same sockets")
        let pid: pid_t
        let readyRead: FileDescriptor
        let channel: Socket
        do {
            let (r, w) = try FileDescriptor.pipe()
            readyRead = r
            let (ours, theirs) = try Socket.pair()
            channel = ours
            defer { theirs.close() }
            var env = Environment.all()
            let sockets = [("http", http.fd), ("ipc", ipc.fd)] + (unix.map { [("unix", $0.fd)] } ?? [])
            env[readyFDVariable] = String(ListenFDs.firstFD + Int32(sockets.count))
            env[ConnectionHandover.fdVariable] = String(ListenFDs.firstFD + Int32(sockets.count) + 1)
            for k in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID"] { env.removeValue(forKey: k) }
            var options = SpawnOptions()
            options.fdMap = [(FileDescriptor.standardInput, 0), (FileDescriptor.standardOutput, 1), (FileDescriptor.standardError, 2)]
            pid = try ListenFDs.spawn(exe, arguments: arguments, environment: env,
                                      sockets: sockets, extra: [w, theirs.fd], options: options)
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
            channel.close()
            Notify.send(["READY=1", "STATUS=reload failed: new generation not ready"])
            return
        }
        Log.info("edged: generation pid \(pid) is serving; handing it this one's connections (pid \(Users.currentPID))")
        Notify.send(["MAINPID=\(pid)", "READY=1", "STATUS=handed over to pid \(pid)"])
        host.handOverAndExit {
            let sender = HandoverSender(channel: channel, fallback: { back in
                server.handoverFailed()
                server.adopt(back, closeMode: true)
            }, delivered: { server.context.liveConnections.subtract(1, ordering: .relaxed) })
            if !sender.open() { server.handoverFailed() }
            let left = server.handOver(to: sender, timeout: drainTimeout)
            Log.info("edged: \(sender.handedOver) connection\(sender.handedOver == 1 ? "" : "s") handed to pid \(pid)"
                + (left > 0 ? "; \(left) still busy after \(Int(drainTimeout)) s, closed now" : ""))
            channel.close()
            finish()
        }
    }

    /// /proc/self/exe of a program whose file was replaced reads "PATH (deleted)".
    static func installedPath(_ exe: String) -> String {
        exe.hasSuffix(" (deleted)") ? String(exe.dropLast(" (deleted)".count)) : exe
    }
}
