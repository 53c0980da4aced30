import FakeKit
import Shared

/// What the fake takes from a cli-proxy-api config.yaml (`internal/config/config_load.go`
/// `LoadConfigOptional`: yaml.v3 into the Config struct, then normalization).
/// Unknown keys are ignored, as yaml.v3 does; they are listed in `unknownKeys`.
/// A value of the wrong type fails the whole load, as yaml.v3's unmarshal errors do.
struct ConfigFile: Sendable {
    var host: String?
    var port: Int?
    var apiKeys: [String] = []
    var authDir: String?
    var debug = false
    var requestRetry = 0
    var disableCooling = false
    /// `transient-error-cooldown-seconds` (config.go, since 2026-06-19): 0 keeps the legacy 60 s, -1 turns those cooldowns off.
    var transientErrorCooldownSeconds = 0
    /// Provider → lowercased patterns (`NormalizeOAuthExcludedModels`, config_normalization.go).
    var oauthExcludedModels: [String: [String]] = [:]
    /// `claude-code.disable-cloaking-model-list` (sdk_config.go): Anthropic model lists keep non-Claude ids.
    var disableCloakingModelList = false
    /// `disable-claude-cloak-mode` (config.go): Claude OAuth requests are not cloaked.
    var disableClaudeCloakMode = false
    /// Dotted paths of keys the real Config struct does not have (see ConfigKeys).
    var unknownKeys: [String] = []

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    static func load(_ path: String) throws -> ConfigFile {
        let bytes: [UInt8]
        do {
            bytes = try Files.read(path, maxBytes: 4 << 20)
        } catch {
            throw LoadError(description: "failed to read config file: \(error)")
        }
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    static func parse(_ text: String) throws(LoadError) -> ConfigFile {
        let root = YAMLNode.parse(text)
        var c = ConfigFile()
        c.unknownKeys = ConfigKeys.root.unknownKeys(in: root)
        if let h = root["host"]?.string { c.host = h }
        if let p = try int(root, "port") { c.port = p }
        if let d = root["auth-dir"]?.string, !d.isEmpty { c.authDir = d }
        c.debug = try bool(root, "debug") ?? false
        c.requestRetry = try int(root, "request-retry") ?? 0
        c.disableCooling = try bool(root, "disable-cooling") ?? false
        c.transientErrorCooldownSeconds = try int(root, "transient-error-cooldown-seconds") ?? 0
        c.disableClaudeCloakMode = try bool(root, "disable-claude-cloak-mode") ?? false
        c.disableCloakingModelList = try bool(root["claude-code"] ?? .null, "disable-cloaking-model-list") ?? false
        for item in root["api-keys"]?.items ?? [] {
            guard let key = item.string else {
                throw LoadError(description: "failed to parse config file: yaml: unmarshal errors: cannot unmarshal into string (api-keys)")
            }
            c.apiKeys.append(key)
        }
        c.oauthExcludedModels = try excludedModels(root["oauth-excluded-models"])
        return c
    }

    /// `NormalizeOAuthExcludedModels`: provider keys trimmed and lowercased, patterns
    /// trimmed, lowercased and de-duplicated in order; empty entries dropped.
    private static func excludedModels(_ node: YAMLNode?) throws(LoadError) -> [String: [String]] {
        guard let node, node != .null else { return [:] }
        guard case .map(let entries) = node else {
            throw LoadError(description: "failed to parse config file: yaml: unmarshal errors: oauth-excluded-models is not a map")
        }
        var out: [String: [String]] = [:]
        for (provider, value) in entries {
            let key = provider.trimming(" \t").lowercased()
            guard !key.isEmpty else { continue }
            if case .scalar(let text) = value, !text.isEmpty {
                throw LoadError(description: "failed to parse config file: yaml: unmarshal errors: cannot unmarshal !!str into []string (oauth-excluded-models.\(provider))")
            }
            var seen: Set<String> = []
            var patterns: [String] = []
            for item in value.items {
                guard let s = item.string else { continue }
                let p = s.trimming(" \t").lowercased()
                if !p.isEmpty, seen.insert(p).inserted { patterns.append(p) }
            }
            if !patterns.isEmpty { out[key] = patterns }
        }
        return out
    }

    private static func int(_ node: YAMLNode, _ key: String) throws(LoadError) -> Int? {
        guard let v = node[key], v != .null else { return nil }
        guard let s = v.string, let n = Int(s.trimming(" \t")) else {
            throw LoadError(description: "failed to parse config file: yaml: unmarshal errors: cannot unmarshal into int (\(key))")
        }
        return n
    }

    /// yaml.v3 decodes true/false (any case) into a bool, and the YAML 1.1 words on/off/yes/no.
    private static func bool(_ node: YAMLNode, _ key: String) throws(LoadError) -> Bool? {
        guard let v = node[key], v != .null else { return nil }
        switch v.string?.lowercased() {
        case "true", "on", "yes": return true
        case "false", "off", "no": return false
        default:
            throw LoadError(description: "failed to parse config file: yaml: unmarshal errors: cannot unmarshal into bool (\(key))")
        }
    }
}

/// `~` and `~/…` expand to $HOME, as the real binary does for auth-dir.
func expandHome(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    let home = Environment.get("HOME") ?? "/"
    return home + path.dropFirst()
}
