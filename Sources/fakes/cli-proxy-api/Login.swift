import FakeKit
import Foundation
import Glibc
import Shared

/// The login flags (`cmd/server/main.go` → `internal/cmd/*_login.go` →
/// `sdk/auth/*.go`). Each flow ends with the account file the real one writes,
/// named as it names it, in the config's auth-dir. The process exits 0 whether
/// the login worked or not (the real one logs and returns from main), except
/// 13 when a Claude/Codex callback port is taken.
enum LoginKind: Sendable {
    case claude, antigravity, codex, codexDevice, kimi, xai

    var provider: String {
        switch self {
        case .claude: "claude"
        case .antigravity: "antigravity"
        case .codex, .codexDevice: "codex"
        case .kimi: "kimi"
        case .xai: "xai"
        }
    }
}

enum Login {
    static func run(_ kind: LoginKind, options: Options, authDir: String) -> Int32 {
        switch kind {
        case .claude, .antigravity, .codex:
            return BrowserLogin(kind: kind, options: options, authDir: authDir).run()
        case .codexDevice, .kimi, .xai:
            return DeviceLogin(kind: kind, options: options, authDir: authDir).run()
        }
    }

    /// The account file's name (`claude-<email>.json` in sdk/auth/claude.go,
    /// `antigravity.CredentialFileName`, `codex.CredentialFileName` with the
    /// account hash and plan, `xai.CredentialFileName`, `kimi-<unix ms>.json`).
    static func fileName(_ kind: LoginKind, email: String) -> String {
        switch kind {
        case .claude: return "claude-\(email).json"
        case .antigravity: return email.isEmpty ? "antigravity.json" : "antigravity-\(email).json"
        case .codex, .codexDevice: return "codex-\(codexAccountHash(email))-\(email)-pro.json"
        case .xai:
            let safe = String(email.filter { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "@._-".contains($0) })
            return "xai-\(safe.isEmpty ? String(Int(WallClock.now() * 1000)) : safe).json"
        case .kimi: return "kimi-\(Int(WallClock.now() * 1000)).json"
        }
    }

    /// The first 8 hex digits of sha256(chatgpt_account_id); the fake's account id derives from the email.
    static func codexAccountHash(_ email: String) -> String {
        String(SHA256.hexDigest(Array("fake-account-\(email)".utf8)).prefix(8))
    }

    /// The fields the provider's token file holds (fake values), without `disabled`.
    static func credential(_ kind: LoginKind, email: String) -> [(String, JSONValue)] {
        let now = WallClock.now()
        let expiry = JSONValue.string(WallClock.iso8601(now + 3600, milliseconds: false))
        var fields: [(String, JSONValue)] = [
            ("type", .string(kind.provider)), ("access_token", "fake-access"), ("refresh_token", "fake-refresh"),
            ("expired", expiry),
        ]
        if kind != .kimi { fields.append(("email", .string(email))) }
        switch kind {
        case .claude, .xai: fields.append(("last_refresh", .string(WallClock.iso8601(now, milliseconds: false))))
        case .antigravity:
            fields += [("expires_in", 3599), ("timestamp", .int(Int(now * 1000))), ("project_id", "fake-project-0001")]
        case .codex, .codexDevice:
            fields += [("id_token", .string(fakeCodexIDToken(email))), ("last_refresh", .string(WallClock.iso8601(now, milliseconds: false)))]
        case .kimi:
            fields += [("token_type", "Bearer"), ("timestamp", .int(Int(now * 1000)))]
        }
        return fields
    }

    /// An unsigned JWT with the claims the real one reads (plan "pro").
    static func fakeCodexIDToken(_ email: String) -> String {
        func b64(_ v: JSONValue) -> String {
            Data(v.serialized()).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let claims: JSONValue = ["email": .string(email),
                                 "https://api.openai.com/auth": ["chatgpt_plan_type": "pro", "chatgpt_account_id": .string("fake-account-\(email)")]]
        return b64(["alg": "none", "typ": "JWT"]) + "." + b64(claims) + ".fake"
    }

    /// Saves the credential as the real store does (`sdk/auth/manager.go` Login →
    /// `sdk/auth/filestore.go` Save): keys of an existing file that are not token
    /// fields are kept (`MergeExistingAuthMetadata`), `disabled` is set to false,
    /// the JSON is written compact with sorted keys. Token-storage providers
    /// (claude, codex, kimi, xai: `SaveTokenToFile`) print "Saving credentials to"
    /// and `os.Create` the file (0666 less the umask; an existing file is
    /// truncated in place); antigravity (metadata only) rewrites an existing file
    /// in place unless unchanged, else creates it 0600.
    static func save(_ kind: LoginKind, email: String, authDir: String) throws -> String {
        let path = authDir + "/" + fileName(kind, email: email)
        var fields = credential(kind, email: email)
        let tokenKeys: Set<String> = ["access_token", "refresh_token", "id_token", "session_id", "expired", "last_refresh",
                                      "expires_in", "timestamp", "token_type", "user_code", "verification_uri",
                                      "verification_uri_complete"]
        let existing = (try? Files.read(path)).flatMap { try? JSONValue(parsing: $0) }?.objectValue
        for (k, v) in existing ?? [:] where !tokenKeys.contains(k.lowercased()) && !fields.contains(where: { $0.0 == k }) {
            fields.append((k, v))
        }
        fields.removeAll { $0.0 == "disabled" }
        fields.append(("disabled", false))
        let object = JSONObject(fields.sorted { $0.0 < $1.0 }.map { (key: $0.0, value: $0.1) })
        var bytes = JSONValue.object(object).serialized()
        if !Files.exists(authDir) { try Files.makeDirectory(authDir, mode: 0o700) }
        if kind == .antigravity {
            if let old = try? Files.read(path), let v = try? JSONValue(parsing: old), v == .object(object) { return path }
            let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            defer { fd.close() }
            try fd.writeAll(bytes)
        } else {
            printOut("Saving credentials to \(path)")
            bytes.append(0x0a)   // json.Encoder ends with a newline
            let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o666)
            defer { fd.close() }
            try fd.writeAll(bytes)
        }
        return path
    }

    /// `util.PrintSSHTunnelInstructions` (the fake does not look up its public IP).
    static func printTunnelInstructions(port: Int) {
        let border = String(repeating: "=", count: 80)
        printOut("To authenticate from a remote machine, an SSH tunnel may be required.")
        printOut(border)
        printOut("  Run one of the following commands on your local machine (NOT the server):")
        printOut("")
        printOut("  # Standard SSH command (assumes SSH port 22):")
        printOut("  ssh -L \(port):127.0.0.1:\(port) root@127.0.0.1 -p 22")
        printOut("")
        printOut("  # If using an SSH key (assumes SSH port 22):")
        printOut("  ssh -i <path_to_your_key> -L \(port):127.0.0.1:\(port) root@127.0.0.1 -p 22")
        printOut("")
        printOut("  NOTE: If your server's SSH port is not 22, please modify the '-p 22' part accordingly.")
        printOut(border)
    }

    /// `util.HideAPIKey`.
    static func hide(_ s: String) -> String {
        let c = Array(s)
        if c.count > 8 { return String(c[..<4]) + "..." + String(c[(c.count - 4)...]) }
        if c.count > 4 { return String(c[..<2]) + "..." + String(c[(c.count - 2)...]) }
        if c.count > 2 { return String(c[..<1]) + "..." + String(c[(c.count - 1)...]) }
        return s
    }

    /// Go's `url.Values.Encode`: keys sorted, `QueryEscape`d.
    static func encodeQuery(_ params: [(String, String)]) -> String {
        func escape(_ s: String) -> String {
            var out = ""
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                     UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                    out.append(Character(UnicodeScalar(b)))
                case UInt8(ascii: " "): out.append("+")
                default: out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
                }
            }
            return out
        }
        return params.sorted { $0.0 < $1.0 }.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
