import Foundation
import IPC
import Shared

/// authd's timing and limits, in one place.
enum AuthLimits {
    /// Refresh this long after the last refresh at the latest…
    static let refreshEvery = 6 * 3600.0
    /// …or this long before the access token expires, whichever comes first.
    static let refreshBeforeExpiry = 30 * 60.0
    /// At most this many seconds early at random (so many hosts do not line up).
    static let scheduleJitter = 300.0
    /// The lifetime assumed for an access token whose JWT carries no `exp`.
    static let fallbackAccessLifetime = 8 * 3600.0
    /// How long authd waits for a refresh worker's verdict before leaving it be.
    static let workerTimeout = 90.0
    /// How long an IPC `token.refresh` waits for the refresh it asked for.
    static let refreshWaitTimeout = 60.0
    /// The refresher's longest sleep between checks of its schedule.
    static let loopWakeInterval = 60.0
    /// At most one refresh a Factory 401 causes per this many seconds (`Upstream401Limit`).
    static let upstream401Interval = 30.0
    /// WorkOS calls' timeout unless `auth.timeoutSeconds` says otherwise.
    static let workosTimeout = 30.0
    /// An imported access token valid for less than this is refreshed at once.
    static let importedTokenMinValidity = 60.0
    /// A refresh worker retries writing a rotated pair this often, this far apart.
    static let workerWriteAttempts = 5
    static let workerWriteRetryDelay = 0.5

    /// Seconds to wait before the next refresh after `failures` failed ones in a row:
    /// 15 s doubling up to 15 min.
    static func backoff(afterFailures failures: Int) -> Double {
        min(15 * pow(2, Double(max(failures, 1) - 1)), 900)
    }
}

extension TokenStore.Tokens {
    /// A pair WorkOS just issued; the access token's expiry from its JWT, else assumed.
    static func issued(access: String, refresh: String, source: String, now: Double) -> TokenStore.Tokens {
        TokenStore.Tokens(refreshToken: refresh, accessToken: access,
                          accessExpiresAt: JWT.expiry(of: access) ?? now + AuthLimits.fallbackAccessLifetime,
                          lastRefresh: now, source: source)
    }
}

/// The refresher's own state (what `State.status` holds).
enum AuthStatus: String, Sendable {
    case starting
    case ok
    case refreshing
    /// The last refresh failed (retried with backoff), or a rotated pair is not on disk yet.
    case degraded
    /// WorkOS refused the refresh token: nothing is refreshed until a new login.
    case reloginRequired = "relogin_required"
    case noCredentials = "no_credentials"
}

/// The credentials' state as `status` reports it: the refresher's status, or
/// `expired` when the access token ran out and no refresh is under way.
enum CredentialsState: Equatable, Sendable {
    case status(AuthStatus)
    case expired

    /// As the IPC schema names it.
    var reported: CredentialsReport.State {
        switch self {
        case .status(let s): CredentialsReport.State(rawValue: s.rawValue) ?? .degraded
        case .expired: .expired
        }
    }
}

/// A refresh worker's verdict: the one JSON line it prints for authd.
enum RefreshVerdict: Equatable, Sendable {
    /// Refreshed; the new pair is on disk.
    case ok
    /// Another refresh ran while this one waited for the lock: the pair on disk is new.
    case fresh
    /// No tokens on disk (and none handed over).
    case noCredentials
    /// The new pair could not even be reserved on disk: nothing was rotated.
    case persistFailed(String)
    /// Rotated at WorkOS, but the write failed: the pair exists only in this verdict.
    case persistFailedAfterRotation(message: String, refresh: String, access: String)
    /// WorkOS refused the refresh token.
    case invalidGrant(String)
    /// Anything else (network, WorkOS 5xx, the worker itself): retry later.
    case error(String)

    /// The `result` field's values.
    enum Kind: String, CaseIterable {
        case ok, fresh
        case noCredentials = "no_credentials"
        case persistFailed = "persist_failed"
        case persistFailedAfterRotation = "persist_failed_after_rotation"
        case invalidGrant = "invalid_grant"
        case error
    }

    var kind: Kind {
        switch self {
        case .ok: .ok
        case .fresh: .fresh
        case .noCredentials: .noCredentials
        case .persistFailed: .persistFailed
        case .persistFailedAfterRotation: .persistFailedAfterRotation
        case .invalidGrant: .invalidGrant
        case .error: .error
        }
    }

    var json: JSONObject {
        var o: JSONObject = ["result": .string(kind.rawValue)]
        switch self {
        case .ok, .fresh, .noCredentials: break
        case .persistFailed(let m), .invalidGrant(let m), .error(let m): o["message"] = .string(m)
        case .persistFailedAfterRotation(let m, let refresh, let access):
            o["message"] = .string(m)
            o["refresh_token"] = .string(refresh)
            o["access_token"] = .string(access)
        }
        return o
    }

    /// Parses a worker's line; anything unexpected is an `.error`.
    init(json o: JSONObject) {
        let message = o["message"]?.stringValue
        switch o["result"]?.stringValue.flatMap(Kind.init(rawValue:)) {
        case .ok?: self = .ok
        case .fresh?: self = .fresh
        case .noCredentials?: self = .noCredentials
        case .persistFailed?: self = .persistFailed(message ?? "refresh failed")
        case .persistFailedAfterRotation?:
            guard let refresh = o["refresh_token"]?.stringValue, let access = o["access_token"]?.stringValue else {
                self = .error("the refresh worker reported a rotated pair without the tokens")
                return
            }
            self = .persistFailedAfterRotation(message: message ?? "?", refresh: refresh, access: access)
        case .invalidGrant?: self = .invalidGrant(message ?? "invalid_grant")
        case .error?, nil: self = .error(message ?? "refresh failed")
        }
    }
}

extension Refresher {
    typealias Tier = CredentialsReport.Tier

    struct State: Sendable {
        var apiKey: String?
        var tokens: TokenStore.Tokens?
        var status = AuthStatus.starting
        var lastError: String?
        var nextRefreshAt: Double?       // wall clock
        var failures = 0
        /// A rotated pair that could not be written yet (disk full): kept here and retried.
        var unsaved = false
        var requested = 0
        var completed = 0

        var tier: Tier { apiKey != nil ? .apiKey : (tokens != nil ? .refreshToken : .passthrough) }

        func credentialsState(now: Double) -> CredentialsState {
            switch tier {
            case .apiKey: return .status(.ok)
            case .passthrough: return .status(.noCredentials)
            case .refreshToken:
                if status == .reloginRequired { return .status(.reloginRequired) }
                let expired = tokens?.accessExpiresAt.map { $0 <= now } ?? (tokens?.accessToken == nil)
                return expired && status != .refreshing ? .expired : .status(status)
            }
        }

        /// What the daemon's `status` says it waits for, if anything.
        func waitingFor(now: Double) -> String? {
            switch tier {
            case .apiKey: return nil
            case .passthrough: return "credentials: set FACTORY_API_KEY or run `droidgate login` (until then clients' own keys pass through)"
            case .refreshToken:
                switch credentialsState(now: now) {
                case .status(.reloginRequired): return "a new login: WorkOS refused the refresh token (`droidgate login`)"
                case .expired: return "a successful refresh (the access token expired; \(lastError ?? "retrying"))"
                case .status: return nil
                }
            }
        }

        /// The token edged should use now, or why there is none.
        func credential(now: Double) -> Result<JSONValue, IPCError> {
            if let key = apiKey { return .success(TokenMessage.token(key, tier: .apiKey, expiresAt: nil).json) }
            guard let t = tokens else {
                return .failure(.remote(code: .noCredentials, message: "authd holds no Factory credentials: set FACTORY_API_KEY or run `droidgate login`"))
            }
            if status == .reloginRequired {
                return .failure(.remote(code: .reloginRequired, message: "WorkOS refused the refresh token: run `droidgate login` again"))
            }
            guard let access = t.accessToken, let exp = t.accessExpiresAt, exp > now else {
                return .failure(.remote(code: .expired, message: "the Factory access token expired and no refresh has succeeded yet\(lastError.map { " (\($0))" } ?? "")"))
            }
            return .success(TokenMessage.token(access, tier: .refreshToken, expiresAt: exp).json)
        }

        /// What applying a verdict asks of the caller once the state lock is released.
        struct Applied {
            /// edged should get the new token.
            let publish: Bool
            /// Logs what happened (not under the lock: stderr may block).
            let log: () -> Void
        }

        /// Applies a refresh worker's verdict. `loaded`: tokens.json as read after
        /// the worker ended (used when the verdict says it holds the new pair);
        /// `jitter` scales a failure's backoff.
        mutating func apply(_ verdict: RefreshVerdict, loaded: TokenStore.Tokens?, storeFile: String,
                            now: Double, jitter: Double = Double.random(in: 0.9...1.1)) -> Applied {
            switch verdict {
            case .ok, .fresh:
                tokens = loaded ?? tokens
                status = .ok
                unsaved = false
                lastError = nil
                failures = 0
                nextRefreshAt = tokens.map { Refresher.schedule($0) }
                let line = "authd: access token refreshed\(verdict == .fresh ? " (by another refresh)" : ""); valid until \(tokens?.accessExpiresAt.map { WallClock.iso8601($0, milliseconds: false) } ?? "?")"
                return Applied(publish: true) { Log.info(line) }
            case .invalidGrant(let why):
                status = .reloginRequired
                lastError = "WorkOS refused the refresh token (\(why)); run `droidgate login`"
                nextRefreshAt = nil
                return Applied(publish: false) {
                    Log.error("authd: WorkOS refused the refresh token; a new login is required (`droidgate login`); \(storeFile) is kept for inspection")
                }
            case .persistFailedAfterRotation(let why, let refresh, let access):
                // The new pair exists only in memory now: serve it, keep trying to save it.
                tokens = .issued(access: access, refresh: refresh, source: "refresh", now: now)
                unsaved = true
                status = .degraded
                lastError = "refreshed, but cannot write \(storeFile): \(why); retrying"
                nextRefreshAt = tokens.map { Refresher.schedule($0) }
                return Applied(publish: true) {
                    Log.error("authd: refreshed but cannot write \(storeFile) (\(why)); holding the new tokens in memory and retrying the write")
                }
            case .noCredentials:
                return failed("refresh failed", result: verdict.kind.rawValue, now: now, jitter: jitter)
            case .persistFailed(let why), .error(let why):
                return failed(why, result: verdict.kind.rawValue, now: now, jitter: jitter)
            }
        }

        private mutating func failed(_ why: String, result: String, now: Double, jitter: Double) -> Applied {
            failures += 1
            let backoff = AuthLimits.backoff(afterFailures: failures)
            status = .degraded
            lastError = why
            nextRefreshAt = now + backoff * jitter
            return Applied(publish: false) {
                Log.warning("authd: refresh failed (\(result)): \(why); the current access token is still served while valid; retrying in \(Int(backoff)) s")
            }
        }
    }

    /// Next refresh: `refreshEvery` after the last one or `refreshBeforeExpiry`
    /// before expiry, whichever comes first, a few minutes early at random.
    static func schedule(_ t: TokenStore.Tokens, now: Double = WallClock.now(), random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Double {
        guard t.accessToken != nil, let exp = t.accessExpiresAt, let last = t.lastRefresh else { return now }
        let due = min(last + AuthLimits.refreshEvery, exp - AuthLimits.refreshBeforeExpiry)
        return due - random(0...min(AuthLimits.scheduleJitter, max(0, (due - last) * 0.05)))
    }
}
