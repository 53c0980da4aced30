import IPC
import Shared

/// Refreshes edged asks for after Factory answered 401. Each one rotates the
/// refresh token at WorkOS, so an upstream that refuses every token (an outage,
/// a revoked account, a bug) would otherwise make authd rotate in a loop, once
/// per client request. Two rules:
/// - a 401 on a token that is no longer the current one needs no refresh: the
///   current token is the answer (many requests in flight on the old token
///   share the one refresh the first of them caused);
/// - at most one 401-triggered refresh per 30 s, whatever the token: a fresh
///   token that is refused again at once is not a stale token.
final class Upstream401Limit: Sendable {
    static let interval = AuthLimits.upstream401Interval
    private let last = Locked<Double?>(nil)

    /// nil and the slot taken when a refresh may run now; else the seconds since the last one.
    func take(now: Double = Monotonic.seconds()) -> Double? {
        last.withLock { last in
            if let l = last, now - l < Self.interval { return now - l }
            last = now
            return nil
        }
    }
}

extension Refresher {
    /// `rejected` is the fingerprint (TokenFingerprint) of the token Factory refused; "" if unknown.
    func refreshAfterUpstream401(rejected: String) -> Result<JSONValue, IPCError> {
        guard tier == .refreshToken else { return current() }
        let access = accessToken
        if !rejected.isEmpty, let access, TokenFingerprint.of(access) != rejected {
            Log.info("authd: Factory refused token \(rejected), which is no longer the current one (\(TokenFingerprint.of(access))); answering the current token")
            return current()
        }
        if let ago = upstream401.take() {
            Log.warning("authd: Factory refused the current access token again \(Int(ago)) s after the last refresh a Factory 401 caused; not refreshing (at most one per \(Int(Upstream401Limit.interval)) s)")
            return .failure(.remote(code: .refreshLimited,
                                    message: "Factory refused the current access token; a refresh after a Factory 401 already ran \(Int(ago)) s ago (at most one per \(Int(Upstream401Limit.interval)) s), so authd does not rotate the token again"))
        }
        Log.info("authd: refresh requested by edged (Factory answered 401 to the current token)")
        return refreshNow()
    }
}
