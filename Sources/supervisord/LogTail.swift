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
        var cutting = false   // inside a line already cut at maxLineBytes: drop up to its newline
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
                if cutting { cutting = false } else { emit(Array(pending[..<nl]).boundedText(Self.maxLineBytes)) }
                pending.removeSubrange(...nl)
            }
            // A line longer than the bound: what fits is emitted now, the rest
            // is skipped up to its newline (never buffered whole).
            if pending.count > Self.maxLineBytes {
                if !cutting { emit(pending.boundedText(Self.maxLineBytes)) }
                cutting = true
                pending.removeAll(keepingCapacity: true)
            }
        }
        // A partial last line waits for its newline (unless it is being cut).
        if !cutting { position -= pending.count }
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
