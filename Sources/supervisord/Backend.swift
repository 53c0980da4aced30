import IPC
import Shared
import Synchronization

/// The backend as supervisord sees it. States (the IPC vocabulary):
/// missing | starting | ready | unhealthy | backoff | stopped.
final class Backend: Sendable {
    enum State: String, Sendable {
        case missing, starting, ready, unhealthy, backoff, stopped
    }

    private struct Snapshot {
        var config: BackendConfig
        var state: State = .stopped
        var executable: String?
        var message: String = ""
    }
    private let snapshot: Mutex<Snapshot>
    let changes = Subscribers(event: "backend.state")

    init(config: BackendConfig) {
        snapshot = Mutex(Snapshot(config: config))
        resolve()
    }

    func update(config: BackendConfig) {
        snapshot.withLock { $0.config = config }
        resolve()
        changes.publish(info)
    }

    /// Looks the configured command up; without it the state is `missing`,
    /// with a message saying what to install or which key to set.
    private func resolve() {
        snapshot.withLock { s in
            if let path = Files.which(s.config.command) {
                s.executable = path
                s.state = .stopped
                s.message = "\(path) found"
            } else {
                s.executable = nil
                s.state = .missing
                s.message = "cli-proxy-api not found (looked for \"\(s.config.command)\" on PATH); install it from https://github.com/router-for-me/CLIProxyAPI or set backend.command in the config to its path; `droidgate up --demo` runs a built-in fake instead"
            }
        }
    }

    var state: State { snapshot.withLock { $0.state } }

    var info: JSONValue {
        snapshot.withLock { s in
            [
                "state": .string(s.state.rawValue),
                "url": .string("http://127.0.0.1:\(s.config.port)"),
                "command": s.executable.map { .string($0) } ?? .null,
                "message": .string(s.message),
            ]
        }
    }

    var waitingFor: String? {
        snapshot.withLock { s in
            switch s.state {
            case .ready: return nil
            case .missing: return "cli-proxy-api to be installed (or backend.command set)"
            default: return "backend: \(s.state.rawValue)"
            }
        }
    }

    var summary: String { snapshot.withLock { "backend \($0.state.rawValue): \($0.message)" } }
}
