/// Where each file lives, derived from the config's runtime and state dirs.
/// Under systemd: /run/droidgate and /var/lib/droidgate; under `droidgate up`:
/// <dev root>/run and <dev root>/state.
public extension PathsConfig {
    func socket(_ daemon: DaemonName) -> String { "\(runtimeDir)/\(daemon.rawValue).sock" }
    var authStateDir: String { "\(stateDir)/auth" }
    var backendStateDir: String { "\(stateDir)/backend" }
}

public enum DaemonName: String, Sendable, CaseIterable {
    case authd, supervisord, edged
}
