import Shared
import Glibc

/// Which TCP listening sockets would accept a connection to 127.0.0.1:port,
/// read from a process's view of the network namespace (/proc/PID/net/tcp and
/// tcp6: readable for our own processes even under `ProcSubset=pid`, which
/// hides /proc/net), and whose they are (the socket inodes in /proc/PID/fd).
///
/// Who may receive 127.0.0.1:port: an IPv4 listener on 127.0.0.1 or 0.0.0.0,
/// or an IPv6 one on ::ffff:127.0.0.1 — and, only when there is none of
/// those, one on :: (dual-stack, unless it is v6-only, which /proc does not
/// show). With a v4 listener in place a :: listener of another user can
/// only be v6-only (a dual-stack bind would have conflicted), so it never
/// gets 127.0.0.1 traffic and is not counted.
public enum LoopbackListeners {
    /// A listening socket's inode (the `socket:[N]` of its file descriptor).
    public typealias Inode = UInt64

    /// The inodes of the sockets listening for 127.0.0.1:`port`, as process
    /// `pid` ("self" for our own view) sees the namespace; nil when its tables
    /// cannot be read (it is gone, or not ours to read).
    public static func receiving(port: Int, asSeenBy pid: String = "self") -> [Inode]? {
        // Read to the end: procfs reports size 0, and a busy host lists thousands of sockets.
        let tcp = try? Files.read("/proc/\(pid)/net/tcp", maxBytes: 64 << 20)
        let tcp6 = try? Files.read("/proc/\(pid)/net/tcp6", maxBytes: 64 << 20)
        if tcp == nil && tcp6 == nil { return nil }
        return receiving(port: port, tcp: tcp ?? [], tcp6: tcp6 ?? [])
    }

    /// The same, from the tables' text.
    public static func receiving(port: Int, tcp: [UInt8], tcp6: [UInt8]) -> [Inode] {
        var direct: [Inode] = []
        var wildcard6: [Inode] = []
        for row in listeners(tcp) where row.port == port && (row.address == ipv4Loopback || row.address == ipv4Any) {
            direct.append(row.inode)
        }
        for row in listeners(tcp6) where row.port == port {
            if row.address == ipv6MappedLoopback { direct.append(row.inode) }
            if row.address == ipv6Any { wildcard6.append(row.inode) }
        }
        return direct.isEmpty ? wildcard6 : direct
    }

    /// /proc prints each 32-bit word of an address in host (little-endian) order.
    static let ipv4Loopback = "0100007F"
    static let ipv4Any = "00000000"
    static let ipv6Any = String(repeating: "0", count: 32)
    static let ipv6MappedLoopback = "0000000000000000FFFF00000100007F"

    struct Row {
        let address: String
        let port: Int
        let inode: Inode
    }

    /// The listening rows (state 0A) of a /proc/net/tcp{,6} table
    /// (`sl: local rem st tx:rx tr:when retrnsmt uid timeout inode ...`).
    /// A busy host lists tens of thousands of connections (TIME_WAIT after a
    /// load), and this runs every quarter second: each line's state is looked
    /// at in place (the remote address has the local one's width), lines are
    /// found with memchr, and only listening lines are split into fields.
    static func listeners(_ bytes: [UInt8]) -> [Row] {
        bytes.withUnsafeBytes { raw -> [Row] in
            guard let base = raw.baseAddress else { return [] }
            let end = base + raw.count
            func find(_ byte: UInt8, from p: UnsafeRawPointer, to limit: UnsafeRawPointer) -> UnsafeRawPointer? {
                memchr(p, Int32(byte), limit - p).map { UnsafeRawPointer($0) }
            }
            var out: [Row] = []
            var line = find(10, from: base, to: end).map { $0 + 1 }   // after the header
            while let start = line, start < end {
                let lineEnd = find(10, from: start, to: end) ?? end
                line = lineEnd + 1
                guard let colon = find(58, from: start, to: lineEnd), colon + 2 < lineEnd,
                      let localEnd = find(32, from: colon + 2, to: lineEnd) else { continue }
                let state = localEnd + 1 + (localEnd - (colon + 2)) + 1
                guard state + 2 <= lineEnd, state.load(as: UInt8.self) == 48, (state + 1).load(as: UInt8.self) == 65 else { continue }   // "0A"
                let text = String(decoding: UnsafeRawBufferPointer(start: start, count: lineEnd - start), as: UTF8.self)
                let f = text.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count > 9, let portColon = f[1].lastIndex(of: ":"),
                      let port = Int(f[1][f[1].index(after: portColon)...], radix: 16), let inode = Inode(f[9]) else { continue }
                out.append(Row(address: String(f[1][..<portColon]), port: port, inode: inode))
            }
            return out
        }
    }

    /// Which of `inodes` are sockets process `pid` holds open (stops reading
    /// its fd table once all are found); nil when the table cannot be read.
    public static func held(_ inodes: Set<Inode>, by pid: pid_t) -> Set<Inode>? {
        descriptors(of: inodes, in: pid).map { Set($0.keys) }
    }

    /// For each of `inodes` that process `pid` holds open, one of its
    /// descriptor numbers for it; nil when its fd table cannot be read.
    public static func descriptors(of inodes: Set<Inode>, in pid: pid_t) -> [Inode: Int32]? {
        guard let dir = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(dir) }
        var found: [Inode: Int32] = [:]
        var link = [CChar](repeating: 0, count: 64)
        while found.count < inodes.count, let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let number = Int32(name) else { continue }
            let n = readlink("/proc/\(pid)/fd/\(name)", &link, link.count - 1)
            guard n > 0, let inode = socketInode(link[0..<n]), inodes.contains(inode), found[inode] == nil else { continue }
            found[inode] = number
        }
        return found
    }

    /// `socket:[12345]` → 12345.
    static func socketInode(_ link: ArraySlice<CChar>) -> Inode? {
        let s = String(decoding: link.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard s.hasPrefix("socket:["), s.hasSuffix("]") else { return nil }
        return Inode(s.dropFirst(8).dropLast())
    }

    /// The process (among those we may see) holding socket `inode`, and its name.
    public static func owner(of inode: Inode) -> (pid: pid_t, name: String)? {
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), held([inode], by: pid)?.isEmpty == false else { continue }
            let comm = (try? Files.read("/proc/\(pid)/comm", maxBytes: 256)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            return (pid, String(comm.prefix { $0 != "\n" }))
        }
        return nil
    }
}
