import Shared

/// authd's credentials as its `status` reply carries them: one definition,
/// encoded by authd and decoded by every reader (`droidgate status`,
/// `droidgate doctor`), so a tier or state name is written once, here. The
/// wire names never change (an older CLI reads them).
public struct CredentialsReport: Sendable, Equatable {
    public enum Tier: String, Sendable, CaseIterable {
        /// A fixed FACTORY_API_KEY.
        case apiKey = "api-key"
        /// A WorkOS refresh token, refreshed by authd.
        case refreshToken = "refresh-token"
        /// None stored: clients' own Factory keys pass through.
        case passthrough
    }

    public enum State: String, Sendable, CaseIterable {
        case starting, ok, refreshing
        /// The last refresh failed (retried with backoff), or a rotated pair is not on disk yet.
        case degraded
        /// WorkOS refused the refresh token: nothing is refreshed until a new login.
        case reloginRequired = "relogin_required"
        case noCredentials = "no_credentials"
        /// The access token ran out and no refresh is under way.
        case expired
    }

    public var tier: Tier
    public var state: State
    /// ISO 8601 times (refresh-token tier only).
    public var expiresAt: String? = nil
    public var lastRefresh: String? = nil
    public var nextRefresh: String? = nil
    /// Where the stored pair came from (`login`, `import`, `refresh`).
    public var source: String? = nil
    /// A rotated pair that is not on disk yet.
    public var unsaved: Bool? = nil
    public var lastError: String? = nil

    public init(tier: Tier, state: State) {
        self.tier = tier
        self.state = state
    }

    /// Where the report travels: inside authd's `status` reply (the state's key
    /// is "credentials" there), or on its own (`login.poll`'s report, `import`,
    /// `logout`: "state").
    public enum Form: Sendable {
        case status, standalone
        var stateKey: String { self == .status ? "credentials" : "state" }
    }

    /// The report's members, for `form`.
    public func members(_ form: Form) -> JSONObject {
        var o: JSONObject = ["tier": .string(tier.rawValue), form.stateKey: .string(state.rawValue)]
        if tier == .refreshToken {
            o["expiresAt"] = expiresAt.map { .string($0) } ?? .null
            o["lastRefresh"] = lastRefresh.map { .string($0) } ?? .null
            o["nextRefresh"] = nextRefresh.map { .string($0) } ?? .null
            o["source"] = .string(source ?? "?")
            o["unsaved"] = .bool(unsaved ?? false)
        }
        o["lastError"] = lastError.map { .string($0) } ?? .null
        return o
    }

    /// Read from a reply of `form`; nil when it carries no known tier and state.
    public init?(_ v: JSONValue, _ form: Form) {
        guard let t = v["tier"]?.stringValue.flatMap(Tier.init(rawValue:)),
              let s = v[form.stateKey]?.stringValue.flatMap(State.init(rawValue:)) else { return nil }
        tier = t
        state = s
        expiresAt = v["expiresAt"]?.stringValue
        lastRefresh = v["lastRefresh"]?.stringValue
        nextRefresh = v["nextRefresh"]?.stringValue
        source = v["source"]?.stringValue
        unsaved = v["unsaved"]?.boolValue
        lastError = v["lastError"]?.stringValue
    }
}
