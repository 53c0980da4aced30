import Foundation
import Shared

/// Who is listening on a loopback TCP port (from /proc/net/tcp{,6} and each
/// process's fd table), so a port conflict can be reported precisely. The
/// process is never signalled: it is not ours.
enum PortOwner {
    /// True when something accepts connections on 127.0.0.1:port.
    static func isInUse(port: Int) -> Bool {
        let address = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(port))
        guard let s = try? Socket.connectTCP(address) else { return false }
        s.close()
        return true
    }

    static func describe(port: Int) -> String {
        guard let inode = listeningInode(port: port) else { return "an unknown process" }
        guard let pid = pidOwning(socketInode: inode) else { return "a process droidgate cannot see (socket inode \(inode))" }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return "pid \(pid) (\(comm))"
    }

    static func listeningInode(port: Int) -> String? {
        let hexPort = String(format: "%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: procfs reports size 0, and a reader that trusts the
            // size stops after the first page (a busy host lists thousands of sockets).
            guard let bytes = try? Files.read(table, maxBytes: 64 << 20) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count > 9, f[3] == "0A", f[1].hasSuffix(":" + hexPort) else { continue }
                return String(f[9])
            }
        }
        return nil
    }

    static func pidOwning(socketInode inode: String) -> Int32? {
        let target = "socket:[\(inode)]"
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for p in pids where p.allSatisfy(\.isNumber) {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(p)/fd") else { continue }
            for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(p)/fd/\(fd)")) == target {
                return Int32(p)
            }
        }
        return nil
    }
}
