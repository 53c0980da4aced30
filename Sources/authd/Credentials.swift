import Shared
import Synchronization

/// Which credential authd serves, in the spec's priority order:
/// 1. a fixed FACTORY_API_KEY; 2. a WorkOS refresh token; 3. none (edged
/// passes the client's own credentials through).
final class Credentials: Sendable {
    enum Tier: String, Sendable {
        case apiKey = "api-key"
        case refreshToken = "refresh-token"
        case passthrough = "passthrough"
    }

    private struct State {
        var apiKey: String?
        var refreshSeedPresent: Bool
    }
    private let state: Mutex<State>

    init(config: AuthConfig) {
        state = Mutex(State(apiKey: config.factoryAPIKey, refreshSeedPresent: config.refreshTokenSeed != nil))
    }

    func update(from config: AuthConfig) {
        state.withLock { $0 = State(apiKey: config.factoryAPIKey, refreshSeedPresent: config.refreshTokenSeed != nil) }
    }

    var tier: Tier {
        state.withLock { s in
            if s.apiKey != nil { return .apiKey }
            if s.refreshSeedPresent { return .refreshToken }
            return .passthrough
        }
    }

    /// The access token edged should send to Factory, if authd has one.
    var accessToken: String? { state.withLock { $0.apiKey } }

    /// What authd is waiting for, in words for `droidgate status`.
    var waitingFor: String? {
        switch tier {
        case .apiKey: return nil
        case .refreshToken: return "WorkOS refresh (token refresh arrives with the authd credentials work)"
        case .passthrough: return "credentials: set FACTORY_API_KEY or run `droidgate login` (until then clients' own keys are passed through)"
        }
    }

    var summary: String {
        switch tier {
        case .apiKey: return "serving a fixed Factory API key"
        case .refreshToken: return "refresh token configured"
        case .passthrough: return "no Factory credentials; client keys pass through"
        }
    }
}
