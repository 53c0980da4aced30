// The config's sections that are plain values (no addresses, proxies or log
// levels): what the pure modules (EdgeCore, Translate) may be given. `Config`
// itself, which holds those system types too, is in Shared.

public struct PathsConfig: Sendable {
    public var runtimeDir: String = "/run/droidgate"
    public var stateDir: String = "/var/lib/droidgate"

    public init() {}
}

public struct ClientsConfig: Sendable {
    /// "sha256:<hex>" digests of the API keys clients must present (empty: no key needed,
    /// which is only allowed on a loopback listener).
    public var apiKeyDigests: [String] = []
    /// Web origins (`scheme://host[:port]`) whose pages may call edged; a request
    /// with any other `Origin` header is refused (browsers always send one on a
    /// cross-site request, SDKs and CLIs never do).
    public var allowedOrigins: [String] = []
    /// Host names clients may use besides loopback names and addresses and the
    /// listen address (a DNS-rebinding page sends its own name as `Host`).
    public var allowedHosts: [String] = []
    /// The local users (`clients.allowedUsers`: names or uids, resolved when
    /// the config is read) whose processes may use the edge; empty: every
    /// local user. edged asks the kernel who owns each loopback connection
    /// (`SocketOwner`) and refuses the others with 403.
    public var allowedUIDs: [UInt32] = []
    /// Where edged also listens on a Unix socket (`clients.unixSocket`, mode
    /// 0666; peers checked by SO_PEERCRED against allowedUIDs), when no
    /// such socket is passed to it (the unit set passes /run/droidgate/edge.sock).
    public var unixSocket: String? = nil

    public init() {}
}

public struct LimitsConfig: Sendable {
    public var maxBodyBytes = 64 << 20
    public var headerTimeoutSeconds = 10.0
    public var idleTimeoutSeconds = 75.0
    public var upstreamTimeoutSeconds = 600.0
    public var backendHoldSeconds = 5.0
    public var drainTimeoutSeconds = 30.0
    /// Client connections edged keeps open at once, over all its loops; a
    /// connection past it gets a 503 (Retry-After) and is closed.
    public var maxConnections = 4096
    /// Bytes edged may hold for request bodies being read, over all
    /// connections and loops (each connection's first 64 KiB, enough for a
    /// head and a small body, do not count); a request that would need more
    /// gets a 503.
    public var maxBufferedBodyBytes = 256 << 20
    /// The slowest average rate a request body may arrive at: the whole body
    /// must be in within headerTimeoutSeconds + its length / this rate.
    public var minBodyBytesPerSecond = 16384

    public init() {}
}

public struct BackendConfig: Sendable {
    /// The cli-proxy-api executable (absolute path or a name looked up on PATH).
    public var command: String = "cli-proxy-api"
    public var port = 8318
    /// SIGTERM → SIGKILL grace. cli-proxy-api drains in-flight streams for up
    /// to 30 s after SIGTERM (sdk/cliproxy/service_lifecycle.go): wait longer.
    public var stopTimeoutSeconds = 40.0
    public var extraConfig = JSONObject()
    /// edged sends to the backend's port only what supervisord says is its
    /// own child's listener. false: edged runs without supervisord and
    /// forwards to whatever listens there (a backend you run yourself; then
    /// anyone who can bind that port while it is down gets the requests).
    public var supervised = true
    /// `-local-model`: the backend's embedded model catalog only. Default off,
    /// as cli-proxy-api itself: it then refreshes its catalog from the network
    /// every 3 h, so a model released after the binary was built is known.
    public var localModel = false
    /// Rendered as cli-proxy-api's `proxy-url`: the first of `network.proxies`
    /// (set by the loader), unless `extraConfig` sets its own.
    public var proxyURL: String? = nil

    /// Top-level keys of cli-proxy-api's config.yaml that droidgate writes
    /// itself; `backend.extraConfig` may not set them.
    public static let managedKeys: Set<String> = [
        "host", "port", "auth-dir", "api-keys", "remote-management", "request-retry",
        "routing", "quota-exceeded", "oauth-excluded-models",
    ]

    public init() {}
}

public struct AuthConfig: Sendable {
    public var workosBaseURL = "https://api.workos.com"
    public var clientID = "client_01HNM792M5G5G1A2THWPXKFMXB"
    /// How long a WorkOS call may take before it counts as failed.
    public var timeoutSeconds = 30.0
    /// From FACTORY_API_KEY (never from the file).
    public var factoryAPIKey: String? = nil
    /// From DROID_REFRESH_KEY (never from the file).
    public var refreshTokenSeed: String? = nil

    public init() {}
}

/// One Droid CLI custom model (`droid.models[]`).
public struct DroidModel: Sendable, Equatable {
    public var model: String
    public var displayName: String
    /// anthropic | openai | generic-chat-completion-api
    public var provider: String
    public var maxOutputTokens: Int
    public var reasoningEfforts: [String]
    public var defaultReasoningEffort: String?
    public var noImageSupport: Bool

    public static let providers = ["anthropic", "openai", "generic-chat-completion-api"]

    public init(model: String, displayName: String, provider: String, maxOutputTokens: Int,
                reasoningEfforts: [String], defaultReasoningEffort: String?, noImageSupport: Bool) {
        self.model = model
        self.displayName = displayName
        self.provider = provider
        self.maxOutputTokens = maxOutputTokens
        self.reasoningEfforts = reasoningEfforts
        self.defaultReasoningEffort = defaultReasoningEffort
        self.noImageSupport = noImageSupport
    }

    /// The built-in catalog (`droidgate droid install --builtin`): current models
    /// of each login droidgate supports, from cli-proxy-api's embedded catalog
    /// (CLIProxyAPI internal/registry/models/models.json, a7e3596): claude, codex,
    /// antigravity, kimi, xai. Each entry matches what droidgate's model-family
    /// table gives the same id, so a live install registers these identically.
    public static let defaults: [DroidModel] = {
        let adaptive = ["low", "medium", "high", "xhigh", "max"]
        let budget = ["low", "medium", "high"]
        func m(_ model: String, _ name: String, _ provider: String, _ out: Int, _ efforts: [String], _ def: String?) -> DroidModel {
            DroidModel(model: model, displayName: name + " (droidgate)", provider: provider, maxOutputTokens: out,
                       reasoningEfforts: efforts, defaultReasoningEffort: def, noImageSupport: false)
        }
        let chat = "generic-chat-completion-api"
        return [
            m("claude-opus-5", "Claude Opus 5", "anthropic", 128000, adaptive, "high"),
            m("claude-sonnet-5", "Claude Sonnet 5", "anthropic", 128000, adaptive, "high"),
            m("claude-opus-4-8", "Claude Opus 4.8", "anthropic", 128000, adaptive, "high"),
            m("claude-sonnet-4-6", "Claude Sonnet 4.6", "anthropic", 64000, ["low", "medium", "high", "max"], "high"),
            m("gpt-5.6-sol", "GPT-5.6 Sol", "openai", 128000, adaptive, "medium"),
            m("gpt-5.6-terra", "GPT-5.6 Terra", "openai", 128000, adaptive, "medium"),
            m("gpt-5.5", "GPT-5.5", "openai", 128000, ["low", "medium", "high", "xhigh"], "medium"),
            m("claude-opus-4-6-thinking", "Claude Opus 4.6 Thinking", "anthropic", 64000, budget, "high"),
            m("gemini-pro-agent", "Gemini 3.1 Pro High", chat, 65535, budget, "high"),
            m("gemini-3-flash-agent", "Gemini 3.5 Flash High", chat, 65536, ["minimal", "low", "medium", "high"], "high"),
            m("kimi-k3", "Kimi K3", chat, 65536, ["low", "high", "max"], "high"),
            m("grok-4.6", "Grok 4.6", chat, 65536, ["low", "medium", "high", "xhigh"], "high"),
        ]
    }()
}

/// Factory's LLM API (README, "The Factory route").
public struct FactoryConfig: Sendable {
    public var baseURL = "https://api.factory.ai"
    /// Prepended to every Factory request's system prompt ("" = none).
    public var systemPrompt = ""
    /// `"auto"`: Factory CLI's current version, read from `latestVersionURL` at
    /// start and hourly (as droid2api does); any other string pins the header.
    public var userAgent = "auto"
    /// Where `userAgent: "auto"` reads the current Factory CLI version.
    public var latestVersionURL = "https://downloads.factory.ai/factory-cli/LATEST"
    /// How long to wait for Factory's response head (the stream itself may run longer).
    public var timeoutSeconds = 600.0

    public init() {}
}

/// One `models[]` entry.
public struct ModelEntry: Sendable, Equatable {
    public enum Upstream: String, Sendable { case factory, backend }
    public var id: String
    public var upstream: Upstream
    /// anthropic | openai | common | google (Factory models).
    public var type: String
    /// Sent as x-api-provider.
    public var provider: String
    public var reasoning: ReasoningLevel
    public var fast: Bool
    /// The model name sent upstream (default: id).
    public var upstreamModel: String

    public static let types = ["anthropic", "openai", "common", "google"]

    public init(id: String, upstream: Upstream, type: String, provider: String, reasoning: ReasoningLevel, fast: Bool, upstreamModel: String) {
        self.id = id
        self.upstream = upstream
        self.type = type
        self.provider = provider
        self.reasoning = reasoning
        self.fast = fast
        self.upstreamModel = upstreamModel
    }
}

/// The backend route's byte-splice rules (README, "The request path and its rewrites").
public struct RewritesConfig: Sendable {
    public var modelAliases: [(String, String)] = [
        ("ag-c46s-thinking", "claude-sonnet-4-6"),
        ("ag-c46o-thinking", "claude-opus-4-6-thinking"),
    ]
    public var fastModeModels: [String] = []
    /// Betas appended to `anthropic-beta` of Claude requests that turn thinking
    /// on. None by default: today's cli-proxy-api forwards the list as sent (a
    /// beta such as fast mode can change what the user pays, and an account's
    /// requests no longer look like its client's), and the display splice is
    /// what makes thinking visible. For a backend that does not honour
    /// `thinking.display` and shows thinking only under the Claude Code betas,
    /// set them here (`visibleThinkingBetasOfTheSpec` is the spec's list).
    public var visibleThinkingBetas: [String] = []
    public static let visibleThinkingBetasOfTheSpec = [
        "claude-code-20250219", "oauth-2025-04-20", "interleaved-thinking-2025-05-14",
        "context-management-2025-06-27", "prompt-caching-scope-2026-01-05",
        "structured-outputs-2025-12-15", "fast-mode-2026-02-01", "token-efficient-tools-2026-03-28",
    ]
    public var stripBetaPrefixes: [String] = []
    /// `thinking.display` spliced into Claude requests that turn thinking on
    /// without saying how it is shown; "" turns the rule off.
    public var thinkingDisplay = "summarized"

    public init() {}
}

public struct EdgedConfig: Sendable {
    /// Event-loop threads; 0 means one per core.
    public var workers = 0

    public init() {}
}
