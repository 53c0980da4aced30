/// The config.yaml keys the real cli-proxy-api reads: its `yaml:"…"` struct
/// tags at commit a7e3596 — `internal/config/config.go` (Config),
/// `internal/config/sdk_config.go` (SDKConfig, inlined into Config),
/// `internal/config/config_types.go` (the nested structs and the per-key list
/// entries), `credential_concurrency.go`, `credential_in_flight.go`,
/// `vertex_compat.go`. yaml.v3 ignores every other key without a word; the fake
/// reports them (`unknown_keys` in /_fake/stats) so tests can see a key that
/// has no effect (`request-timeout` never existed). `home` is `yaml:"-"`.
///
/// Free-form maps (`oauth-excluded-models`, `headers`, `params`, plugin
/// `configs` …) accept any key; fields typed `any`/`yaml.Node` are not checked.
indirect enum ConfigKeys: Sendable {
    /// A value whose inner keys are not checked.
    case any
    /// A struct: exactly these keys.
    case fields([String: ConfigKeys])
    /// A list whose items are `schema`.
    case list(ConfigKeys)

    /// Dotted paths of the keys in `node` that `self` does not have, sorted.
    /// List items are not numbered: `claude-api-key.foo` is a `foo` in any entry.
    func unknownKeys(in node: YAMLNode, prefix: String = "") -> [String] {
        var out: Set<String> = []
        collect(node, prefix, &out)
        return out.sorted()
    }

    private func collect(_ node: YAMLNode, _ prefix: String, _ out: inout Set<String>) {
        switch (self, node) {
        case (.fields(let known), .map(let entries)):
            for (key, value) in entries {
                let path = prefix.isEmpty ? key : prefix + "." + key
                guard let schema = known[key] else {
                    out.insert(path)
                    continue
                }
                schema.collect(value, path, &out)
            }
        case (.list(let item), .list(let items)):
            for i in items { item.collect(i, prefix, &out) }
        default:
            break
        }
    }

    static func keys(_ names: [String], _ nested: [String: ConfigKeys] = [:]) -> ConfigKeys {
        var all: [String: ConfigKeys] = [:]
        for n in names { all[n] = .any }
        for (k, v) in nested { all[k] = v }
        return .fields(all)
    }

    // MARK: The real structs

    /// `models` entries of the API-key lists (ClaudeModel, CodexModel, GeminiModel).
    static let modelEntry = keys(["name", "alias", "display-name", "max-context-length", "force-mapping", "is-compat", "thinking"])
    static let scopedErrorRule = keys(["status", "match", "match-regexr", "action"])   // RequestScopedErrorRule

    /// ClaudeKey.
    static let claudeKey = keys([
        "api-key", "priority", "weight", "prefix", "base-url", "proxy-url", "headers", "excluded-models",
        "rebuild-mid-system-message", "disable-cooling", "request-retry", "fingerprint-profile", "experimental-cch-signing",
    ], [
        "models": .list(modelEntry), "request-scoped-errors": .list(scopedErrorRule),
        "cloak": keys(["mode", "strict-mode", "sensitive-words", "cache-user-id"]),   // CloakConfig
    ])

    /// CodexKey (XAIKey is the same type).
    static let codexKey = keys([
        "api-key", "priority", "weight", "prefix", "base-url", "websockets", "alpha-search", "proxy-url", "headers",
        "excluded-models", "disable-cooling", "request-retry",
    ], ["models": .list(modelEntry), "request-scoped-errors": .list(scopedErrorRule)])

    /// GeminiKey (also `interactions-api-key`).
    static let geminiKey = keys([
        "api-key", "priority", "weight", "prefix", "base-url", "proxy-url", "headers", "excluded-models",
        "disable-cooling", "request-retry",
    ], ["models": .list(modelEntry), "request-scoped-errors": .list(scopedErrorRule)])

    /// VertexCompatKey.
    static let vertexKey = keys([
        "api-key", "priority", "weight", "prefix", "base-url", "proxy-url", "headers", "excluded-models",
        "disable-cooling", "request-retry",
    ], ["models": .list(keys(["name", "alias", "display-name", "force-mapping", "thinking"]))])   // VertexCompatModel

    /// OpenAICompatibility.
    static let openAICompatibility = keys([
        "name", "priority", "disabled", "prefix", "base-url", "headers", "support-prompt-cache-key",
        "disable-cooling", "request-retry",
    ], [
        "api-key-entries": .list(keys(["api-key", "weight", "proxy-url"])),
        "models": .list(keys(["name", "alias", "display-name", "max-context-length", "force-mapping", "image",
                              "input-modalities", "output-modalities", "is-compat", "thinking"])),
        "request-scoped-errors": .list(scopedErrorRule),
    ])

    static let payloadModelRule = keys(["name", "protocol", "headers", "from-protocol", "match", "not-match", "exist", "not-exist"])
    static let payloadRule = keys(["params"], ["models": .list(payloadModelRule)])

    /// Config, with SDKConfig's keys inlined.
    static let root = keys([
        // SDKConfig (sdk_config.go)
        "proxy-url", "disable-image-generation", "gpt-image-2-base-model", "video-result-auth-cache-ttl",
        "force-model-prefix", "request-log", "api-keys", "passthrough-headers", "nonstream-keepalive-interval",
        // Config (config.go)
        "host", "port", "auth-dir", "debug", "commercial-mode", "logging-to-file", "logs-max-total-size-mb",
        "error-logs-max-files", "usage-statistics-enabled", "redis-usage-queue-retention-seconds", "disable-cooling",
        "save-cooldown-status", "transient-error-cooldown-seconds", "auth-auto-refresh-workers", "request-retry",
        "max-retry-credentials", "max-retry-interval", "ws-auth", "antigravity-signature-cache-enabled",
        "antigravity-signature-bypass-strict", "disable-claude-cloak-mode", "oauth-excluded-models",
        "oauth-model-alias", "oauth-request-scoped-errors",
    ], [
        "claude-code": keys(["disable-cloaking-model-list"]),
        "streaming": keys(["keepalive-seconds", "bootstrap-retries"]),
        "tls": keys(["enable", "cert", "key"]),
        "credential-concurrency": keys([
            "lifecycle-config-revision", "observation-barrier-revision", "cpa-heartbeat-timeout", "cpa-cancel-bound",
            "reclaim-grace", "cleanup-interval", "release-flush-interval", "release-max-backoff", "busy-retry-min",
            "busy-retry-max", "max-limit",
        ]),
        "credential-in-flight": keys([
            "snapshot-interval", "stale-after", "max-part-bytes", "max-part-count", "max-revision-bytes",
            "max-aggregate-groups", "max-details", "max-string-bytes", "staging-retention",
        ]),
        "remote-management": keys([
            "allow-remote", "secret-key", "disable-control-panel", "disable-auto-update-panel", "panel-github-repository",
        ]),
        "plugins": keys(["enabled", "dir", "store-sources", "store-auth", "auth-revision", "configs"]),
        "pprof": keys(["enable", "addr"]),
        "quota-exceeded": keys(["switch-project", "switch-preview-model", "antigravity-credits"]),
        "routing": keys(["strategy", "session-affinity", "session-affinity-ttl"]),
        "antigravity": keys(["sensitive-words"]),
        "gemini-api-key": .list(geminiKey),
        "interactions-api-key": .list(geminiKey),
        "codex-api-key": .list(codexKey),
        "xai-api-key": .list(codexKey),
        "xai": keys(["inject-x-search"]),
        "codex": keys(["identity-confuse", "disable-codex-cloaking", "stream-bootstrap-buffering", "optimize-multi-agent-v2"], [
            "live-media-relay": keys([
                "enabled", "max-sessions", "disable-private-remote-ips", "public-ip", "udp-port-min", "udp-port-max",
            ], ["ice-servers": .list(keys(["urls", "username", "credential"]))]),
        ]),
        "codex-header-defaults": keys(["user-agent", "beta-features"]),
        "claude-api-key": .list(claudeKey),
        "claude-header-defaults": keys([
            "user-agent", "package-version", "runtime-version", "os", "arch", "timeout", "timezone", "stabilize-device-profile",
        ]),
        "openai-compatibility": .list(openAICompatibility),
        "vertex-api-key": .list(vertexKey),
        "payload": keys([], [
            "default": .list(payloadRule), "default-raw": .list(payloadRule), "override": .list(payloadRule),
            "override-raw": .list(payloadRule),
            "filter": .list(keys(["params"], ["models": .list(payloadModelRule)])),
        ]),
    ])
}
