import CSystem
import Glibc

extension Processes {
    /// Keeps this process's memory (tokens, keys) out of core dumps and away
    /// from same-uid debuggers: PR_SET_DUMPABLE 0 (no core file, no ptrace by
    /// the same user, /proc/<pid>/ files owned by root) and RLIMIT_CORE 0, which
    /// also covers `fs.suid_dumpable=2`, where the kernel would still write a
    /// root-only core. Lowering the limit may be refused by a syscall filter
    /// (`@resources` under systemd, where the unit's `LimitCORE=0` already
    /// holds): that one is best effort, the prctl is not.
    public static func forbidCoreDumps() throws(SystemError) {
        _ = try syscall("prctl(PR_SET_DUMPABLE, 0)") { csys_set_dumpable(0) }
        var zero = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &zero)
    }
}
