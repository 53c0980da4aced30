import Glibc

/// `backend.pid` in the backend state dir: which process is the running
/// cli-proxy-api. Written by supervisord when it starts one; read by the next
/// supervisord to re-adopt it, and by `droidgate up` to stop it when the
/// whole stack stops. Pid, start time and executable together name one
/// process, even after its pid is reused.
public struct BackendPidFile: Sendable, Equatable {
    public let pid: pid_t
    public let startTime: UInt64
    public let executable: String

    public init(pid: pid_t, startTime: UInt64, executable: String) {
        self.pid = pid
        self.startTime = startTime
        self.executable = executable
    }

    public static func read(_ path: String) -> BackendPidFile? {
        guard let bytes = try? Files.read(path, maxBytes: 4096), let v = try? JSONValue(parsing: bytes),
              let pid = v["pid"]?.intValue.map({ pid_t($0) }), pid > 0,
              let start = v["startTime"]?.stringValue.flatMap({ UInt64($0) }),
              let exe = v["executable"]?.stringValue else { return nil }
        return BackendPidFile(pid: pid, startTime: start, executable: exe)
    }

    public func write(_ path: String) throws(SystemError) {
        let v: JSONValue = ["pid": .int(Int(pid)), "startTime": .string(String(startTime)), "executable": .string(executable)]
        try Files.writeAtomically(path, v.serialized(), mode: 0o600)
    }

    /// Is the recorded process still this one (same start time and executable, not a zombie)?
    /// An executable whose file was replaced since it started (a package upgrade installs the new
    /// binary under the same path) reads "PATH (deleted)" in /proc/PID/exe: still the same process.
    public var isRunning: Bool {
        guard let s = ProcFS.stat(of: pid), s.startTime == startTime, s.state != "Z", s.state != "X" else { return false }
        guard let exe = ProcFS.executable(of: pid) else { return false }
        return exe == executable || exe == executable + " (deleted)"
    }
}
