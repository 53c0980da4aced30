import EdgeCore
import Translate
import IPC
import Shared
import Synchronization

/// What every loop's connections share: settings fixed at start, the IPC
/// peers, and the per-loop metrics. Immutable after start.
final class EdgeContext: Sendable {
    let config: Config
    let backend: SocketAddress
    let backendHost: [UInt8]
    let peers: Peers
    let clientKeyDigests: [[UInt8]]
    let startedAt = Monotonic.seconds()
    let loopMetrics: [LoopMetrics]
    let rewrites: RewriteSettings
    let factoryModels: FactoryModels
    let factorySession: FactorySession
    /// Client connections this process owns: accepted or adopted, and not yet
    /// closed or handed to a new generation (a reload waits for 0).
    let liveConnections = Atomic<Int>(0)

    init(config: Config, peers: Peers, loops: Int) {
        self.config = config
        self.backend = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(config.backend.port))
        self.backendHost = Array(backend.description.utf8)
        self.peers = peers
        self.clientKeyDigests = config.clients.apiKeyDigests.compactMap { ClientKeys.decodeDigest($0) }
        self.loopMetrics = (0..<loops).map { _ in LoopMetrics() }
        var rw = config.rewrites
        // `fast: true` on a backend model puts it in the fast-mode set.
        rw.fastModeModels += config.models.filter { $0.fast && $0.upstream == .backend }.map(\.id)
        self.rewrites = RewriteSettings(rw)
        self.factoryModels = FactoryModels(config: config)
        self.factorySession = FactorySession(timeout: config.factory.timeoutSeconds)
    }

    var headerTimeoutNanos: UInt64 { UInt64(config.limits.headerTimeoutSeconds * 1e9) }
    var idleTimeoutNanos: UInt64 { UInt64(config.limits.idleTimeoutSeconds * 1e9) }
    var upstreamTimeoutNanos: UInt64 { UInt64(config.limits.upstreamTimeoutSeconds * 1e9) }
    var holdNanos: UInt64 { UInt64(config.limits.backendHoldSeconds * 1e9) }
}

/// Client API keys: configured as sha256 digests, checked in constant time.
enum ClientKeys {
    static func decodeDigest(_ s: String) -> [UInt8]? {
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

    /// The key a request carries: `Authorization: Bearer K`, `x-api-key: K` or `x-goog-api-key: K`.
    static func presented(_ buf: UnsafeRawBufferPointer, _ head: RequestHead) -> ByteRange? {
        for h in head.headers {
            if buf.equalsLowercase(h.name, "authorization") {
                let v = h.value
                if v.count > 7 && buf.equalsLowercase(ByteRange(v.start, v.start + 7), "bearer ") {
                    var s = v.start + 7
                    while s < v.end && buf[s] == 0x20 { s += 1 }
                    return ByteRange(s, v.end)
                }
            } else if buf.equalsLowercase(h.name, "x-api-key") || buf.equalsLowercase(h.name, "x-goog-api-key") {
                return h.value
            }
        }
        return nil
    }

    static func isAllowed(_ buf: UnsafeRawBufferPointer, _ head: RequestHead, digests: [[UInt8]]) -> Bool {
        guard let key = presented(buf, head), !key.isEmpty else { return false }
        let digest = SHA256.hash(UnsafeRawBufferPointer(rebasing: buf[key.start..<key.end]))
        var ok = false
        for d in digests where constantTimeEquals(d, digest) { ok = true }
        return ok
    }
}
