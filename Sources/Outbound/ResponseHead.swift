/// A response's head as libcurl hands it over, one line per call (status line,
/// header lines, the blank line; again for each interim 1xx head). Keeps the
/// status, `Content-Type` and `Location`, refuses a head larger than
/// `maxBytes` and header values with control characters: what reaches a
/// client's head from here must not carry a CR, an LF or a NUL.
public struct UpstreamResponseHead: Sendable {
    public private(set) var status = 0
    public private(set) var contentType: String? = nil
    public private(set) var location: String? = nil
    /// The body's length when the answer said (`Content-Length`, digits only).
    public private(set) var contentLength: Int? = nil
    /// The final head is complete (its blank line arrived).
    public private(set) var complete = false
    private var bytes = 0
    public let maxBytes: Int

    public enum Problem: Error, Sendable, Equatable {
        case tooLarge(Int)
        case malformed(String)
    }

    public init(maxBytes: Int = 64 * 1024) { self.maxBytes = maxBytes }

    /// One line, with its line end. Throws when the head must be refused.
    public mutating func feed(_ line: UnsafeRawBufferPointer) throws(Problem) {
        bytes += line.count
        guard bytes <= maxBytes else { throw .tooLarge(maxBytes) }
        var end = line.count
        if end > 0 && line[end - 1] == 0x0a { end -= 1 }
        if end > 0 && line[end - 1] == 0x0d { end -= 1 }
        let text = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if text.isEmpty {
            // The end of a head: an interim one (1xx) is followed by another.
            if status >= 200 { complete = true }
            return
        }
        if text.count >= 12, text.starts(with: "HTTP/".utf8) {
            // A new head (after a 1xx): start over.
            guard let space = text.firstIndex(of: 0x20), space + 4 <= text.count else { throw .malformed("status line") }
            var code = 0
            for b in text[(space + 1)..<(space + 4)] {
                guard b >= 0x30 && b <= 0x39 else { throw .malformed("status code") }
                code = code * 10 + Int(b - 0x30)
            }
            status = code
            contentType = nil
            location = nil
            contentLength = nil
            complete = false
            return
        }
        guard let colon = text.firstIndex(of: 0x3a) else { throw .malformed("a header line without \":\"") }
        var vs = colon + 1
        while vs < text.count && (text[vs] == 0x20 || text[vs] == 0x09) { vs += 1 }
        var ve = text.count
        while ve > vs && (text[ve - 1] == 0x20 || text[ve - 1] == 0x09) { ve -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: text[vs..<ve])
        let name = UnsafeRawBufferPointer(rebasing: text[0..<colon])
        if Self.same(name, "content-length") {
            var n = 0
            guard !value.isEmpty, value.count <= 15 else { throw .malformed("Content-Length") }
            for b in value {
                guard b >= 0x30 && b <= 0x39 else { throw .malformed("Content-Length") }
                n = n * 10 + Int(b - 0x30)
            }
            contentLength = n
            return
        }
        let isContentType = Self.same(name, "content-type"), isLocation = Self.same(name, "location")
        guard isContentType || isLocation else { return }
        for b in value where (b < 0x20 && b != 0x09) || b == 0x7f {
            throw .malformed("\(isContentType ? "Content-Type" : "Location") carries a control character (0x\(String(b, radix: 16)))")
        }
        let s = String(decoding: value, as: UTF8.self)
        if isContentType { contentType = s } else { location = s }
    }

    private static func same(_ name: UnsafeRawBufferPointer, _ lower: String) -> Bool {
        guard name.count == lower.utf8.count else { return false }
        for (a, b) in zip(name, lower.utf8) where (a | 0x20) != b && !(a == b) { return false }
        return true
    }
}
