import Glibc
import Shared

/// How a supervisord that starts finds the backend a previous one left
/// running, without trusting anything the backend could have written.
///
/// - Under `droidgate up`: the identity the previous supervisord recorded in
///   the runtime dir (`BackendIdentity`: pid, start time, executable's device
///   and inode); the process must still match all of it.
/// - Under the unit set: nothing supervisord could write is out of the
///   backend's reach (same user, same sandbox), so the kernel's word is
///   taken instead: the process listening on 127.0.0.1:backend.port runs as
///   our user *in our own service's cgroup*. Only our unit's processes are
///   in that cgroup (moving a process into it takes root), and the backend is
///   one of them: `KillMode=process` leaves it there when supervisord stops
///   or dies. Its identity is then observed afresh.
enum BackendAdoption {
    enum Source: Equatable {
        case identityFile(String)
        case ownServiceCgroup
    }

    /// The pid to adopt, if any.
    static func find(_ source: Source, port: Int) -> pid_t? {
        switch source {
        case .identityFile(let path):
            guard let recorded = BackendIdentity.read(path) else { return nil }
            guard recorded.isRunning else {
                Files.remove(path)
                return nil
            }
            return recorded.pid
        case .ownServiceCgroup:
            guard let mine = ProcFS.cgroup(of: "self"), mine.hasSuffix(".service"),
                  let listeners = LoopbackListeners.receiving(port: port) else { return nil }
            for inode in listeners {
                guard let owner = LoopbackListeners.owner(of: inode)?.pid, owner != getpid(),
                      ProcFS.uid(of: owner) == getuid(), ProcFS.cgroup(of: String(owner)) == mine else { continue }
                return owner
            }
            return nil
        }
    }
}
