import Shared
import CSystem
import Glibc

/// Who owns the other end of a loopback TCP connection: the kernel's
/// sock_diag interface, asked for exactly that socket (by its addresses, no
/// scan of /proc/net/tcp), says which uid created it. One netlink socket per
/// thread is kept and reused: a lookup is then one sendto and one recv.
public enum SocketOwner {
    /// The uid of the process that owns the peer of `connection` (an accepted
    /// TCP connection on this host).
    public static func uidOfPeer(_ connection: Socket) throws(SystemError) -> uid_t {
        guard let local = connection.localAddress(), let remote = connection.remoteAddress() else {
            throw SystemError("getsockname/getpeername", errno: errno)
        }
        return try uid(localEnd: remote, remoteEnd: local)
    }

    /// The uid owning the TCP socket whose own address is `localEnd` and
    /// whose peer is `remoteEnd`.
    public static func uid(localEnd: SocketAddress, remoteEnd: SocketAddress) throws(SystemError) -> uid_t {
        guard localEnd.family == remoteEnd.family else { throw SystemError("sock_diag", errno: EAFNOSUPPORT) }
        let nl = try netlink()
        var out: UInt32 = 0
        let src = localEnd.hostBytes, dst = remoteEnd.hostBytes
        _ = try syscall("sock_diag(SOCK_DIAG_BY_FAMILY)") {
            src.withUnsafeBufferPointer { s in
                dst.withUnsafeBufferPointer { d in
                    csys_sockdiag_tcp_uid(nl, localEnd.family, s.baseAddress, localEnd.port, d.baseAddress, remoteEnd.port, &out)
                }
            }
        }
        return uid_t(out)
    }

    /// This thread's netlink socket (opened on first use, kept for the thread's life).
    private static func netlink() throws(SystemError) -> Int32 {
        if let fd = perThread.fd { return fd }
        let fd = try syscall("socket(AF_NETLINK, NETLINK_SOCK_DIAG)") { csys_sockdiag_open() }
        perThread.fd = fd
        return fd
    }

    private final class PerThread { var fd: Int32? }
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in
            guard let p else { return }
            let box = Unmanaged<PerThread>.fromOpaque(p).takeRetainedValue()
            if let fd = box.fd { Glibc.close(fd) }
        }
        return k
    }()
    private static var perThread: PerThread {
        if let p = pthread_getspecific(key) { return Unmanaged<PerThread>.fromOpaque(p).takeUnretainedValue() }
        let box = PerThread()
        pthread_setspecific(key, Unmanaged.passRetained(box).toOpaque())
        return box
    }
}
