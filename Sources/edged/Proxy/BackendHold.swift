/// When a request to the backend is tried again, and when it is given up:
/// the whole policy in one place (the connection applies the verdicts).
/// - connect refused / could not be opened: held while the backend may be
///   coming back, retried every 100 ms, up to `limits.backendHoldSeconds`;
/// - a fresh connection reset before the backend read the request: the same,
///   at most `maxResetRetries` times;
/// - a reused pooled connection that failed before the backend read the
///   request (the keep-alive race): once, at once, on a fresh connection;
/// - anything else (the backend read it and closed, or answered garbage): no retry.
struct BackendHold {
    enum Verdict: Equatable {
        /// Try again at this monotonic time.
        case retry(at: UInt64)
        /// Give up: answer 503 naming the backend's state.
        case giveUp
    }

    static let retryInterval: UInt64 = 100_000_000
    static let maxResetRetries = 3

    private(set) var holdUntil: UInt64 = 0
    private(set) var retryAt: UInt64 = 0
    private var resets = 0
    private var staleRetried = false

    /// A new request.
    mutating func reset() { self = BackendHold() }

    var isHolding: Bool { holdUntil != 0 }

    /// The backend could not be reached now.
    mutating func unreachable(now: UInt64, holdNanos: UInt64, backendHopeless: Bool) -> Verdict {
        if holdUntil == 0 { holdUntil = now + holdNanos }
        if backendHopeless || now >= holdUntil {
            retryAt = 0
            return .giveUp
        }
        retryAt = now + Self.retryInterval
        return .retry(at: retryAt)
    }

    /// A fresh connection was reset before the request was read: may it be held and retried?
    mutating func mayRetryAfterReset() -> Bool {
        guard resets < Self.maxResetRetries else { return false }
        resets += 1
        return true
    }

    /// A reused pooled connection failed before the request was read: retry it at once (once)?
    mutating func mayRetryStaleConnection() -> Bool {
        guard !staleRetried else { return false }
        staleRetried = true
        return true
    }

    /// A held request's retry is due.
    mutating func takeDueRetry(now: UInt64) -> Bool {
        guard retryAt != 0, now >= retryAt else { return false }
        retryAt = 0
        return true
    }
}
