/// Secrets a config file may hold — a proxy's password in `network.proxies`,
/// an API key, token, password or DSN in `backend.extraConfig` (rendered into
/// cli-proxy-api's config.yaml) — and the rule that goes with them: such a
/// file must not be readable by every user. The packaged file is 0644 and
/// holds none; one that gains a secret must become 0640 with the
/// `droidgate-config` group (whose members are the daemons' users), or 0600
/// under `droidgate up`.
public enum ConfigSecrets {
    /// Key names (lowercased, at any depth of extraConfig) whose text values are secrets.
    static let secretWords = ["key", "secret", "token", "password", "passwd", "dsn", "credential", "cookie"]

    /// Where the config holds secrets, as dotted key paths (never the values).
    public static func locations(in config: Config) -> [String] {
        var out: [String] = []
        for (i, p) in config.network.proxies.enumerated() where p.password != nil {
            out.append("network.proxies[\(i)]")
        }
        walk(.object(config.backend.extraConfig), path: "backend.extraConfig", secretKey: false, into: &out)
        return out
    }

    private static func walk(_ v: JSONValue, path: String, secretKey: Bool, into out: inout [String]) {
        switch v {
        case .object(let o):
            for (k, child) in o {
                let lower = k.lowercased()
                walk(child, path: path + "." + k, secretKey: secretWords.contains { lower.contains($0) }, into: &out)
            }
        case .array(let a):
            for (i, child) in a.enumerated() { walk(child, path: "\(path)[\(i)]", secretKey: secretKey, into: &out) }
        case .string(let s):
            if (secretKey && !s.isEmpty) || hasURLPassword(s) { out.append(path) }
        default:
            break
        }
    }

    /// "scheme://user:password@host…"
    static func hasURLPassword(_ s: String) -> Bool {
        guard let scheme = s.range(of: "://") else { return false }
        let rest = s[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    /// Throws when `file` (mode `mode`) is readable by every user and holds a secret.
    public static func refuseIfExposed(_ config: Config, file: String, mode: UInt32) throws(ConfigError) {
        guard mode & 0o004 != 0, let first = locations(in: config).first else { return }
        throw ConfigError(file: file, key: first, problem: "holds a secret, and the file is readable by every user (mode \(String(mode & 0o777, radix: 8))): "
            + "`chmod 0640 \(file) && chgrp droidgate-config \(file)` (the daemons' users are in that group; add operators who run droidgate commands), "
            + "or `chmod 0600` for a config only you use")
    }
}
