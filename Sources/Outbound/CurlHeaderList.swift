/// A `struct curl_slist` of header lines in memory this side owns and reuses.
/// libcurl only reads the list it is given for CURLOPT_HTTPHEADER (it keeps a
/// pointer; the list must outlive the transfer), so there is no need for
/// `curl_slist_append`, which allocates twice per line on every request: the
/// lines go into one byte buffer and the nodes into another, both kept from
/// one request to the next.
final class CurlHeaderList {
    /// `struct curl_slist { char *data; struct curl_slist *next; }` (curl/curl.h).
    private struct Node {
        var data: UnsafeMutableRawPointer?
        var next: UnsafeMutablePointer<Node>?
    }

    private var text: UnsafeMutableRawBufferPointer
    private var nodes: UnsafeMutablePointer<Node>
    private var nodeCapacity: Int
    /// Where each line starts in `text`, while the lines are being written.
    private var starts: [Int] = []
    private var used = 0

    init() {
        text = .allocate(byteCount: Self.initialTextBytes, alignment: 1)
        nodeCapacity = 16
        nodes = .allocate(capacity: nodeCapacity)
        starts.reserveCapacity(nodeCapacity)
    }

    deinit {
        text.deallocate()
        nodes.deallocate()
    }

    /// Starts a new list (the previous one must no longer be in use). Text
    /// grown past `keptTextBytes` for one request's headers is not kept.
    func removeAll() {
        used = 0
        starts.removeAll(keepingCapacity: true)
        if text.count > Self.keptTextBytes {
            text.deallocate()
            text = .allocate(byteCount: Self.initialTextBytes, alignment: 1)
        }
    }

    static let initialTextBytes = 2048
    /// The text buffer's size now (tests).
    var textCapacity: Int { text.count }
    static let keptTextBytes = 64 << 10

    /// Adds `name: value`; with an empty value, `name:`, which libcurl never
    /// sends (and which stops it adding a header of that name itself).
    func append(_ name: String, _ value: String) {
        starts.append(used)
        write(name)
        write(":")
        if !value.isEmpty {
            write(" ")
            write(value)
        }
        write("\0")
    }

    private func write(_ s: String) {
        var s = s
        s.withUTF8 { b in
            reserve(b.count)
            UnsafeMutableRawBufferPointer(rebasing: text[used..<(used + b.count)]).copyMemory(from: UnsafeRawBufferPointer(b))
            used += b.count
        }
    }

    private func reserve(_ more: Int) {
        guard used + more > text.count else { return }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(text.count * 2, used + more), alignment: 1)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: text[..<used]))
        text.deallocate()
        text = bigger
    }

    /// The list for CURLOPT_HTTPHEADER (nil when empty); valid until the next `removeAll`.
    func list() -> UnsafeRawPointer? {
        guard !starts.isEmpty else { return nil }
        if starts.count > nodeCapacity {
            nodes.deallocate()
            nodeCapacity = starts.count * 2
            nodes = .allocate(capacity: nodeCapacity)
        }
        // The text buffer is final now: point the nodes into it.
        for (i, start) in starts.enumerated() {
            nodes[i] = Node(data: text.baseAddress! + start, next: i + 1 < starts.count ? nodes + i + 1 : nil)
        }
        return UnsafeRawPointer(nodes)
    }
}
