import Glibc

/// File-system operations with the permission checks secrets need.
public enum Files {
    public struct Status: Sendable {
        public let mode: mode_t      // permission bits only
        public let uid: uid_t
        public let gid: gid_t
        public let isDirectory: Bool
        public let size: Int
        /// Last modification, nanoseconds since the epoch.
        public let modified: Int64
        public let inode: UInt64
        public let device: UInt64
    }

    public static func status(_ path: String) throws(SystemError) -> Status {
        var st = stat()
        _ = try syscall("stat", subject: path) { fstatat(AT_FDCWD, path, &st, 0) }
        return Status(mode: st.st_mode & 0o7777, uid: st.st_uid, gid: st.st_gid,
                      isDirectory: (st.st_mode & S_IFMT) == S_IFDIR, size: Int(st.st_size),
                      modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), inode: UInt64(st.st_ino),
                      device: UInt64(st.st_dev))
    }

    public static func exists(_ path: String) -> Bool { Glibc.access(path, F_OK) == 0 }

    public static func isExecutable(_ path: String) -> Bool {
        guard let st = try? status(path), !st.isDirectory else { return false }
        return Glibc.access(path, X_OK) == 0
    }

    /// Creates `path` and missing parents. The last component gets `mode`
    /// (enforced with chmod even if it existed, so a too-open dir is tightened).
    public static func makeDirectory(_ path: String, mode: mode_t) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if Glibc.mkdir(prefix, 0o755) != 0 && Glibc.errno != EEXIST {
                throw SystemError("mkdir", errno: Glibc.errno, subject: prefix)
            }
        }
        _ = try syscall("chmod", subject: path) { Glibc.chmod(path, mode) }
    }

    /// Reads a whole file, refusing files larger than `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = 16 << 20) throws(SystemError) -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try chunk.withMutableBytes { (b) throws(SystemError) in try fd.read(into: b) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > maxBytes { throw SystemError("read", errno: EFBIG, subject: path) }
        }
    }

    /// Replaces `path` atomically and durably: a temp file in the same
    /// directory, write, fsync, rename over the target, fsync the directory.
    /// A crash at any point leaves either the old file or the new one, whole.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws(SystemError) {
        let dir = directoryName(path)
        let tmp = "\(dir)/.\(baseName(path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try FileDescriptor.open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do throws(SystemError) {
            _ = try syscall("fchmod", subject: tmp) { fchmod(fd.rawValue, mode) }
            try fd.writeAll(bytes)
            try fd.sync()
            fd.close()
            _ = try syscall("rename", subject: path) { Glibc.rename(tmp, path) }
        } catch {
            fd.close()
            _ = Glibc.unlink(tmp)
            throw error
        }
        let dfd = try FileDescriptor.open(dir, O_RDONLY | O_DIRECTORY)
        defer { dfd.close() }
        try dfd.sync()
    }

    /// Rewrites `path` in place: the same inode (open, truncate, write, fsync),
    /// so a program watching that file with inotify sees a write. A rename over
    /// it would detach such a watch for good (cli-proxy-api's config watch).
    /// The truncate comes first: a reader between it and the write sees an
    /// empty file, never a mix of old and new. Identical content is left alone.
    /// For derived files only: a crash mid-write leaves a torn file that the
    /// next render repairs (use `writeAtomically` for anything that is not).
    /// Returns false when the file already held `bytes` with `mode` and was
    /// left alone (`force`: written all the same, for a watcher that missed it).
    @discardableResult
    public static func rewriteInPlace(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600, force: Bool = false) throws(SystemError) -> Bool {
        if !force, let current = try? read(path, maxBytes: bytes.count + 1), current == bytes,
           (try? status(path).mode) == mode { return false }
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: mode)
        defer { fd.close() }
        _ = try syscall("fchmod", subject: path) { fchmod(fd.rawValue, mode) }
        try fd.writeAll(bytes)
        try fd.sync()
        return true
    }

    public static func remove(_ path: String) { _ = Glibc.unlink(path) }

    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Absolute form of `path` relative to `base` (or the working directory).
    public static func absolute(_ path: String, relativeTo base: String? = nil) -> String {
        if path.hasPrefix("/") { return path }
        let b = base ?? currentDirectory()
        return path == "." ? b : "\(b)/\(path)"
    }

    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "." }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Searches PATH for an executable name (a name with a slash is returned as is if executable).
    public static func which(_ name: String, path: String? = nil) -> String? {
        if name.contains("/") { return isExecutable(name) ? name : nil }
        let search = path ?? Environment.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in search.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }
}

/// Process environment access, in one place.
public enum Environment {
    public static func get(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        return String(cString: v)
    }

    public static func unset(_ name: String) { unsetenv(name) }

    /// Removes `name` and overwrites its value where the kernel keeps the
    /// process's initial environment: unsetenv(3) only drops the pointer, and
    /// /proc/PID/environ would still show the original bytes.
    public static func scrub(_ name: String) {
        let prefix = Array((name + "=").utf8)
        var p = environ
        while let entry = p.pointee {
            if strncmp(entry, prefix.map { CChar(bitPattern: $0) }, prefix.count) == 0 {
                let n = strlen(entry)
                if n > prefix.count { memset(entry + prefix.count, 0, n - prefix.count) }
            }
            p += 1
        }
        unsetenv(name)
    }

    /// The whole environment as a dictionary (for building a child's environment).
    public static func all() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                out[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return out
    }
}

extension Files {
    /// Device and inode of an open descriptor (to recognise a stream, e.g. JOURNAL_STREAM).
    public static func identity(of fd: FileDescriptor) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}

extension Files {
    /// The running executable's absolute path (/proc/self/exe).
    public static func executablePath() -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Files {
    /// Takes an exclusive flock(2) on `path` (created 0600 if missing),
    /// waiting for whoever holds it. Release by closing the descriptor.
    public static func lockExclusive(_ path: String) throws(SystemError) -> FileDescriptor {
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o600)
        do throws(SystemError) {
            _ = try syscall("flock", subject: path) { flock(fd.rawValue, LOCK_EX) }
        } catch {
            fd.close()
            throw error
        }
        return fd
    }

    /// Reserves `bytes` of disk for a file about to be written (posix_fallocate),
    /// so a full disk is found before anything irreversible happens.
    public static func reserve(_ fd: FileDescriptor, bytes: Int) throws(SystemError) {
        try checkReturn("posix_fallocate", posix_fallocate(fd.rawValue, 0, off_t(bytes)))
    }
}
