/// The request headers edged acts on, recognised once while the head is
/// parsed (by length, then a case-insensitive compare) so that nothing later
/// compares header names again.
public enum HeaderKind: UInt8, Sendable, CaseIterable {
    case other
    // Set by edged itself on the forwarded head.
    case host, contentLength, transferEncoding, expect
    // Hop-by-hop (RFC 9110 §7.6.1).
    case connection, keepAlive, te, trailer, upgrade, proxyConnection
    // Credentials: the client key is checked against these and the backend key replaces them.
    case authorization, apiKey, googApiKey
    case anthropicBeta
    // Browser provenance: checked against `clients.allowedOrigins`.
    case origin
    // A CORS preflight's questions, answered by edged for an allowed origin (see `RelayedHead`).
    case accessControlRequestMethod, accessControlRequestHeaders

    /// Classifies a header name.
    @inline(__always)
    public static func of(_ buf: UnsafeRawBufferPointer, _ name: ByteRange) -> HeaderKind {
        switch name.count {
        case 2: return buf.equalsLowercase(name, "te") ? .te : .other
        case 4: return buf.equalsLowercase(name, "host") ? .host : .other
        case 6:
            if buf.equalsLowercase(name, "expect") { return .expect }
            return buf.equalsLowercase(name, "origin") ? .origin : .other
        case 7:
            if buf.equalsLowercase(name, "trailer") { return .trailer }
            return buf.equalsLowercase(name, "upgrade") ? .upgrade : .other
        case 9: return buf.equalsLowercase(name, "x-api-key") ? .apiKey : .other
        case 10:
            if buf.equalsLowercase(name, "connection") { return .connection }
            return buf.equalsLowercase(name, "keep-alive") ? .keepAlive : .other
        case 13: return buf.equalsLowercase(name, "authorization") ? .authorization : .other
        case 14:
            if buf.equalsLowercase(name, "content-length") { return .contentLength }
            if buf.equalsLowercase(name, "anthropic-beta") { return .anthropicBeta }
            return buf.equalsLowercase(name, "x-goog-api-key") ? .googApiKey : .other
        case 16:
            return buf.equalsLowercase(name, "proxy-connection") ? .proxyConnection : .other
        case 17: return buf.equalsLowercase(name, "transfer-encoding") ? .transferEncoding : .other
        case 29: return buf.equalsLowercase(name, "access-control-request-method") ? .accessControlRequestMethod : .other
        case 30: return buf.equalsLowercase(name, "access-control-request-headers") ? .accessControlRequestHeaders : .other
        default: return .other
        }
    }

    /// Never forwarded as received: hop-by-hop, or set by edged itself.
    public var isHopByHopOrOwn: Bool {
        switch self {
        case .host, .contentLength, .transferEncoding, .expect, .connection, .keepAlive, .te, .trailer, .upgrade, .proxyConnection: true
        default: false
        }
    }

    /// Carries a client credential.
    public var isCredential: Bool { self == .authorization || self == .apiKey || self == .googApiKey }
}
