import Glibc

/// What /proc says about a process: enough to recognise it again (pid plus
/// start time survives pid reuse) and to find our own exited children.
public enum ProcFS {
    public struct Stat: Sendable, Equatable {
        /// Field 3: R, S, D, Z (zombie), X (dead) …
        public let state: Character
        /// Field 4.
        public let parent: pid_t
        /// Field 22: start time in clock ticks since boot.
        public let startTime: UInt64
    }

    public static func stat(of pid: pid_t) -> Stat? {
        guard let bytes = try? Files.read("/proc/\(pid)/stat", maxBytes: 4096) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        // The command name (field 2) may hold spaces and parentheses: fields resume after the last ")".
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let parent = pid_t(fields[1]),
              let start = UInt64(fields[19]) else { return nil }
        return Stat(state: state, parent: parent, startTime: start)
    }

    /// The process's executable (readlink /proc/PID/exe), when we may see it.
    public static func executable(of pid: pid_t) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/\(pid)/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The device and inode of the process's executable: stat(2) of
    /// /proc/PID/exe reaches the file the kernel runs, even once it was
    /// replaced or deleted on disk.
    public static func executableIdentity(of pid: pid_t) -> (device: UInt64, inode: UInt64)? {
        guard let st = try? Files.status("/proc/\(pid)/exe") else { return nil }
        return (st.device, st.inode)
    }

    /// The process's cgroup (v2: the "0::" line of /proc/PID/cgroup).
    public static func cgroup(of pid: String) -> String? {
        guard let bytes = try? Files.read("/proc/\(pid)/cgroup", maxBytes: 64 << 10) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }

    /// The real uid of the process (the "Uid:" line of /proc/PID/status).
    public static func uid(of pid: pid_t) -> uid_t? {
        guard let bytes = try? Files.read("/proc/\(pid)/status", maxBytes: 64 << 10) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Uid:") {
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { uid_t($0) }
        }
        return nil
    }

    /// Our children that have exited and wait to be reaped (zombies).
    public static func zombieChildren() -> [pid_t] {
        let me = getpid()
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var out: [pid_t] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name), let s = stat(of: pid), s.parent == me, s.state == "Z" else { continue }
            out.append(pid)
        }
        return out
    }
}
