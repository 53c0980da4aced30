/// A relayed response head turned into one that ends the connection: every
/// `Connection` and `Keep-Alive` header dropped, `Connection: close` added
/// last. Used when edged must close a client connection after this response
/// (an old generation whose connections the new one could not adopt): the
/// client then knows not to send another request on it, instead of losing
/// one to a close it could not see coming.
public enum ResponseHeadClose {
    /// - head: a complete response head, status line to the blank line.
    public static func apply(_ head: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.count + 19)
        var lineStart = 0
        var first = true
        while lineStart < head.count {
            var lineEnd = lineStart
            while lineEnd < head.count && head[lineEnd] != 0x0a { lineEnd += 1 }
            let next = min(lineEnd + 1, head.count)
            var contentEnd = lineEnd
            if contentEnd > lineStart && head[contentEnd - 1] == 0x0d { contentEnd -= 1 }
            if contentEnd == lineStart && !first {
                // The blank line that ends the head.
                out += Array("Connection: close\r\n".utf8)
                out += UnsafeRawBufferPointer(rebasing: head[lineStart..<next])
                return out
            }
            let line = UnsafeRawBufferPointer(rebasing: head[lineStart..<contentEnd])
            if first || !(isHeader(line, "connection") || isHeader(line, "keep-alive")) {
                out += UnsafeRawBufferPointer(rebasing: head[lineStart..<next])
            }
            first = false
            lineStart = next
        }
        return out
    }

    private static func isHeader(_ line: UnsafeRawBufferPointer, _ lowerName: StaticString) -> Bool {
        let n = lowerName.utf8CodeUnitCount
        guard line.count > n else { return false }
        var j = n
        while j < line.count && (line[j] == 0x20 || line[j] == 0x09) { j += 1 }
        guard j < line.count, line[j] == 0x3a else { return false }
        return line.equalsLowercase(ByteRange(0, n), lowerName)
    }
}
