/// droidgate's configuration: one JSON file (default /etc/droidgate/droidgate.json),
/// every key optional, unknown keys rejected. Each daemon reads the sections it needs.
/// Factory's secrets never live in the file: they come from the environment (or
/// systemd credentials) and are held only by authd. The file may hold a proxy
/// password or a backend secret only when it is not readable by every user
/// (`ConfigSecrets`).
public struct Config: Sendable {
    public var file: String?                 // nil when running on built-in defaults
    public var listen: SocketAddress
    public var logLevel: Log.Level
    public var paths: PathsConfig
    public var clients: ClientsConfig
    public var limits: LimitsConfig
    public var backend: BackendConfig
    public var auth: AuthConfig
    public var edged: EdgedConfig
    public var rewrites: RewritesConfig
    public var factory: FactoryConfig
    public var network: NetworkConfig
    /// Models droidgate knows by name; a model not listed goes to the backend.
    public var models: [ModelEntry]
    /// Client model names replaced by another configured model's name (before routing).
    public var modelRedirects: [(String, String)]
    /// What `droidgate droid install` registers in Droid CLI's settings.
    public var droidModels: [DroidModel]

    /// Environment variables that carry secrets (read by the loader into
    /// `auth`): only authd is given them, and it scrubs them once read.
    public static let secretEnvironment = ["FACTORY_API_KEY", "DROID_REFRESH_KEY"]

    public static let defaultListen = SocketAddress(parsing: "127.0.0.1:8317")!
    public static let defaultPath = "/etc/droidgate/droidgate.json"
}

/// How droidgate's own calls to Factory and WorkOS go out (`network.*`). The
/// daemons ignore proxy variables in their environment: this is the only
/// way, and it is explicit.
public struct NetworkConfig: Sendable {
    /// Used round-robin, one per request (droid2api's `proxies`,
    /// proxy-manager.js): each is an HTTP or HTTPS proxy that accepts CONNECT.
    public var proxies: [ProxyURL] = []
    /// Hosts reached directly even when proxies are set.
    public var noProxy = NoProxyList([])
    /// A PEM bundle of the CAs to trust for Factory, WorkOS and HTTPS proxies
    /// (a private CA or a TLS-inspecting proxy); nil: the system's.
    public var caFile: String? = nil

    public init() {}
}

extension Config {
    /// Why listening on `address` is not allowed, if it is not: a listener
    /// reachable from other hosts needs client API keys.
    public func exposureProblem(listeningOn address: SocketAddress) -> String? {
        guard !address.isLoopback, clients.apiKeyDigests.isEmpty else { return nil }
        return "refusing to listen on \(address), which is not a loopback address, without client API keys; set clients.apiKeys in the config (sha256 digests of the keys clients will send) or listen on 127.0.0.1"
    }
}
