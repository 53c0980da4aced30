import CSystem
import Glibc

/// How a spawned child's descriptors are laid out.
public struct SpawnOptions: Sendable {
    /// Descriptors placed at fixed numbers in the child (source in our process → target number).
    /// Everything else is closed in the child.
    public var fdMap: [(source: FileDescriptor, target: Int32)] = []
    public var workingDirectory: String? = nil
    /// Start the child in a new session (its own process group), so a Ctrl-C
    /// at the launcher's terminal reaches the launcher only, which stops children in order.
    public var newSession: Bool = false

    public init() {}
}

/// posix_spawn wrapper. Environment is given explicitly, never inherited implicitly.
public enum Spawn {
    public static func run(
        _ executable: String, arguments: [String], environment: [String: String],
        options: SpawnOptions = SpawnOptions()
    ) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }

        // Move sources out of the way first, so that mapping a → 3 and 3 → 4
        // works: to temporaries just above every source and target (so no
        // temporary overwrites a source still to be copied, and they stay
        // below a small RLIMIT_NOFILE), closed again by the closefrom below.
        let high = (options.fdMap.flatMap { [$0.source.rawValue, $0.target] }.max() ?? 2) + 1
        for (i, m) in options.fdMap.enumerated() {
            try checkReturn("posix_spawn_file_actions_adddup2",
                            posix_spawn_file_actions_adddup2(&actions, m.source.rawValue, high + Int32(i)))
        }
        for (i, m) in options.fdMap.enumerated() {
            try checkReturn("posix_spawn_file_actions_adddup2",
                            posix_spawn_file_actions_adddup2(&actions, high + Int32(i), m.target))
        }
        let maxTarget = options.fdMap.map(\.target).max() ?? 2
        try checkReturn("posix_spawn_file_actions_addclosefrom_np", csys_spawn_addclosefrom(&actions, max(maxTarget, 2) + 1))
        if let dir = options.workingDirectory {
            try checkReturn("posix_spawn_file_actions_addchdir_np", csys_spawn_addchdir(&actions, dir), subject: dir)
        }

        // Children start with default signal handling and an empty mask, whatever ours are.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        var flags = Int16(POSIX_SPAWN_SETSIGDEF) | Int16(POSIX_SPAWN_SETSIGMASK)
        if options.newSession { flags |= csys_posix_spawn_setsid() }
        posix_spawnattr_setflags(&attr, flags)

        let argv = [executable] + arguments
        let envp = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let r = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnv in
                posix_spawn(&pid, executable, &actions, &attr, cArgv, cEnv)
            }
        }
        try checkReturn("posix_spawn", r, subject: executable)
        return pid
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { ptrs.forEach { free($0) } }
        return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// How a child ended, in words an operator can act on.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus s: Int32) {
        if s & 0x7f == 0 { self = .exited((s >> 8) & 0xff) } else { self = .signaled(s & 0x7f) }
    }

    public var description: String {
        switch self {
        case .exited(let c): return "exited with status \(c)"
        case .signaled(let sig): return "killed by signal \(sig) (\(String(cString: strsignal(sig))))"
        }
    }
}

public enum Processes {
    /// waitpid; nil when `noHang` and the child is still running.
    public static func wait(_ pid: pid_t, noHang: Bool = false) throws(SystemError) -> ExitStatus? {
        var status: Int32 = 0
        let r = try syscall("waitpid") { waitpid(pid, &status, noHang ? WNOHANG : 0) }
        return r == 0 ? nil : ExitStatus(waitStatus: status)
    }

    /// kill(2) for a pid we started ourselves. ESRCH (already gone) is not an error.
    public static func signal(_ pid: pid_t, _ sig: Int32) {
        _ = Glibc.kill(pid, sig)
    }

    /// kill(2) that reports failure (for signalling processes we did not start).
    public static func send(_ sig: Int32, to pid: pid_t) throws(SystemError) {
        _ = try syscall("kill", subject: "pid \(pid)") { Glibc.kill(pid, sig) }
    }

    /// Ignores these signals in this process (SIG_IGN).
    public static func ignore(_ signals: [Int32]) {
        for s in signals { _ = Glibc.signal(s, SIG_IGN) }
    }

    /// Blocks `signals` in the calling thread (threads it starts later inherit
    /// the mask), so that they stay pending until `waitForSignal` takes them.
    public static func block(_ signals: [Int32]) {
        var set = signalSet(signals)
        let r = pthread_sigmask(SIG_BLOCK, &set, nil)
        precondition(r == 0, "pthread_sigmask: \(String(cString: strerror(r)))")
    }

    /// sigwait(3): the next of `signals` (which must be blocked), taken from
    /// the pending set; blocks until one arrives.
    public static func waitForSignal(_ signals: [Int32]) -> Int32 {
        var set = signalSet(signals)
        var sig: Int32 = 0
        while true {
            let r = sigwait(&set, &sig)
            if r == 0 { return sig }
            precondition(r == EINTR, "sigwait: \(String(cString: strerror(r)))")
        }
    }

    private static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        return set
    }

    public static func isAlive(_ pid: pid_t) -> Bool {
        Glibc.kill(pid, 0) == 0 || Glibc.errno == EPERM
    }
}

/// A pidfd: a handle on one process that cannot be confused with a later
/// process reusing the same pid (Linux 5.3+).
public struct Pidfd: Sendable {
    public let fd: FileDescriptor
    public let pid: pid_t

    public static func open(_ pid: pid_t) throws(SystemError) -> Pidfd {
        let fd = try syscall("pidfd_open") { csys_pidfd_open(pid) }
        return Pidfd(fd: FileDescriptor(rawValue: fd), pid: pid)
    }

    public func signal(_ sig: Int32) throws(SystemError) {
        _ = try syscall("pidfd_send_signal") { csys_pidfd_send_signal(fd.rawValue, sig) }
    }

    /// A duplicate of the process's descriptor `target` (close-on-exec):
    /// the same open file, kept open for as long as we hold it. Needs ptrace
    /// access to the process (same user and dumpable, or a descendant where
    /// Yama restricts ptrace) and `pidfd_getfd` past any syscall filter.
    public func duplicate(_ target: Int32) throws(SystemError) -> FileDescriptor {
        FileDescriptor(rawValue: try syscall("pidfd_getfd") { csys_pidfd_getfd(fd.rawValue, target) })
    }

    public func close() { fd.close() }
}

extension Processes {
    /// Online CPUs (for one event loop per core).
    public static var cpuCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

extension Processes {
    /// Makes this process the reaper of its orphaned descendants (the dev
    /// launcher, so an edged generation that outlives its parent stays its child).
    public static func becomeSubreaper() throws(SystemError) {
        _ = try syscall("prctl(PR_SET_CHILD_SUBREAPER)") { csys_set_child_subreaper() }
    }
}
