import FakeKit
import Shared

/// The config the running fake uses, replaced by each applied hot reload,
/// and what `GET /_fake/stats` reports about it under `"config"`.
final class LiveConfig: Sendable {
    private struct State: Sendable {
        var config: ConfigFile
        var loads: Int
        var watching = false
    }

    private let state: Locked<State>

    /// `loads`: 1 when a file was loaded at start-up, 0 when none was given.
    init(_ config: ConfigFile, loads: Int) {
        state = Locked(State(config: config, loads: loads))
        Self.setLogLevel(config, announce: false)
    }

    /// `util.SetLogLevel` (internal/util/util.go): `debug: true` means debug logging, else info.
    static func setLogLevel(_ config: ConfigFile, announce: Bool = true) {
        let new: Log.Level = config.debug ? .debug : .info
        let old: Log.Level = Log.enabled(.debug) ? .debug : .info
        guard new != old else { return }
        Log.setLevel(new)
        if announce { Log.info("log level changed from \(old.name) to \(new.name) (debug=\(config.debug))") }
    }

    var current: ConfigFile { state.withLock { $0.config } }

    func apply(_ config: ConfigFile) {
        state.withLock { s in
            s.config = config
            s.loads += 1
        }
        Self.setLogLevel(config)
    }

    func setWatching(_ on: Bool) {
        state.withLock { $0.watching = on }
    }

    var json: JSONValue {
        let s = state.withLock { $0 }
        let excluded = JSONObject(s.config.oauthExcludedModels.sorted { $0.key < $1.key }.map {
            (key: $0.key, value: JSONValue.array($0.value.map { .string($0) }))
        })
        return [
            "loads": .int(s.loads),
            "watching": .bool(s.watching),
            "oauth_excluded_models": .object(excluded),
            "unknown_keys": .array(s.config.unknownKeys.map { .string($0) }),
            "debug": .bool(s.config.debug),
            "request_retry": .int(s.config.requestRetry),
            "disable_cooling": .bool(s.config.disableCooling),
            "transient_error_cooldown_seconds": .int(s.config.transientErrorCooldownSeconds),
        ]
    }
}
