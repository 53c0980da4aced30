import Shared

/// Reads HTTP/1.1 requests one after another from a blocking socket:
/// heads up to 64 KiB, bodies by Content-Length or chunked, `Expect: 100-continue`,
/// and pipelined requests (bytes past one request stay buffered for the next).
public final class HTTPRequestReader {
    public enum Outcome {
        case request(HTTPRequest)
        /// The peer closed (or the socket failed) between requests.
        case closed
        /// A request the fake refuses; answer `status` and close.
        case reject(status: Int, message: String)
    }

    public static let maxHeadBytes = 64 << 10

    private let socket: Socket
    private let maxBodyBytes: Int
    private let keepRaw: Bool
    private var buffer: [UInt8] = []
    /// Start of the bytes not yet consumed by a previous request.
    private var consumed = 0
    private var scratch = [UInt8](repeating: 0, count: 64 << 10)

    public init(socket: Socket, maxBodyBytes: Int, keepRaw: Bool) {
        self.socket = socket
        self.maxBodyBytes = maxBodyBytes
        self.keepRaw = keepRaw
    }

    /// Bytes of a further (pipelined) request are already buffered.
    public var hasBufferedBytes: Bool { buffer.count > consumed }

    private struct Failure: Error {
        let status: Int?      // nil: the connection ended, nothing to answer
        let message: String
        static let eof = Failure(status: nil, message: "connection closed")
    }

    /// Reads the next request. `sendContinue` is called when the client asked
    /// for `100 Continue` and its body has not started arriving yet.
    public func next(sendContinue: () -> Void) -> Outcome {
        if consumed > 0 {
            buffer.removeSubrange(0..<consumed)
            consumed = 0
        }
        do {
            return .request(try readRequest(sendContinue: sendContinue))
        } catch let failure {
            guard let status = failure.status else { return .closed }
            return .reject(status: status, message: failure.message)
        }
    }

    /// Appends whatever the socket has (blocking); throws `.eof` at end of stream.
    private func fill() throws(Failure) {
        let n: Int
        do {
            n = try scratch.withMutableBytes { (b) throws(SystemError) in try socket.fd.read(into: b) }
        } catch {
            throw Failure.eof
        }
        if n == 0 { throw Failure.eof }
        buffer.append(contentsOf: scratch[0..<n])
    }

    private func readRequest(sendContinue: () -> Void) throws(Failure) -> HTTPRequest {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        var start = 0
        var scanFrom = 0
        var headEnd: Int
        while true {
            while start + 1 < buffer.count, buffer[start] == 13, buffer[start + 1] == 10 { start += 2 }
            while start < buffer.count, buffer[start] == 10 { start += 1 }
            if let end = findHeadEnd(from: max(start, scanFrom)) {
                headEnd = end
                break
            }
            scanFrom = max(start, buffer.count - 3)
            if buffer.count - start > Self.maxHeadBytes {
                throw Failure(status: 431, message: "request header block larger than 64 KiB")
            }
            do { try fill() } catch {
                if buffer.count > start { throw Failure(status: nil, message: "truncated head") }
                throw error
            }
        }
        if headEnd - start > Self.maxHeadBytes {
            throw Failure(status: 431, message: "request header block larger than 64 KiB")
        }
        let head = try parseHead(buffer[start..<headEnd])
        var cursor = headEnd + 4

        // Body framing.
        let te = head.headers.filter { $0.name.lowercased() == "transfer-encoding" }.map { $0.value.lowercased() }
        let cls = head.headers.filter { $0.name.lowercased() == "content-length" }.map { $0.value.trimming(" \t") }
        let chunked = te.contains { $0.contains("chunked") }
        if !te.isEmpty && !chunked {
            throw Failure(status: 501, message: "unsupported transfer-encoding")
        }
        var contentLength = 0
        if !chunked, let first = cls.first {
            guard cls.allSatisfy({ $0 == first }), let n = Int(first), n >= 0, first.allSatisfy(\.isASCII) else {
                throw Failure(status: 400, message: "invalid Content-Length")
            }
            contentLength = n
            if n > maxBodyBytes { throw Failure(status: 413, message: "request body larger than \(maxBodyBytes) bytes") }
        }
        let hasBody = chunked || contentLength > 0
        let expectsContinue = (head.headers.first { $0.name.lowercased() == "expect" }?.value.lowercased()) == "100-continue"
        if hasBody && expectsContinue && buffer.count <= cursor {
            sendContinue()
        }

        var body: [UInt8] = []
        if chunked {
            body = try readChunkedBody(cursor: &cursor)
        } else if contentLength > 0 {
            buffer.reserveCapacity(cursor + contentLength)
            while buffer.count < cursor + contentLength { try fill() }
            body = Array(buffer[cursor..<cursor + contentLength])
            cursor += contentLength
        }
        let raw = keepRaw ? Array(buffer[start..<cursor]) : []
        consumed = cursor
        return HTTPRequest(method: head.method, target: head.target, version: head.version,
                           headers: head.headers, body: body, raw: raw)
    }

    private func findHeadEnd(from: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var i = from
        while i + 3 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func findCRLF(from: Int) -> Int? {
        var i = from
        while i + 1 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private struct Head {
        let method: String
        let target: String
        let version: String
        let headers: [HTTPHeader]
    }

    private func parseHead(_ bytes: ArraySlice<UInt8>) throws(Failure) -> Head {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3 else { throw Failure(status: 400, message: "malformed request line") }
        let method = String(requestLine[0])
        let target = String(requestLine[1])
        let version = String(requestLine[2])
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter && $0.isASCII }), !target.isEmpty,
              version == "HTTP/1.1" || version == "HTTP/1.0"
        else {
            throw Failure(status: 400, message: "malformed request line")
        }
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  let first = line.first, first != " " && first != "\t"
            else {
                throw Failure(status: 400, message: "malformed header line")
            }
            let name = line[..<colon]
            guard !name.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw Failure(status: 400, message: "malformed header name")
            }
            headers.append(HTTPHeader(name: String(name), value: line[line.index(after: colon)...].trimming(" \t")))
        }
        return Head(method: method, target: target, version: version, headers: headers)
    }

    private func readChunkedBody(cursor: inout Int) throws(Failure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var lineEnd = findCRLF(from: cursor)
            while lineEnd == nil {
                if buffer.count - cursor > 4096 { throw Failure(status: 400, message: "chunk size line too long") }
                try fill()
                lineEnd = findCRLF(from: cursor)
            }
            let line = buffer[cursor..<lineEnd!]
            let sizeText = line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") && $0 != 9 }
            guard !sizeText.isEmpty, sizeText.count <= 15 else { throw Failure(status: 400, message: "malformed chunk size") }
            var size = 0
            for b in sizeText {
                guard let v = hexValue(b) else { throw Failure(status: 400, message: "malformed chunk size") }
                size = size << 4 | Int(v)
            }
            cursor = lineEnd! + 2
            if size == 0 {
                // Trailer fields, then the empty line that ends the message.
                while true {
                    var end = findCRLF(from: cursor)
                    while end == nil {
                        if buffer.count - cursor > Self.maxHeadBytes { throw Failure(status: 431, message: "trailers too large") }
                        try fill()
                        end = findCRLF(from: cursor)
                    }
                    let empty = end! == cursor
                    cursor = end! + 2
                    if empty { return body }
                }
            }
            if body.count + size > maxBodyBytes {
                throw Failure(status: 413, message: "request body larger than \(maxBodyBytes) bytes")
            }
            while buffer.count < cursor + size + 2 { try fill() }
            body.append(contentsOf: buffer[cursor..<cursor + size])
            guard buffer[cursor + size] == 13, buffer[cursor + size + 1] == 10 else {
                throw Failure(status: 400, message: "chunk data not followed by CRLF")
            }
            cursor += size + 2
        }
    }
}
