import Glibc
import Shared

/// Under `droidgate up` the backend outlives supervisord, as under systemd
/// (`KillMode=process`): supervisord runs with `--keep-backend`, so a
/// supervisord that stops or dies leaves cli-proxy-api running and the next
/// one re-adopts it. The launcher is a subreaper, so an orphaned backend
/// becomes its child: it reaps it when it exits, and stops it — SIGTERM, the
/// backend's own grace for in-flight streams, then SIGKILL — only when the
/// whole stack stops.
enum BackendKeeper {
    static let supervisordFlag = "--keep-backend"

    /// Reaps exited children that are none of the managed daemons (an
    /// orphaned backend, a login helper), so none stays a zombie.
    static func startReaping(managed: [ManagedChild]) {
        startThread("reaper") {
            while true {
                sleepSeconds(1)
                let ours = Set(managed.compactMap(\.currentPID))
                for pid in ProcFS.zombieChildren() where !ours.contains(pid) {
                    _ = try? Processes.wait(pid, noHang: true)
                }
            }
        }
    }

    /// Stops the backend supervisord recorded in `identityFile` (if it is
    /// still that process: same pid and start time; a wrapper script may have
    /// exec'd the real program since).
    static func stop(identityFile: String, grace: Double) {
        guard let backend = BackendIdentity.read(identityFile), backend.isSameProcess else { return }
        Log.info("droidgate up: stopping the backend (pid \(backend.pid)); in-flight streams get up to \(Int(grace)) s")
        Processes.signal(backend.pid, SIGTERM)
        if !waitForEnd(backend.pid, seconds: grace) {
            Log.warning("droidgate up: the backend (pid \(backend.pid)) did not stop within \(Int(grace)) s; sending SIGKILL")
            Processes.signal(backend.pid, SIGKILL)
            _ = waitForEnd(backend.pid, seconds: 5)
        }
        Files.remove(identityFile)
    }

    /// Until the process is gone: reaped by us when it is our child (an
    /// orphan we inherited), else no longer in /proc or a zombie of another
    /// parent. A process on its way out loses /proc/PID/exe before it turns
    /// into a zombie, so "exe unreadable" is not "gone".
    private static func waitForEnd(_ pid: pid_t, seconds: Double) -> Bool {
        let deadline = Monotonic.seconds() + seconds
        while true {
            guard let st = ProcFS.stat(of: pid) else { return true }
            if st.parent == Users.currentPID {
                do {
                    if try Processes.wait(pid, noHang: true) != nil { return true }
                } catch {
                    return true   // ECHILD: the reaper thread took it
                }
            } else if st.state == "Z" || st.state == "X" {
                return true
            }
            if Monotonic.seconds() >= deadline { return false }
            sleepSeconds(0.02)
        }
    }
}
