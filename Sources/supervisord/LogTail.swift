import Glibc
import IPC
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
    /// The backend's log lines are its own text (and a provider's, in errors
    /// it logs): each is cut at this many bytes where it enters.
    static let maxLineBytes = 4096

    init(path: String) { self.path = path }

    /// Starts following at the current end, after loading the last lines into the ring.
    func start() {
        if let bytes = try? Files.read(path, maxBytes: Self.maxFileBytes * 2) {
            let lines = bytes.split(separator: 0x0a).suffix(Self.capacity).map { Array($0).boundedText(Self.maxLineBytes) }
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
        var cut = longLine.value   // a line over the bound, from an earlier pass: its head and what was dropped
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
                if let c = cut {
                    emit(c.text(droppedAlso: nl))
                    cut = nil
                } else {
                    emit(Array(pending[..<nl]).boundedText(Self.maxLineBytes))
                }
                pending.removeSubrange(...nl)
            }
            // A line longer than the bound: its head is kept (bounded), the
            // rest only counted, up to its newline; never buffered whole.
            if cut == nil, pending.count > Self.maxLineBytes {
                cut = LongLine(head: Array(pending[..<Self.maxLineBytes]), dropped: pending.count - Self.maxLineBytes)
                pending.removeAll(keepingCapacity: true)
            } else if cut != nil {
                cut!.dropped += pending.count
                pending.removeAll(keepingCapacity: true)
            }
        }
        // A partial last line waits for its newline (read again next time),
        // unless it is a long one, whose head waits in `longLine`.
        position -= pending.count
        longLine.value = cut
        offset.value = position
        if position >= Self.maxFileBytes {
            (try? FileDescriptor.open(path, O_WRONLY | O_TRUNC))?.close()
            offset.value = 0
            if let c = longLine.value {   // the file starts again: the long line ends here
                emit(c.text(droppedAlso: 0))
                longLine.value = nil
            }
        }
    }

    /// A line longer than `maxLineBytes` being read: the head shown, the rest counted.
    struct LongLine: Sendable {
        let head: [UInt8]
        var dropped: Int
        func text(droppedAlso n: Int) -> String {
            let kept = String(decodingWholeScalars: head)
            return kept + "… (\(dropped + n + head.count - kept.utf8.count) more bytes cut)"
        }
    }

    private let longLine = Locked<LongLine?>(nil)

    private func emit(_ line: String) {
        // The health probe's own lines (one every few seconds, forever) are noise;
        // every other line goes to the journal at the backend's own priority.
        if BackendLogLine.isHealthProbe(line) { return }
        Log.log(BackendLogLine.level(of: line), "backend: \(line)")
        ring.withLock { r in
            r.append(line)
            if r.count > Self.capacity { r.removeFirst(r.count - Self.capacity) }
        }
    }

    /// The last of `lines` that fit in one IPC reply (with room for JSON
    /// escaping, which can make a byte six), oldest first; a first line says
    /// how many earlier ones were left out.
    static func fitting<C: BidirectionalCollection>(_ lines: C, budget: Int = Frame.maxPayload / 8) -> [String] where C.Element == String {
        var kept: [String] = []
        var used = 0
        for line in lines.reversed() {
            used += line.utf8.count + 8
            if used > budget { break }
            kept.append(line)
        }
        let left = lines.count - kept.count
        if left > 0 { kept.append("(\(left) earlier line\(left == 1 ? "" : "s") left out: one reply holds about \(budget >> 10) KiB)") }
        return kept.reversed()
    }
}
