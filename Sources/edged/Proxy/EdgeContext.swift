import Dispatch
import EdgeCore
import Translate
import IPC
import Outbound
import Shared
import Synchronization

/// What every loop's connections share: settings fixed at start, the IPC
/// peers, and the per-loop metrics. Immutable after start.
final class EdgeContext: Sendable {
    let config: Config
    let backend: SocketAddress
    let backendHost: [UInt8]
    let peers: Peers
    /// What the request planner needs, fixed at start.
    let planSettings: PlanSettings
    let startedAt = Monotonic.seconds()
    let loopMetrics: [LoopMetrics]
    let rewrites: RewriteSettings
    let factoryModels: FactoryModels
    /// How Factory calls go out: proxies round-robin per request, CAs (`network.*`).
    let outbound: OutboundNetwork
    /// Credential lookups that need authd (an IPC round trip) run here, one at a
    /// time, never on a loop: a bounded worker, not the global queue.
    let credentialQueue = DispatchQueue(label: "edged-factory-credentials")
    /// Factory requests' User-Agent (follows Factory CLI's releases with `"auto"`).
    let factoryUserAgent: UserAgentSource
    /// Client connections this process owns: accepted or adopted, and not yet
    /// closed or handed to a new generation (a reload waits for 0).
    let liveConnections = Atomic<Int>(0)
    /// Request bytes being read, over all loops (limits.maxBufferedBodyBytes).
    let bufferBudget: BufferBudget
    /// One line a second at most for each kind of refusal.
    let bufferRefusals = RateLimitedLog()
    let connectionRefusals = RateLimitedLog()
    let acceptFailures = RateLimitedLog()
    /// The 503s of limits.maxConnections and limits.maxBufferedBodyBytes, made once.
    let connectionsFullReply: [UInt8]
    let buffersFullReply: [UInt8]
    /// clients.allowedUsers: the uids whose processes may connect (empty: everyone).
    let allowedUIDs: Set<UInt32>
    let userRefusals = RateLimitedLog()
    /// The 403 for a connection from another user, made once.
    let userRefusedReply: [UInt8]

    init(config: Config, peers: Peers, loops: Int, outbound: OutboundNetwork) {
        self.config = config
        self.backend = SocketAddress(host: .v4(UInt32(0x7f00_0001).bigEndian), port: UInt16(config.backend.port))
        self.backendHost = Array(backend.description.utf8)
        self.peers = peers
        self.bufferBudget = BufferBudget(limit: config.limits.maxBufferedBodyBytes)
        self.connectionsFullReply = LocalReply.overloaded(HTTPError(503, "overloaded",
            "edged has its limit of \(config.limits.maxConnections) client connections open (limits.maxConnections); retry shortly"))
        self.buffersFullReply = LocalReply.overloaded(HTTPError(503, "overloaded",
            "edged is holding its limit of \(config.limits.maxBufferedBodyBytes) bytes of request data being read (limits.maxBufferedBodyBytes); retry shortly"))
        self.allowedUIDs = Set(config.clients.allowedUIDs)
        self.userRefusedReply = LocalReply.error(403, type: "permission_error",
            message: "your user may not use this droidgate edge (clients.allowedUsers lists who may); ask its operator", close: true)
        self.loopMetrics = (0..<loops).map { _ in LoopMetrics() }
        var rw = config.rewrites
        // `fast: true` on a backend model puts it in the fast-mode set.
        rw.fastModeModels += config.models.filter { $0.fast && $0.upstream == .backend }.map(\.id)
        self.rewrites = RewriteSettings(rw)
        self.factoryModels = FactoryModels(config: config)
        self.outbound = outbound
        self.factoryUserAgent = UserAgentSource(config: config.factory, outbound: outbound)
        if !factoryModels.isEmpty { factoryUserAgent.start() }
        self.planSettings = PlanSettings(rewrites: rewrites, clientKeys: ClientKeyCheck(configured: config.clients.apiKeyDigests),
                                         browserGuard: BrowserGuard(allowedOrigins: config.clients.allowedOrigins,
                                                                    allowedHosts: config.clients.allowedHosts,
                                                                    listenHost: config.listen.hostForHeader),
                                         isFactoryRequest: Self.factoryRequestCheck(factoryModels))
    }

    /// The planner's Factory test: a path the Factory route serves and a configured Factory model.
    static func factoryRequestCheck(_ models: FactoryModels) -> (@Sendable (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool)? {
        guard !models.isEmpty else { return nil }
        let check: @Sendable (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool = { path, model in
            ClientEndpoint(path: String(decoding: path, as: UTF8.self)) != nil
                && models.lookup(String(decoding: model, as: UTF8.self)) != nil
        }
        return check
    }

    var headerTimeoutNanos: UInt64 { UInt64(config.limits.headerTimeoutSeconds * 1e9) }
    var idleTimeoutNanos: UInt64 { UInt64(config.limits.idleTimeoutSeconds * 1e9) }
    var upstreamTimeoutNanos: UInt64 { UInt64(config.limits.upstreamTimeoutSeconds * 1e9) }
    var holdNanos: UInt64 { UInt64(config.limits.backendHoldSeconds * 1e9) }
}
