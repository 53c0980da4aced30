/// Builds the request head edged sends upstream: the client's request line
/// (with a possibly rewritten target) and the client's headers in their order
/// and casing, minus hop-by-hop headers, with `Host` set to the backend and an
/// exact `Content-Length`.
public enum ForwardHead {
    /// Headers that describe one connection, not the request (RFC 9110 §7.6.1),
    /// plus those edged sets itself.
    @inline(__always)
    static func isDropped(_ buf: UnsafeRawBufferPointer, _ name: ByteRange) -> Bool {
        switch name.count {
        case 2: return buf.equalsLowercase(name, "te")
        case 4: return buf.equalsLowercase(name, "host")
        case 6: return buf.equalsLowercase(name, "expect")
        case 7: return buf.equalsLowercase(name, "trailer") || buf.equalsLowercase(name, "upgrade")
        case 10: return buf.equalsLowercase(name, "connection") || buf.equalsLowercase(name, "keep-alive")
        case 14: return buf.equalsLowercase(name, "content-length")
        case 16: return buf.equalsLowercase(name, "proxy-connection")
        case 17: return buf.equalsLowercase(name, "transfer-encoding")
        default: return false
        }
    }

    /// A replacement for one header's value (e.g. the backend's API key for `Authorization`).
    public struct Replacement {
        public let lowercaseName: StaticString
        public let value: [UInt8]
        public init(_ lowercaseName: StaticString, _ value: [UInt8]) {
            self.lowercaseName = lowercaseName
            self.value = value
        }
    }

    /// Appends the upstream head to `out` (cleared first).
    /// - target: the request target to send (nil: the client's).
    /// - bodyLength: nil when the request carries no body and had no framing headers.
    public static func build(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, target: [UInt8]? = nil,
                             host: [UInt8], bodyLength: Int?, replacing: [Replacement] = [],
                             omitting: (ByteRange) -> Bool = { _ in false },
                             appending extra: [UInt8] = [], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        // Request line: method SP target SP version
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[head.method.start..<head.method.end]))
        out.append(0x20)
        if let target { out.append(contentsOf: target) }
        else { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[head.target.start..<head.target.end])) }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[head.target.end..<head.requestLine.end]))
        out.append(0x0d); out.append(0x0a)

        // Tokens listed in Connection name more hop-by-hop headers.
        var connectionListed: [ByteRange] = []
        for h in head.headers where buf.equalsLowercase(h.name, "connection") {
            RequestParser.forEachToken(buf, h.value) { connectionListed.append($0) }
        }
        var wroteHost = false
        var wroteLength = false
        for h in head.headers {
            if isDropped(buf, h.name) {
                if !wroteHost && buf.equalsLowercase(h.name, "host") {
                    appendHeader("Host", host, into: &out)
                    wroteHost = true
                } else if !wroteLength, let n = bodyLength, buf.equalsLowercase(h.name, "content-length") || buf.equalsLowercase(h.name, "transfer-encoding") {
                    appendContentLength(n, into: &out)
                    wroteLength = true
                }
                continue
            }
            if !connectionListed.isEmpty && connectionListed.contains(where: { sameName(buf, $0, h.name) }) { continue }
            if omitting(h.name) { continue }
            if let r = replacing.first(where: { buf.equalsLowercase(h.name, $0.lowercaseName) }) {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[h.name.start..<h.name.end]))
                out.append(contentsOf: [0x3a, 0x20])
                out.append(contentsOf: r.value)
                out.append(0x0d); out.append(0x0a)
                continue
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[h.line.start..<h.line.end]))
        }
        if !wroteHost { appendHeader("Host", host, into: &out) }
        if !wroteLength, let n = bodyLength { appendContentLength(n, into: &out) }
        out.append(contentsOf: extra)
        out.append(0x0d); out.append(0x0a)
    }

    @inline(__always)
    static func appendHeader(_ name: StaticString, _ value: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: [0x3a, 0x20])
        out.append(contentsOf: value)
        out.append(0x0d); out.append(0x0a)
    }

    /// `Content-Length: n` with the digits written in place (no String per request).
    @inline(__always)
    static func appendContentLength(_ n: Int, into out: inout [UInt8]) {
        let name: StaticString = "Content-Length: "
        out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        if n == 0 {
            out.append(0x30)
        } else {
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            var v = n
            withUnsafeMutableBytes(of: &digits) { d in
                while v > 0 {
                    d[count] = UInt8(0x30 + v % 10)
                    v /= 10
                    count += 1
                }
                for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
            }
        }
        out.append(0x0d); out.append(0x0a)
    }

    static func sameName(_ buf: UnsafeRawBufferPointer, _ a: ByteRange, _ b: ByteRange) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            var x = buf[a.start + i], y = buf[b.start + i]
            if x >= 0x41 && x <= 0x5a { x |= 0x20 }
            if y >= 0x41 && y <= 0x5a { y |= 0x20 }
            if x != y { return false }
        }
        return true
    }
}
