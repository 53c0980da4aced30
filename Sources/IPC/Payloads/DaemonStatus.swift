import Shared

/// The members every daemon's `status` reply starts with (each daemon adds
/// its own: authd its `CredentialsReport`, supervisord and edged a
/// `BackendReport`). Read by `droidgate status`, `doctor` and `reload`.
public struct DaemonStatus: Sendable, Equatable {
    public var daemon: String
    public var version: String
    /// "running" while the daemon serves.
    public var state: String
    public var pid: Int
    public var uptimeSeconds: Int
    /// What the daemon is still waiting for before it can do its whole job.
    public var waitingFor: String?

    public static let running = "running"

    public init(daemon: String, version: String, state: String, pid: Int, uptimeSeconds: Int, waitingFor: String?) {
        self.daemon = daemon
        self.version = version
        self.state = state
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.waitingFor = waitingFor
    }

    public var members: JSONObject {
        var o: JSONObject = ["daemon": .string(daemon), "version": .string(version), "state": .string(state),
                             "pid": .int(pid), "uptimeSeconds": .int(uptimeSeconds)]
        o["waitingFor"] = waitingFor.map { .string($0) } ?? .null
        return o
    }

    /// Read from a `status` reply; nil when it lacks the common members.
    public init?(_ v: JSONValue) {
        guard let s = v["state"]?.stringValue, let p = v["pid"]?.intValue else { return nil }
        daemon = v["daemon"]?.stringValue ?? "?"
        version = v["version"]?.stringValue ?? "?"
        state = s
        pid = p
        uptimeSeconds = v["uptimeSeconds"]?.intValue ?? 0
        waitingFor = v["waitingFor"]?.stringValue
    }

    /// How `droidgate status --json` shows a daemon that did not answer.
    public static func unreachable(_ error: String) -> JSONValue {
        ["state": "down", "error": .string(error)]
    }
}
