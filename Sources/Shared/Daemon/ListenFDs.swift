import Glibc

/// Sockets handed over the systemd way: LISTEN_PID (must be us), LISTEN_FDS
/// (count, starting at fd 3) and LISTEN_FDNAMES (colon-separated names).
/// Used both under systemd socket activation and under `droidgate up`.
public struct ListenFDs: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let fd: FileDescriptor
    }
    public let entries: [Entry]

    public static let firstFD: Int32 = 3

    /// Parses the variables (pure; `takeFromEnvironment` applies it).
    public static func parse(pid: String?, fds: String?, names: String?, ourPID: Int32) -> ListenFDs {
        guard let pid, let p = Int32(pid), p == ourPID,
              let fds, let n = Int32(fds), n > 0, n < 1024 else { return ListenFDs(entries: []) }
        let nameList = names.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? []
        let entries = (0..<n).map { i in
            Entry(name: Int(i) < nameList.count && !nameList[Int(i)].isEmpty ? nameList[Int(i)] : "unknown",
                  fd: FileDescriptor(rawValue: firstFD + i))
        }
        return ListenFDs(entries: entries)
    }

    /// Reads and then unsets the variables (so children do not inherit them),
    /// and marks the descriptors close-on-exec.
    public static func takeFromEnvironment() -> ListenFDs {
        let result = parse(pid: Environment.get("LISTEN_PID"), fds: Environment.get("LISTEN_FDS"),
                           names: Environment.get("LISTEN_FDNAMES"), ourPID: Users.currentPID)
        for v in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { Environment.unset(v) }
        for e in result.entries { try? e.fd.setCloseOnExec() }
        return result
    }

    public func first(named name: String) -> FileDescriptor? {
        entries.first(where: { $0.name == name })?.fd
    }
}

extension ListenFDs {
    /// Starts a process with `sockets` handed over the systemd way (fds 3…,
    /// LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID). LISTEN_PID must be the child's
    /// own pid, known only after the fork: a shell sets it and then execs the
    /// program in its place (same pid). `extra` descriptors follow the sockets.
    public static func spawn(_ executable: String, arguments: [String], environment: [String: String],
                             sockets: [(name: String, fd: FileDescriptor)], extra: [FileDescriptor] = [],
                             options base: SpawnOptions = SpawnOptions()) throws(SystemError) -> pid_t {
        var options = base
        var env = environment
        for (i, s) in sockets.enumerated() { options.fdMap.append((s.fd, firstFD + Int32(i))) }
        for (i, fd) in extra.enumerated() { options.fdMap.append((fd, firstFD + Int32(sockets.count + i))) }
        env["LISTEN_FDS"] = String(sockets.count)
        env["LISTEN_FDNAMES"] = sockets.map(\.name).joined(separator: ":")
        env.removeValue(forKey: "LISTEN_PID")
        let args = ["-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"", executable] + arguments
        return try Spawn.run("/bin/sh", arguments: args, environment: env, options: options)
    }
}
