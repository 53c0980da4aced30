import Foundation
import Shared

/// `droidgate up --demo`: the fake backend, like the real cli-proxy-api, lists
/// only the models of providers that have an account file in its auth-dir. A
/// demo has no real logins, so it gets one clearly fake account per provider,
/// written only when the auth-dir holds no account at all (never beside, or
/// over, a real one).
enum DemoAccounts {
    static let email = "demo@droidgate.invalid"
    static let providers = ["claude", "codex", "antigravity"]

    static func seed(authDir: String) {
        // supervisord creates the auth-dir too, but it may not have started yet.
        do { try Files.makeDirectory(authDir, mode: 0o700) } catch {
            return Log.warning("droidgate up: cannot create \(authDir) for the demo accounts: \(error)")
        }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: authDir)) ?? []
        guard !existing.contains(where: { $0.hasSuffix(".json") }) else { return }
        for provider in providers {
            let account: JSONValue = [
                "type": .string(provider), "email": .string(email), "disabled": false,
                "note": "demo account written by `droidgate up --demo`; it holds no credential",
            ]
            do {
                try Files.writeAtomically("\(authDir)/\(provider)-\(email).json", Array(account.prettyPrinted().utf8) + [0x0a], mode: 0o600)
            } catch {
                Log.warning("droidgate up: cannot write the demo account for \(provider) in \(authDir): \(error)")
            }
        }
        Log.info("droidgate up: demo accounts for \(providers.joined(separator: ", ")) written to \(authDir)")
    }
}
