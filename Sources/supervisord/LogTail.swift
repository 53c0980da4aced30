import Glibc
import Shared

/// Follows backend.log: each new line goes to supervisord's log with a
/// `backend:` prefix and into a ring of the last 1,000 lines for
/// `droidgate status --backend-log`. The file is cut back to empty when it
/// passes 8 MiB (the child appends, so it simply continues at the start).
final class LogTail: Sendable {
    private let path: String
    private let ring = Locked<[String]>([])
    private let offset = Locked<Int>(0)
    static let capacity = 1000
    static let maxFileBytes = 8 << 20

    init(path: String) { self.path = path }

    /// Starts following at the current end, after loading the last lines into the ring.
    func start() {
        if let bytes = try? Files.read(path, maxBytes: Self.maxFileBytes * 2) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").suffix(Self.capacity).map(String.init)
            ring.value = lines
            offset.value = bytes.count
        }
        startThread("backend-log") { [self] in
            while true {
                poll()
                sleepSeconds(0.2)
            }
        }
    }

    var lines: [String] { ring.value }

    private func poll() {
        guard let st = try? Files.status(path) else { return }
        var from = offset.value
        if st.size < from { from = 0 }   // cut back (by us or someone else)
        guard st.size > from else { return }
        guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return }
        defer { fd.close() }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        var position = 0
        // Skip to `from`.
        while position < from {
            let want = min(chunk.count, from - position)
            let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<want])) }) ?? 0
            if n == 0 { break }
            position += n
        }
        while true {
            let n = (try? chunk.withMutableBytes { (b) throws(SystemError) in try fd.read(into: b) }) ?? 0
            if n == 0 { break }
            position += n
            pending.append(contentsOf: chunk[0..<n])
            while let nl = pending.firstIndex(of: 0x0a) {
                emit(String(decoding: pending[..<nl], as: UTF8.self))
                pending.removeSubrange(...nl)
            }
        }
        // A partial last line waits for its newline.
        position -= pending.count
        offset.value = position
        if position >= Self.maxFileBytes {
            (try? FileDescriptor.open(path, O_WRONLY | O_TRUNC))?.close()
            offset.value = 0
        }
    }

    private func emit(_ line: String) {
        Log.info("backend: \(line)")
        ring.withLock { r in
            r.append(line)
            if r.count > Self.capacity { r.removeFirst(r.count - Self.capacity) }
        }
    }
}
