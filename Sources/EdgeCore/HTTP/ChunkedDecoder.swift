/// Incremental decoder for a chunked request body (RFC 9112 §7.1). Feed it
/// the raw bytes as they arrive; it appends the payload to `body` and says
/// when the last chunk and trailers have been read. Chunk extensions and
/// trailers are accepted and dropped (bounded in size).
public struct ChunkedDecoder: Sendable {
    enum State: Sendable {
        case size            // reading hex digits
        case sizeExtension   // after ';' until CRLF
        case sizeLF
        case data(Int)       // bytes left in this chunk
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF(last: Bool)
        case done
    }

    private var state: State = .size
    private var size = 0
    private var sizeDigits = 0
    private var lineBytes = 0
    private var trailerBytes = 0
    public private(set) var isComplete = false
    public let maxBody: Int
    /// False: only track framing (relaying a response), do not copy the payload.
    public let collectsPayload: Bool
    private var payloadCount = 0

    static let maxLine = 4096
    static let maxTrailers = 16 * 1024
    /// Chunk extensions in one body, all together (each line is also bounded by `maxLine`).
    static let maxExtensionBytes = 16 * 1024
    private var extensionBytes = 0
    /// Raw bytes read (sizes, extensions, CRLFs, payload, trailers): bounded by
    /// `maxBody` plus `framingAllowance`, so framing cannot cost more than the limit says.
    public private(set) var rawCount = 0
    public var framingAllowance: Int { 64 * 1024 + maxBody / 16 }

    public init(maxBody: Int, collectsPayload: Bool = true) {
        self.maxBody = maxBody
        self.collectsPayload = collectsPayload
    }

    /// Consumes `input`, appending payload bytes to `body`. Returns how many
    /// input bytes were used (less than all once the body is complete: the
    /// rest belongs to the next pipelined request).
    public mutating func decode(_ input: UnsafeRawBufferPointer, into body: inout [UInt8]) throws(HTTPError) -> Int {
        let used = try decodeFraming(input, into: &body)
        rawCount += used
        if collectsPayload && rawCount > maxBody + framingAllowance {
            throw HTTPError(413, "request_too_large",
                            "chunked request body exceeds the \(maxBody)-byte limit (limits.maxBodyBytes) with its chunk framing")
        }
        return used
    }

    private mutating func decodeFraming(_ input: UnsafeRawBufferPointer, into body: inout [UInt8]) throws(HTTPError) -> Int {
        var i = 0
        let n = input.count
        while i < n {
            switch state {
            case .done:
                return i
            case .size:
                let c = input[i]
                if let v = hexValue(c) {
                    sizeDigits += 1
                    guard sizeDigits <= 15 else { throw .badRequest("chunk size too large") }
                    size = size << 4 | v
                    i += 1
                } else if sizeDigits == 0 {
                    throw .badRequest("invalid chunk size")
                } else if c == UInt8(ascii: ";") || c == 0x20 || c == 0x09 {
                    state = .sizeExtension
                    lineBytes = 0
                    i += 1
                } else if c == 0x0d {
                    state = .sizeLF
                    i += 1
                } else {
                    throw .badRequest("invalid chunk size")
                }
            case .sizeExtension:
                let c = input[i]
                lineBytes += 1
                extensionBytes += 1
                if lineBytes > Self.maxLine { throw .badRequest("chunk extension too long") }
                if collectsPayload && extensionBytes > Self.maxExtensionBytes { throw .badRequest("chunk extensions exceed \(Self.maxExtensionBytes) bytes in one body") }
                if c == 0x0d { state = .sizeLF }
                else if c == 0x0a || c == 0 { throw .badRequest("invalid chunk extension") }
                i += 1
            case .sizeLF:
                guard input[i] == 0x0a else { throw .badRequest("chunk size line must end with CRLF") }
                i += 1
                if size == 0 {
                    state = .trailerLineStart
                } else {
                    if payloadCount + size > maxBody { throw .bodyTooLarge(maxBody) }
                    payloadCount += size
                    state = .data(size)
                }
                size = 0
                sizeDigits = 0
            case .data(let left):
                let take = min(left, n - i)
                if collectsPayload { body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<(i + take)])) }
                i += take
                state = take == left ? .dataCR : .data(left - take)
            case .dataCR:
                guard input[i] == 0x0d else { throw .badRequest("chunk data must be followed by CRLF") }
                state = .dataLF
                i += 1
            case .dataLF:
                guard input[i] == 0x0a else { throw .badRequest("chunk data must be followed by CRLF") }
                state = .size
                i += 1
            case .trailerLineStart:
                let c = input[i]
                i += 1
                if c == 0x0d { state = .trailerLF(last: true) }
                else { state = .trailerLine; trailerBytes += 1 }
            case .trailerLine:
                let c = input[i]
                i += 1
                trailerBytes += 1
                if trailerBytes > Self.maxTrailers { throw .badRequest("chunked trailers too large") }
                if c == 0x0d { state = .trailerLF(last: false) }
                else if c == 0x0a || c == 0 { throw .badRequest("invalid trailer line") }
            case .trailerLF(let last):
                guard input[i] == 0x0a else { throw .badRequest("trailer line must end with CRLF") }
                i += 1
                if last {
                    state = .done
                    isComplete = true
                    return i
                }
                state = .trailerLineStart
            }
        }
        return i
    }

    @inline(__always) private func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }
}
