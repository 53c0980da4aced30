import Shared

/// What authd tells edged about the Factory token: the reply to `token.get`,
/// `token.subscribe` and `token.refresh`, and each `token` event. One
/// definition, encoded by authd and decoded by edged's `TokenSource`.
public enum TokenMessage: Sendable, Equatable {
    /// The token to send, its tier, and when it expires (Unix seconds; nil: a fixed key).
    case token(String, tier: CredentialsReport.Tier, expiresAt: Double?)
    /// authd holds no credentials any more (a logout, or none at all): edged
    /// must discard its cached token at once.
    case dropped(reason: Reason, tier: CredentialsReport.Tier?)
    /// No token now (an expired or refused one); edged keeps what it has while it is valid.
    case none

    public enum Reason: String, Sendable, CaseIterable {
        case logout
        case noCredentials = "no_credentials"
    }

    public var json: JSONValue {
        switch self {
        case .token(let t, let tier, let exp):
            return ["token": .string(t), "tier": .string(tier.rawValue), "expiresAt": exp.map { .number(JSONNumber($0)) } ?? .null]
        case .dropped(let reason, let tier):
            var o: JSONObject = ["dropped": true, "reason": .string(reason.rawValue)]
            if let tier { o["tier"] = .string(tier.rawValue) }
            return .object(o)
        case .none:
            return .null
        }
    }

    /// Read from a reply or event. A reason this build does not know still
    /// drops the token (the safe side); anything without a token is `.none`.
    public init(_ v: JSONValue) {
        if v["dropped"]?.boolValue == true {
            self = .dropped(reason: v["reason"]?.stringValue.flatMap(Reason.init(rawValue:)) ?? .logout,
                            tier: v["tier"]?.stringValue.flatMap(CredentialsReport.Tier.init(rawValue:)))
        } else if let t = v["token"]?.stringValue {
            self = .token(t, tier: v["tier"]?.stringValue.flatMap(CredentialsReport.Tier.init(rawValue:)) ?? .apiKey,
                          expiresAt: v["expiresAt"]?.doubleValue)
        } else {
            self = .none
        }
    }
}

/// `token.refresh`'s arguments: after a Factory 401, the fingerprint of the
/// token Factory refused (authd refreshes only if it is still its current one);
/// without it, a refresh now.
public struct TokenRefreshArgs: Sendable, Equatable {
    public var rejected: String?
    public init(rejected: String?) { self.rejected = rejected }
    public var json: JSONObject { rejected.map { ["rejected": .string($0)] } ?? [:] }
    public init(_ args: JSONObject) { rejected = args["rejected"].map { $0.stringValue ?? "" } }
}
