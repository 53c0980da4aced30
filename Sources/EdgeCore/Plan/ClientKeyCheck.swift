import Values

/// Client API keys (`clients.apiKeys`): configured as sha256 digests, so the
/// keys themselves are never in edged's memory; a presented key is hashed and
/// compared with every digest in constant time.
public struct ClientKeyCheck: Sendable {
    public let digests: [[UInt8]]

    public init(digests: [[UInt8]]) { self.digests = digests }

    /// From the config's `sha256:<64 hex>` strings; malformed entries are skipped
    /// (the config loader refuses them before edged starts).
    public init(configured: [String]) { self.init(digests: configured.compactMap(Self.decodeDigest)) }

    /// No keys configured: every client is let in.
    public var isOpen: Bool { digests.isEmpty }

    public static func decodeDigest(_ s: String) -> [UInt8]? {
        guard s.hasPrefix("sha256:") else { return nil }
        let hex = Array(s.utf8.dropFirst(7))
        guard hex.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// Whether `key` is one of the configured client keys (a droidgate key, never a Factory one).
    public func isClientKey(_ key: UnsafeRawBufferPointer) -> Bool {
        guard !isOpen, key.count > 0 else { return false }
        let digest = SHA256.hash(key)
        var hit = false
        for d in digests where constantTimeEquals(d, digest) { hit = true }
        return hit
    }

    /// Whether the request may pass: no keys configured, or one of its
    /// credential headers presents a configured key (a client may send its
    /// own Factory key as `Authorization` and droidgate's as `x-api-key`).
    public func admits(_ buf: UnsafeRawBufferPointer, _ head: RequestHead) -> Bool {
        if isOpen { return true }
        for h in head.headers where h.kind.isCredential {
            if let key = Self.key(buf, h), isClientKey(buf.slice(key)) { return true }
        }
        return false
    }

    /// The key in one credential header: an `Authorization` bearer's token, or the whole value.
    public static func key(_ buf: UnsafeRawBufferPointer, _ h: RequestHead.Header) -> ByteRange? {
        guard h.kind == .authorization else { return h.value }
        let v = h.value
        guard v.count > 7, buf.equalsLowercase(ByteRange(v.start, v.start + 7), "bearer ") else { return nil }
        var s = v.start + 7
        while s < v.end && buf[s] == 0x20 { s += 1 }
        return ByteRange(s, v.end)
    }
}
