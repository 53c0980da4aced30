import Foundation
import Shared

/// The backend state dir's layout (0700, owned by the backend's user):
///   config.yaml   rendered for cli-proxy-api (0600)
///   api-key       the key edged sends upstream, generated once (0600)
///   auth/         cli-proxy-api's credential files (0700)
///   backend.log   the child's stdout and stderr (0600), tailed by supervisord
///   providers.json  providers switched off by `droidgate backend providers --disable`
///   work/         the child's working directory (kept empty: no stray .env)
struct BackendFiles: Sendable {
    let dir: String

    var configYAML: String { dir + "/config.yaml" }
    var apiKeyFile: String { dir + "/api-key" }
    var authDir: String { dir + "/auth" }
    /// Written by supervisord before 0.2 to re-adopt the backend; the backend
    /// can write this folder, so it is no longer read, only removed.
    var legacyPidFile: String { dir + "/backend.pid" }
    var logFile: String { dir + "/backend.log" }
    var providersFile: String { dir + "/providers.json" }
    var workDir: String { dir + "/work" }

    func prepare() throws {
        if !Files.exists(dir) { try Files.makeDirectory(dir, mode: 0o700) }
        try Files.makeDirectory(authDir, mode: 0o700)
        try Files.makeDirectory(workDir, mode: 0o700)
        Files.remove(legacyPidFile)
    }

    /// The backend API key: read, or generated once (32 random bytes) and kept.
    func apiKey() throws -> String {
        if let bytes = try? Files.read(apiKeyFile, maxBytes: 4096) {
            let key = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if key.count >= 32 { return key }
        }
        let key = "dg-" + (try Random.hex(32))
        try Files.writeAtomically(apiKeyFile, Array(key.utf8), mode: 0o600)
        return key
    }

    func disabledProviders() -> [String] {
        guard let bytes = try? Files.read(providersFile, maxBytes: 1 << 16),
              let v = try? JSONValue(parsing: bytes), let list = v["disabled"]?.arrayValue else { return [] }
        return list.compactMap(\.stringValue)
    }

    func setDisabledProviders(_ names: [String]) throws {
        let v: JSONValue = ["disabled": .array(names.sorted().map { .string($0) })]
        try Files.writeAtomically(providersFile, Array(v.prettyPrinted().utf8) + [0x0a], mode: 0o600)
    }
}
