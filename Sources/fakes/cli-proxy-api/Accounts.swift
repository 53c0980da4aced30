import FakeKit
import Foundation
import Shared

/// The account files in the auth-dir, read the way the real watcher's file
/// synthesizer does (`internal/watcher/synthesizer/file.go`, with
/// `sdk/auth/filestore.go` for the same rules): every `*.json` (any case) that
/// is not a directory, not empty and a JSON object; `type` trimmed and
/// lowercased is the provider (none: skipped; `gemini` becomes `gemini-cli`,
/// which serves nothing); `"disabled": true` (a JSON boolean) takes the
/// account out. Read at request time, so a changed file counts at once.
struct Account: Sendable {
    let file: String
    let provider: String
    /// Per-account `excluded_models` (or the legacy `excluded-models`).
    let excluded: [String]
    /// Codex: the `chatgpt_plan_type` claim of the `id_token` JWT.
    let planType: String?
}

enum Accounts {
    static func enabled(in authDir: String) -> [Account] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: authDir)) ?? []).sorted()
        var out: [Account] = []
        for name in names where name.lowercased().hasSuffix(".json") {
            let path = authDir + "/" + name
            guard let st = try? Files.status(path), !st.isDirectory,
                  let bytes = try? Files.read(path, maxBytes: 1 << 20), !bytes.isEmpty,
                  let json = try? JSONValue(parsing: bytes), json.objectValue != nil else { continue }
            var provider = (json["type"]?.stringValue ?? "").trimming(" \t\r\n").lowercased()
            if provider == "gemini" { provider = "gemini-cli" }
            guard !provider.isEmpty, provider != "gemini-cli" else { continue }
            if json["disabled"]?.boolValue == true { continue }
            let list = json["excluded_models"] ?? json["excluded-models"]
            let excluded = (list?.arrayValue ?? []).compactMap(\.stringValue)
            let plan = provider == "codex" ? json["id_token"]?.stringValue.flatMap(codexPlan) : nil
            out.append(Account(file: name, provider: provider, excluded: excluded, planType: plan))
        }
        return out
    }

    /// The `https://api.openai.com/auth`.`chatgpt_plan_type` claim of a JWT
    /// (`internal/auth/codex/jwt_parser.go`), unverified as the real one reads it.
    static func codexPlan(_ jwt: String) -> String? {
        let parts = jwt.split(separator: ".")
        guard parts.count >= 2 else { return nil }
        var b64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let claims = try? JSONValue(parsing: Array(data)) else { return nil }
        let plan = claims["https://api.openai.com/auth"]?["chatgpt_plan_type"]?.stringValue?.trimming(" ")
        return plan?.isEmpty == false ? plan : nil
    }
}
