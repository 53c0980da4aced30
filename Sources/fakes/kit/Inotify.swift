import Glibc
import Shared

/// inotify(7): what Go's fsnotify uses on Linux. A watch added on a path
/// attaches to the inode the path names at that moment, so it follows that
/// inode (a later rename over the path leaves the watch on the old one).
public struct Inotify: Sendable {
    public struct Event: Sendable {
        public let wd: Int32
        public let mask: UInt32
        /// Set only for events on an entry inside a watched directory.
        public let name: String
    }

    public static let modify = UInt32(IN_MODIFY)
    public static let attrib = UInt32(IN_ATTRIB)
    public static let movedFrom = UInt32(IN_MOVED_FROM)
    public static let movedTo = UInt32(IN_MOVED_TO)
    public static let create = UInt32(IN_CREATE)
    public static let delete = UInt32(IN_DELETE)
    public static let deleteSelf = UInt32(IN_DELETE_SELF)
    public static let moveSelf = UInt32(IN_MOVE_SELF)
    /// The watch is gone (removed explicitly, or its inode was deleted).
    public static let ignored = UInt32(IN_IGNORED)
    public static let overflow = UInt32(IN_Q_OVERFLOW)

    public let fd: FileDescriptor

    public init() throws(SystemError) {
        fd = FileDescriptor(rawValue: try syscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) })
    }

    public func close() { fd.close() }

    public func addWatch(_ path: String, mask: UInt32) throws(SystemError) -> Int32 {
        try syscall("inotify_add_watch", subject: path) { inotify_add_watch(fd.rawValue, path, mask) }
    }

    public func removeWatch(_ wd: Int32) {
        _ = inotify_rm_watch(fd.rawValue, wd)
    }

    /// The events that arrive within `timeoutMs` (< 0: wait for some); [] on timeout.
    public func read(timeoutMs: Int32) throws(SystemError) -> [Event] {
        guard try Poll.readable(fd, timeoutMs: timeoutMs) else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let n = try buffer.withMutableBytes { (b) throws(SystemError) in try fd.read(into: b) }
        var events: [Event] = []
        var offset = 0
        let header = 16   // struct inotify_event: wd, mask, cookie, len (then the name)
        while offset + header <= n {
            let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                 raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                 Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
            }
            let nameBytes = buffer[(offset + header)..<min(n, offset + header + length)].prefix { $0 != 0 }
            events.append(Event(wd: wd, mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
            offset += header + length
        }
        return events
    }
}
