import Foundation
import IPC
import Shared

/// The provider accounts cli-proxy-api keeps as JSON files in its auth-dir,
/// listed and switched without ever showing a secret: only provider, email,
/// expiry and whether the account is disabled leave this file.
struct Accounts {
    let files: BackendFiles

    static let providers = ["claude", "codex", "antigravity", "kimi", "xai"]

    /// Every credential file, sorted by name.
    func list() -> [AccountEntry] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: files.authDir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.map { name in
            // The backend's credential file (its own format: "type", "expired"/"expiry", "disabled").
            let v = (try? Files.read(files.authDir + "/" + name, maxBytes: 1 << 20)).flatMap { try? JSONValue(parsing: $0) }
            var a = AccountEntry(account: String(name.dropLast(5)))
            a.provider = v?["type"]?.stringValue
            a.email = v?["email"]?.stringValue
            a.expires = (v?["expired"] ?? v?["expiry"])?.stringValue
            a.disabled = v?["disabled"]?.boolValue ?? false
            if v == nil { a.problem = "not readable as JSON" }
            return a
        }
    }

    /// Account names as `list` shows them; a path or anything unexpected is refused.
    func path(of account: String) throws(IPCError) -> String {
        let name = account.hasSuffix(".json") ? String(account.dropLast(5)) : account
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name.utf8.count < 200 else {
            throw .remote(code: IPCError.Code.badRequest, message: "\"\(account)\" is not an account name (see `droidgate backend accounts`)")
        }
        let p = files.authDir + "/" + name + ".json"
        guard Files.exists(p) else {
            throw .remote(code: IPCError.Code.badRequest, message: "no account \"\(name)\" (see `droidgate backend accounts`)")
        }
        return p
    }

    /// Sets `"disabled"` in the file, keeping every other key and its order.
    func setDisabled(_ account: String, _ disabled: Bool) throws(IPCError) {
        let p = try path(of: account)
        guard let bytes = try? Files.read(p, maxBytes: 1 << 20), let v = try? JSONValue(parsing: bytes), var o = v.objectValue else {
            throw .remote(code: IPCError.Code.failed, message: "\(p) is not a JSON object; fix or remove it")
        }
        o["disabled"] = .bool(disabled)
        do { try Files.writeAtomically(p, Array(JSONValue.object(o).prettyPrinted().utf8) + [0x0a], mode: 0o600) } catch {
            throw .system(error)
        }
    }

    func remove(_ account: String) throws(IPCError) {
        let p = try path(of: account)
        Files.remove(p)
    }
}
