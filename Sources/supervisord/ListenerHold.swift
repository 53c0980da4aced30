import Glibc
import Shared

/// supervisord's own duplicate (pidfd_getfd) of the backend child's
/// listening socket, held for as long as edged may send to the port.
///
/// Why: when the child dies, the kernel closes its descriptors (`exit_files`)
/// before its pidfd becomes readable (`exit_notify`). With nothing else
/// holding the socket, the port is free in between: anyone may bind it, and
/// a connect made then by edged or the health probe, which still see the
/// child alive, would reach them. While this duplicate is open the socket
/// stays listening and the port stays ours. supervisord closes it only once
/// edged has confirmed it stopped sending (`Supervisor.releaseListener`);
/// a connection made before that waits in our own socket's queue and is
/// reset when we close it. Nobody else ever gets it.
///
/// supervisord never accepts on it.
struct ListenerHold {
    enum Failure: Error, CustomStringConvertible {
        case noPidfd
        case notFound(pid_t)
        case refused(SystemError)
        case notTheListener(Int32)

        var description: String {
            switch self {
            case .noPidfd: return "no pidfd for the backend"
            case .notFound(let pid): return "its socket is no longer among /proc/\(pid)/fd"
            case .refused(let e): return "\(e)"
            case .notTheListener(let fd): return "descriptor \(fd) is not that listening socket any more"
            }
        }
    }

    let inodes: Set<LoopbackListeners.Inode>
    private let sockets: [FileDescriptor]

    /// Duplicates the child's descriptors for `inodes` (its sockets listening
    /// on the port, as `ListenerOwnership` found them) and checks that each
    /// duplicate is that socket and still listening.
    static func take(_ inodes: Set<LoopbackListeners.Inode>, from p: BackendProcess) throws(Failure) -> ListenerHold {
        guard let pidfd = p.pidfd else { throw .noPidfd }
        guard let numbers = LoopbackListeners.descriptors(of: inodes, in: p.pid), numbers.count == inodes.count else {
            throw .notFound(p.pid)
        }
        var sockets: [FileDescriptor] = []
        for (inode, number) in numbers {
            let dup: FileDescriptor
            do { dup = try pidfd.duplicate(number) } catch {
                sockets.forEach { $0.close() }
                throw .refused(error)
            }
            sockets.append(dup)
            // The number may have been closed and reused between the readlink and the duplicate.
            guard Files.identity(of: dup)?.inode == inode, Socket(fd: dup).isListeningStream() else {
                sockets.forEach { $0.close() }
                throw .notTheListener(number)
            }
        }
        return ListenerHold(inodes: inodes, sockets: sockets)
    }

    /// Closes the duplicates: if the child has let go of the socket too, the
    /// port is free from here on, and anything in its queue is reset.
    func release() { sockets.forEach { $0.close() } }
}
