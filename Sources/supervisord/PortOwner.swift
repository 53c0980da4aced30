import Glibc
import Shared

/// Whether someone already listens on 127.0.0.1:port before a backend is
/// started, and who (so the conflict can be reported precisely). Read from
/// our own /proc/self/net tables: no connection is made, nothing is sent.
/// The process is never signalled: it is not ours.
enum PortOwner {
    static func squatter(port: Int) -> Squatter? {
        guard let listeners = LoopbackListeners.receiving(port: port) else {
            // No table to read (an unusual /proc): a bare connect tells, and sends nothing.
            let address = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(port))
            guard let s = try? Socket.connectTCP(address) else { return nil }
            s.close()
            return Squatter(inode: 0)
        }
        return listeners.first.map { Squatter(inode: $0) }
    }
}
