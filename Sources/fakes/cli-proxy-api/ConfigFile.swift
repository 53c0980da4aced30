import FakeKit
import Shared

/// What the fake takes from a cli-proxy-api config.yaml. Unknown keys are ignored.
struct ConfigFile: Sendable {
    var host: String?
    var port: Int?
    var apiKeys: [String] = []
    var authDir: String?

    static func load(_ path: String) throws(SystemError) -> ConfigFile {
        let bytes = try Files.read(path, maxBytes: 4 << 20)
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    static func parse(_ text: String) -> ConfigFile {
        let root = YAMLNode.parse(text)
        var c = ConfigFile()
        if let h = root["host"]?.string { c.host = h }
        if let p = root["port"]?.string, let n = Int(p), (0...65535).contains(n) { c.port = n }
        if let d = root["auth-dir"]?.string, !d.isEmpty { c.authDir = d }
        for item in root["api-keys"]?.items ?? [] {
            // Plain strings, or entries with a key (and an optional name).
            let key = item.string ?? item["key"]?.string ?? item["api-key"]?.string
            if let k = key?.trimming(" \t"), !k.isEmpty { c.apiKeys.append(k) }
        }
        return c
    }
}

/// `~` and `~/…` expand to $HOME, as the real binary does for auth-dir.
func expandHome(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    let home = Environment.get("HOME") ?? "/"
    return home + path.dropFirst()
}
