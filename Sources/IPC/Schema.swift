/// The IPC protocol's vocabulary, each name written once for client and
/// server (as Postfix's `mail_proto.h` names each request): ops, pushed
/// events, error codes, peer roles. Which daemon serves an op and who may
/// call it stays in that daemon's `Ops.swift` table.
///
/// The raw strings are the wire protocol: an older CLI or daemon sends and
/// expects exactly these, so none may ever change. Daemon and CLI code uses
/// the named constants; a string literal converts only so that tests and
/// tools can speak the wire as a foreign peer would.

/// A name on the wire: typed, so an op name cannot be passed as an event's,
/// written once as a constant, and printed as the string it is.
public protocol WireName: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible
where RawValue == String, StringLiteralType == String {
    init(rawValue: String)
}

extension WireName {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}

/// An op's name on the wire.
public struct OpName: WireName {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

extension OpName {
    // Every daemon.
    public static let status: OpName = "status"

    // authd.
    public static let tokenGet: OpName = "token.get"
    /// Reply: the current token; then `EventName.token` events.
    public static let tokenSubscribe: OpName = "token.subscribe"
    public static let tokenRefresh: OpName = "token.refresh"
    public static let loginStart: OpName = "login.start"
    public static let loginPoll: OpName = "login.poll"
    public static let importCredentials: OpName = "import"
    public static let logout: OpName = "logout"

    // supervisord.
    public static let backendGet: OpName = "backend.get"
    /// Reply: the backend's state; then `EventName.backendState` events.
    public static let backendSubscribe: OpName = "backend.subscribe"
    public static let backendSeen: OpName = "backend.seen"
    public static let backendRestart: OpName = "backend.restart"
    public static let backendLog: OpName = "backend.log"
    public static let backendAccounts: OpName = "backend.accounts"
    public static let backendAccount: OpName = "backend.account"
    public static let backendProviders: OpName = "backend.providers"
    /// Reply: the login's number; then `EventName.backendLogin` events.
    public static let backendLogin: OpName = "backend.login"
    public static let backendLoginInput: OpName = "backend.login.input"
    public static let reload: OpName = "reload"
}

/// A pushed event's name on the wire (`{"event": name, "sub": id, "data": …}`).
public struct EventName: WireName {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

extension EventName {
    /// authd → `token.subscribe`rs: a new access token, or `"dropped": true`.
    public static let token: EventName = "token"
    /// supervisord → `backend.subscribe`rs: the backend's state changed.
    public static let backendState: EventName = "backend.state"
    /// supervisord → the connection that started a `backend.login`: output, then the result.
    public static let backendLogin: EventName = "backend.login"
}

extension IPCError {
    /// An error reply's stable code on the wire (`{"error": {"code": …, "message": …}}`).
    public struct Code: WireName {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
    }
}

extension IPCError.Code {
    // The protocol's own.
    public static let unknownOp: IPCError.Code = "unknown_op"
    public static let forbidden: IPCError.Code = "forbidden"
    public static let badRequest: IPCError.Code = "bad_request"
    public static let badHello: IPCError.Code = "bad_hello"
    public static let unavailable: IPCError.Code = "unavailable"
    public static let failed: IPCError.Code = "failed"

    // authd's credentials (edged tells them apart: `TokenSource.current`).
    /// No Factory credentials at all: edged passes clients' own keys through.
    public static let noCredentials: IPCError.Code = "no_credentials"
    /// WorkOS refused the refresh token: only a new login helps.
    public static let reloginRequired: IPCError.Code = "relogin_required"
    /// The access token (or a device login's code) expired.
    public static let expired: IPCError.Code = "expired"
    /// A refresh after a Factory 401 ran too recently (`Upstream401Limit`).
    public static let refreshLimited: IPCError.Code = "refresh_limited"
    /// The device login was denied in the browser.
    public static let denied: IPCError.Code = "denied"
}

/// The role a client names in its hello.
public enum IPCRole {
    /// The operator's CLI (see `PeerSurprise`).
    public static let cli = "cli"
    public static let edged = "edged"
}

/// `login.poll`'s `status` while a device login is under way.
public enum LoginPollStatus: String, Sendable {
    case pending
    case slowDown = "slow_down"
    case ok
}

/// The backend's state as supervisord reports it: `state` in the replies to
/// `backend.get` and `backend.subscribe` and in `backend.state` events.
public enum BackendPhase: String, Sendable, CaseIterable {
    case missing, starting, ready, unhealthy, backoff, stopped
    /// Someone else listens on the backend's port: no backend runs, and
    /// nothing (no request, no probe, no key) is sent there.
    case portTaken = "port-taken"
}
