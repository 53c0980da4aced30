/// Writes the request head edged sends to the backend, applying a
/// `RequestPlan`: the client's request line (with the planned target) and the
/// client's headers in their order and casing, minus hop-by-hop headers, with
/// `Host` set to the backend, an exact `Content-Length`, the credential and
/// Anthropic-Beta edits. One pass over the headers, into a reused array.
public enum ForwardHeadWriter {
    /// Clears `out` and writes the head into it.
    public static func write(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, _ plan: RequestPlan,
                             host: [UInt8], backendKey: [UInt8]?, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        // Request line: method SP target SP version
        out.append(contentsOf: buf.slice(head.method))
        out.append(0x20)
        if let target = plan.rewrite.target { out.append(contentsOf: target) } else { out.append(contentsOf: buf.slice(head.target)) }
        out.append(contentsOf: buf.slice(ByteRange(head.target.end, head.requestLine.end)))
        out.append(0x0d); out.append(0x0a)

        let replaceKey: [UInt8]? = plan.credential == .keep ? nil : backendKey
        let dropBetas: Bool
        if case .replace = plan.rewrite.beta { dropBetas = true } else { dropBetas = false }
        var wroteHost = false
        var wroteLength = false
        for h in head.headers {
            if h.isHopByHop {
                // Host and Content-Length are written where the client had them.
                if h.kind == .host && !wroteHost {
                    appendHeader("Host", host, into: &out)
                    wroteHost = true
                } else if (h.kind == .contentLength || h.kind == .transferEncoding) && !wroteLength, let n = plan.bodyLength {
                    appendContentLength(n, into: &out)
                    wroteLength = true
                }
                continue
            }
            if h.kind == .anthropicBeta && dropBetas { continue }
            if h.kind.isCredential, let key = replaceKey {
                out.append(contentsOf: buf.slice(h.name))
                out.append(0x3a); out.append(0x20)
                if h.kind == .authorization { appendLiteral("Bearer ", into: &out) }
                out.append(contentsOf: key)
                out.append(0x0d); out.append(0x0a)
                continue
            }
            out.append(contentsOf: buf.slice(h.line))
        }
        if !wroteHost { appendHeader("Host", host, into: &out) }
        if !wroteLength, let n = plan.bodyLength { appendContentLength(n, into: &out) }
        if case .backendKey(append: true) = plan.credential, let key = replaceKey {
            appendLiteral("Authorization: Bearer ", into: &out)
            out.append(contentsOf: key)
            out.append(0x0d); out.append(0x0a)
        }
        if plan.upgrade {
            // The client's own Connection and Upgrade are hop-by-hop: edged asks for itself.
            appendLiteral("Connection: Upgrade\r\nUpgrade: websocket\r\n", into: &out)
        }
        if case .replace(let value?) = plan.rewrite.beta {
            appendLiteral("Anthropic-Beta: ", into: &out)
            out.append(contentsOf: value.utf8)
            out.append(0x0d); out.append(0x0a)
        }
        out.append(0x0d); out.append(0x0a)
    }

    @inline(__always)
    public static func appendLiteral(_ s: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    static func appendHeader(_ name: StaticString, _ value: [UInt8], into out: inout [UInt8]) {
        appendLiteral(name, into: &out)
        out.append(0x3a); out.append(0x20)
        out.append(contentsOf: value)
        out.append(0x0d); out.append(0x0a)
    }

    /// `Content-Length: n` with the digits written in place (no String per request).
    @inline(__always)
    public static func appendContentLength(_ n: Int, into out: inout [UInt8]) {
        appendLiteral("Content-Length: ", into: &out)
        appendDecimal(n, into: &out)
        out.append(0x0d); out.append(0x0a)
    }

    /// A non-negative integer's decimal digits.
    @inline(__always)
    public static func appendDecimal(_ n: Int, into out: inout [UInt8]) {
        var divisor = 1
        while divisor <= n / 10 { divisor *= 10 }
        var rest = n
        while divisor > 0 {
            out.append(UInt8(0x30 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes of a range, without a copy.
    @inline(__always)
    public func slice(_ r: ByteRange) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[r.start..<r.end])
    }
}
