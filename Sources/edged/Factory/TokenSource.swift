import IPC
import Shared

/// edged's view of authd's Factory token: cached, replaced when authd pushes a
/// new one, refreshed on demand after a 401. edged keeps serving from the
/// cache while authd restarts (until the token expires).
final class TokenSource: Sendable {
    enum Credential: Sendable {
        case token(String)
        /// authd holds none: the client's own key goes to Factory (tier 3).
        case passthrough
        /// No usable token; the message says why (expired, relogin, authd down).
        case unavailable(status: Int, message: String)
    }

    private let cached = Locked<(token: String, expiresAt: Double?)?>(nil)
    private let lastRefusal = Locked<(code: IPCError.Code, message: String)?>(nil)
    let client: ReconnectingClient

    init(client: ReconnectingClient) { self.client = client }

    /// Called with the subscribe reply and each pushed token event. `"dropped": true`
    /// (a logout, or a subscribe reply when authd holds no credentials) empties the
    /// cache at once: edged must not go on sending a token the operator signed out of.
    func update(_ v: JSONValue) {
        switch TokenMessage(v) {
        case .dropped(let reason, _):
            let had = cached.withLock { c in defer { c = nil }; return c != nil }
            if had { Log.info("edged: authd holds no Factory credentials now (\(reason.rawValue)); cached token discarded") }
        case .token(let t, _, let expiresAt):
            cached.value = (t, expiresAt)
            lastRefusal.value = nil
        case .none:
            break
        }
    }

    /// The cached token when it is good for a while yet: no IPC, for the loops.
    /// nil: ask `current()` off the loop.
    func cachedCredential() -> Credential? {
        guard let c = cached.value, c.expiresAt.map({ $0 > WallClock.now() + 5 }) ?? true else { return nil }
        return .token(c.token)
    }

    /// The credential to use now. Blocking (IPC): call off the event loops.
    func current() -> Credential {
        if let c = cached.value, c.expiresAt.map({ $0 > WallClock.now() + 5 }) ?? true { return .token(c.token) }
        do {
            let r = try client.call(.tokenGet, timeout: 5)
            update(r.result)
            if let c = cached.value { return .token(c.token) }
        } catch .remote(let code, let message) {
            lastRefusal.value = (code, message)
            if code == .noCredentials { return .passthrough }
            // No valid token yet (authd just started, or the last refresh failed): wait for one refresh.
            if code == .expired, case .token(let t) = refresh(args: TokenRefreshArgs(rejected: nil).json) { return .token(t) }
            return .unavailable(status: code == .reloginRequired || code == .expired ? 401 : 503, message: "Factory credentials unavailable: \(message)")
        } catch {
            if let c = cached.value, c.expiresAt.map({ $0 > WallClock.now() }) ?? true { return .token(c.token) }
            return .unavailable(status: 503, message: "authd is not reachable and edged has no valid Factory token cached (\(error))")
        }
        return .unavailable(status: 503, message: "authd returned no token")
    }

    /// After Factory answered 401 to `rejected`: one refresh through authd, which
    /// refreshes only if that token is still its current one, and at most once
    /// per 30 s (a misbehaving upstream cannot make it rotate in a loop). Only a
    /// fingerprint of the token goes over IPC.
    func refreshAfter401(rejected: String?) -> Credential {
        refresh(args: TokenRefreshArgs(rejected: rejected.map { TokenFingerprint.of($0) } ?? "").json)
    }

    private func refresh(args: JSONObject) -> Credential {
        do {
            let r = try client.call(.tokenRefresh, args, timeout: 90)
            update(r.result)
            if let c = cached.value { return .token(c.token) }
        } catch {
            return .unavailable(status: 401, message: "Factory refused the token and the refresh failed: \(error)")
        }
        return .unavailable(status: 401, message: "Factory refused the token and authd returned none")
    }
}
