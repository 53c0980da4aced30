/// The sd_notify protocol without libsystemd: one datagram of
/// newline-separated KEY=VALUE pairs to the socket named in NOTIFY_SOCKET.
/// Without NOTIFY_SOCKET (not started by systemd or the launcher) it does nothing.
public enum Notify {
    public static var socketPath: String? { Environment.get("NOTIFY_SOCKET") }

    @discardableResult
    public static func send(_ assignments: [String]) -> Bool {
        guard let path = socketPath, !path.isEmpty else { return false }
        let payload = assignments.map { $0.replacingNewlines() }.joined(separator: "\n")
        do {
            try Socket.sendDatagram(to: path, Array(payload.utf8))
            return true
        } catch {
            Log.warning("sd_notify to \(path) failed: \(error)")
            return false
        }
    }

    public static func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }
    public static func status(_ text: String) { send(["STATUS=\(text)"]) }
    public static func stopping(status: String) { send(["STOPPING=1", "STATUS=\(status)"]) }
    public static func reloading(status: String) {
        send(["RELOADING=1", "STATUS=\(status)", "MONOTONIC_USEC=\(Monotonic.nanoseconds() / 1000)"])
    }
    public static func mainPID(_ pid: Int32) { send(["MAINPID=\(pid)"]) }
    public static func watchdog() { send(["WATCHDOG=1"]) }

    /// The watchdog interval systemd asked for, if it is meant for this process.
    public static func watchdogInterval(pid: Int32) -> Double? {
        guard let usec = Environment.get("WATCHDOG_USEC").flatMap(UInt64.init), usec > 0 else { return nil }
        if let wpid = Environment.get("WATCHDOG_PID").flatMap(Int32.init), wpid != pid { return nil }
        return Double(usec) / 1e6
    }
}

extension String {
    /// sd_notify values are single-line.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
