import Glibc

/// Which process is the running cli-proxy-api, in terms the process cannot
/// choose: its pid, its start time (with the pid, unique even after the pid
/// is reused) and the device and inode of its executable as the kernel sees
/// it (`/proc/PID/exe`). No path is kept or trusted: an executable path is
/// what an attacker would want supervisord (or the doctor, run as root) to
/// believe, and an operator's `backend.command` is often a wrapper script
/// that ends in `exec cli-proxy-api`, so the executable is observed once the
/// child has answered its first health check, after that exec.
///
/// Kept in `<runtime dir>/backend.identity` under `droidgate up` (the dev
/// root's run/: the operator's own folder, the backend being the operator's
/// own process there). Under the unit set supervisord writes nothing: the
/// backend runs as supervisord's user, so any file supervisord could write
/// the backend could forge; a restarted supervisord recognises its backend
/// by what the kernel keeps instead (see supervisord's `BackendAdoption`).
public struct BackendIdentity: Sendable, Equatable {
    public let pid: pid_t
    public let startTime: UInt64
    public let exeDevice: UInt64
    public let exeInode: UInt64

    public static let fileName = "backend.identity"

    public init(pid: pid_t, startTime: UInt64, exeDevice: UInt64, exeInode: UInt64) {
        self.pid = pid
        self.startTime = startTime
        self.exeDevice = exeDevice
        self.exeInode = exeInode
    }

    /// What the kernel says of `pid` now (nil: gone, a zombie, or not ours to see).
    public static func observe(_ pid: pid_t) -> BackendIdentity? {
        guard let s = ProcFS.stat(of: pid), s.state != "Z", s.state != "X",
              let exe = ProcFS.executableIdentity(of: pid) else { return nil }
        return BackendIdentity(pid: pid, startTime: s.startTime, exeDevice: exe.device, exeInode: exe.inode)
    }

    /// Still this very process, running the same executable file? (An
    /// upgrade that replaces the file under the same path leaves the running
    /// process on the old inode: still the same.)
    public var isRunning: Bool { Self.observe(pid) == self }

    /// The same process (pid and start time), whatever it has exec'd since.
    public var isSameProcess: Bool {
        guard let s = ProcFS.stat(of: pid), s.state != "Z", s.state != "X" else { return false }
        return s.startTime == startTime
    }

    public static func read(_ path: String) -> BackendIdentity? {
        guard let bytes = try? Files.read(path, maxBytes: 4096), let v = try? JSONValue(parsing: bytes),
              let pid = v["pid"]?.intValue.map({ pid_t(truncatingIfNeeded: $0) }), pid > 0,
              let start = v["startTime"]?.stringValue.flatMap({ UInt64($0) }),
              let dev = v["exeDevice"]?.stringValue.flatMap({ UInt64($0) }),
              let ino = v["exeInode"]?.stringValue.flatMap({ UInt64($0) }) else { return nil }
        return BackendIdentity(pid: pid, startTime: start, exeDevice: dev, exeInode: ino)
    }

    public func write(_ path: String) throws(SystemError) {
        let v: JSONValue = ["pid": .int(Int(pid)), "startTime": .string(String(startTime)),
                            "exeDevice": .string(String(exeDevice)), "exeInode": .string(String(exeInode))]
        try Files.writeAtomically(path, v.serialized(), mode: 0o600)
    }
}
