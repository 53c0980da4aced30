import Shared

/// Renders cli-proxy-api's config.yaml from droidgate's config. Every string
/// is double-quoted and escaped, so no value (a `"`, a newline, a `#`) can
/// break the file or inject keys.
enum BackendYAML {

    struct Inputs {
        var port: Int
        var authDir: String
        var apiKey: String
        var extra: JSONObject = JSONObject()
        /// Providers switched off with `droidgate backend providers --disable`.
        var disabledProviders: [String] = []
        /// `proxy-url`: the first of droidgate's `network.proxies` (extra may override it).
        var proxyURL: String? = nil
    }

    static func render(_ i: Inputs) -> String {
        var doc: JSONObject = [
            "host": "127.0.0.1",
            "port": .int(i.port),
            "auth-dir": .string(i.authDir),
            "api-keys": [.string(i.apiKey)],
            "remote-management": ["secret-key": "", "disable-control-panel": true],
            "request-retry": 3,
            // One transient failure (408/5xx) must not black out an account for the
            // legacy 60 s in a long session: -1 turns off only those cooldowns
            // (config.example.yaml, cli-proxy-api since 2026-06-19; older builds ignore
            // the key). Quota-exhausted or revoked accounts still cool down, so a new
            // session does not pay a failed upstream call on them first. Both this and
            // `disable-cooling` may be set in backend.extraConfig.
            "transient-error-cooldown-seconds": -1,
            // Stateful Responses traffic breaks when a follow-up turn lands on another account.
            "routing": ["strategy": "round-robin", "session-affinity": true, "session-affinity-ttl": "2h"],
            "quota-exceeded": ["switch-project": true, "switch-preview-model": true],
        ]
        if !i.disabledProviders.isEmpty {
            var excluded = JSONObject()
            for p in i.disabledProviders.sorted() { excluded[p] = ["*"] }
            doc["oauth-excluded-models"] = .object(excluded)
        }
        if let p = i.proxyURL { doc["proxy-url"] = .string(p) }
        for (k, v) in i.extra.entries where !BackendConfig.managedKeys.contains(k) { doc[k] = v }
        var out = "# Written by droidgate's supervisord; edits here are overwritten.\n"
        out += "# Change droidgate's config (backend.*) instead.\n"
        emitMapping(doc, indent: 0, into: &out)
        return out
    }

    private static func emitMapping(_ o: JSONObject, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (k, v) in o.entries {
            out += pad + key(k) + ":"
            emitValue(v, indent: indent, into: &out)
        }
    }

    /// After "key:" or "- ": scalars on the same line, collections below.
    private static func emitValue(_ v: JSONValue, indent: Int, into out: inout String) {
        switch v {
        case .object(let o) where o.count > 0:
            out += "\n"
            emitMapping(o, indent: indent + 2, into: &out)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            let pad = String(repeating: " ", count: indent + 2)
            for e in a {
                switch e {
                case .object(let o) where o.count > 0:
                    // "- " then the first key on the same line, the rest aligned under it.
                    var first = true
                    for (k, ev) in o.entries {
                        out += (first ? pad + "- " : pad + "  ") + key(k) + ":"
                        emitValue(ev, indent: indent + 4, into: &out)
                        first = false
                    }
                case .array(let inner) where !inner.isEmpty:
                    out += pad + "-"
                    emitValue(e, indent: indent + 2, into: &out)
                default:
                    out += pad + "- " + scalar(e) + "\n"
                }
            }
        default:
            out += " " + scalar(v) + "\n"
        }
    }

    static func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n.literal
        case .string(let s): return quoted(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// Plain keys when they are simple, else quoted.
    static func key(_ k: String) -> String {
        let simple = !k.isEmpty && k.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x5f
        }
        return simple ? k : quoted(k)
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}"..."\u{1f}", "\u{7f}", "\u{85}", "\u{2028}", "\u{2029}":
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
