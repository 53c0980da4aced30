import FakeKit
import Shared

/// Everything fake-workos knows about tokens. A session (what the access
/// token's `sid` names) is one refresh-token family: exactly one of its
/// refresh tokens works at a time, and using it replaces it (rotation).
struct TokenState: Sendable {
    struct Session: Sendable {
        let id: String
        /// The one refresh token of this session that works now.
        var current: String?
        var revoked = false
    }

    struct Access: Sendable {
        let token: String
        let session: Int
        let exp: Int
        var revoked = false
    }

    enum DeviceStatus: String, Sendable {
        case pending, approved, denied, consumed
    }

    struct Device: Sendable {
        let deviceCode: String
        let userCode: String
        let expiresAt: Int
        var status: DeviceStatus
        var polls = 0
    }

    var secret: [UInt8]
    var userID: String
    var userCreatedAt: String
    var sessions: [Session] = []
    /// Every refresh token ever issued or seeded, with its session index, in order.
    var refreshTokens: [(token: String, session: Int)] = []
    var refreshOwner: [String: Int] = [:]
    var accessTokens: [Access] = []
    var issued: [String] = []
    var refreshCount = 0
    var rejectedCount = 0
    var devices: [Device] = []

    static func fresh() -> TokenState {
        TokenState(secret: WorkOSID.secret(), userID: WorkOSID.make("user"),
                   userCreatedAt: WallClock.iso8601(WallClock.now() - 86_400 * 30))
    }

    mutating func addRefresh(_ token: String, session: Int) {
        refreshTokens.append((token, session))
        refreshOwner[token] = session
        sessions[session].current = token
    }

    mutating func newSession(refresh token: String? = nil) -> Int {
        sessions.append(Session(id: WorkOSID.make("session"), current: nil))
        let index = sessions.count - 1
        if let token { addRefresh(token, session: index) }
        return index
    }

    /// A new access token and a new refresh token for session `i` (the old refresh token stops working).
    mutating func issue(session i: Int, ttl: Int, now: Int) -> (access: String, refresh: String) {
        var refresh = IDs.random(28)
        while refreshOwner[refresh] != nil { refresh = IDs.random(28) }
        addRefresh(refresh, session: i)
        let claims: JSONValue = [
            "iss": "https://api.workos.com",
            "sub": .string(userID),
            "sid": .string(sessions[i].id),
            "jti": .string(WorkOSID.ulid()),
            "exp": .int(now + ttl),
            "iat": .int(now),
        ]
        let access = JWT.sign(claims: claims, secret: secret)
        accessTokens.append(Access(token: access, session: i, exp: now + ttl))
        issued.append(access)
        issued.append(refresh)
        return (access, refresh)
    }

    func isValid(_ a: Access, now: Int) -> Bool {
        !a.revoked && !sessions[a.session].revoked && a.exp > now
    }

    // MARK: the state file

    var json: JSONValue {
        [
            "version": 1,
            "secret": .string(secret.hexString),
            "user_id": .string(userID),
            "user_created_at": .string(userCreatedAt),
            "sessions": .array(sessions.map {
                ["id": .string($0.id), "current": $0.current.map(JSONValue.string) ?? nil, "revoked": .bool($0.revoked)]
            }),
            "refresh_tokens": .array(refreshTokens.map { ["token": .string($0.token), "session": .int($0.session)] }),
            "access_tokens": .array(accessTokens.map {
                ["token": .string($0.token), "session": .int($0.session), "exp": .int($0.exp), "revoked": .bool($0.revoked)]
            }),
            "issued": .array(issued.map(JSONValue.string)),
            "refresh_count": .int(refreshCount),
            "rejected_count": .int(rejectedCount),
            "devices": .array(devices.map {
                [
                    "device_code": .string($0.deviceCode), "user_code": .string($0.userCode),
                    "expires_at": .int($0.expiresAt), "status": .string($0.status.rawValue), "polls": .int($0.polls),
                ]
            }),
        ]
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    init(secret: [UInt8], userID: String, userCreatedAt: String) {
        self.secret = secret
        self.userID = userID
        self.userCreatedAt = userCreatedAt
    }

    init(json v: JSONValue) throws(LoadError) {
        func fail(_ what: String) -> LoadError { LoadError(description: "state file: \(what)") }
        guard v["version"]?.intValue == 1 else { throw fail("unknown version") }
        guard let secret = v["secret"]?.stringValue.flatMap({ [UInt8](hex: $0) }), !secret.isEmpty,
              let user = v["user_id"]?.stringValue, let created = v["user_created_at"]?.stringValue
        else { throw fail("missing secret or user") }
        self.init(secret: secret, userID: user, userCreatedAt: created)
        for s in v["sessions"]?.arrayValue ?? [] {
            guard let id = s["id"]?.stringValue else { throw fail("bad session") }
            sessions.append(Session(id: id, current: s["current"]?.stringValue, revoked: s["revoked"]?.boolValue ?? false))
        }
        for r in v["refresh_tokens"]?.arrayValue ?? [] {
            guard let t = r["token"]?.stringValue, let i = r["session"]?.intValue, sessions.indices.contains(i) else {
                throw fail("bad refresh token entry")
            }
            refreshTokens.append((t, i))
            refreshOwner[t] = i
        }
        for a in v["access_tokens"]?.arrayValue ?? [] {
            guard let t = a["token"]?.stringValue, let i = a["session"]?.intValue, sessions.indices.contains(i),
                  let exp = a["exp"]?.intValue
            else { throw fail("bad access token entry") }
            accessTokens.append(Access(token: t, session: i, exp: exp, revoked: a["revoked"]?.boolValue ?? false))
        }
        issued = (v["issued"]?.arrayValue ?? []).compactMap(\.stringValue)
        refreshCount = v["refresh_count"]?.intValue ?? 0
        rejectedCount = v["rejected_count"]?.intValue ?? 0
        for d in v["devices"]?.arrayValue ?? [] {
            guard let dc = d["device_code"]?.stringValue, let uc = d["user_code"]?.stringValue,
                  let exp = d["expires_at"]?.intValue,
                  let status = d["status"]?.stringValue.flatMap(DeviceStatus.init(rawValue:))
            else { throw fail("bad device entry") }
            devices.append(Device(deviceCode: dc, userCode: uc, expiresAt: exp, status: status, polls: d["polls"]?.intValue ?? 0))
        }
    }
}

/// The token state behind a lock, saved to the state file after every change
/// (before the reply that depends on it is written).
final class TokenStore: Sendable {
    let statePath: String?
    private let state: Locked<TokenState>

    init(statePath: String?) throws(TokenState.LoadError) {
        self.statePath = statePath
        var initial = TokenState.fresh()
        if let statePath, Files.exists(statePath) {
            let bytes: [UInt8]
            do {
                bytes = try Files.read(statePath, maxBytes: 256 << 20)
            } catch {
                throw TokenState.LoadError(description: "cannot read state file \(statePath): \(error)")
            }
            let value: JSONValue
            do {
                value = try JSONValue(parsing: bytes)
            } catch {
                throw TokenState.LoadError(description: "state file \(statePath) is not JSON: \(error)")
            }
            initial = try TokenState(json: value)
        }
        state = Locked(initial)
        state.withLock { save($0) }
    }

    private func save(_ s: TokenState) {
        guard let statePath else { return }
        do {
            try Files.writeAtomically(statePath, Array(s.json.serialized()) + [10], mode: 0o600)
        } catch {
            Log.error("cannot save state file \(statePath): \(error)")
        }
    }

    /// Runs `body` with the state locked and saves it afterwards.
    private func mutate<R>(_ body: (inout TokenState) -> R) -> R {
        state.withLock { s in
            let r = body(&s)
            save(s)
            return r
        }
    }

    static var now: Int { Int(WallClock.now()) }

    var userID: String { state.withLock { $0.userID } }
    var userCreatedAt: String { state.withLock { $0.userCreatedAt } }

    // MARK: refresh tokens

    enum SeedOutcome {
        case added, alreadyValid, spent
    }

    /// Makes `token` the refresh token of a new session, unless it is known already.
    func seed(_ token: String) -> SeedOutcome {
        mutate { s in
            if let i = s.refreshOwner[token] {
                return s.sessions[i].current == token && !s.sessions[i].revoked ? .alreadyValid : .spent
            }
            _ = s.newSession(refresh: token)
            s.issued.append(token)
            return .added
        }
    }

    enum RefreshOutcome {
        case tokens(access: String, refresh: String)
        case unknown, alreadyExchanged, sessionEnded
    }

    func refresh(_ token: String, ttl: Int) -> RefreshOutcome {
        mutate { s in
            guard let i = s.refreshOwner[token] else {
                s.rejectedCount += 1
                return .unknown
            }
            if s.sessions[i].revoked {
                s.rejectedCount += 1
                return .sessionEnded
            }
            guard s.sessions[i].current == token else {
                s.rejectedCount += 1
                return .alreadyExchanged
            }
            let pair = s.issue(session: i, ttl: ttl, now: Self.now)
            s.refreshCount += 1
            return .tokens(access: pair.access, refresh: pair.refresh)
        }
    }

    func noteRejected() {
        mutate { $0.rejectedCount += 1 }
    }

    // MARK: device authorization

    func startDevice(expiresIn: Int) -> TokenState.Device {
        mutate { s in
            let d = TokenState.Device(deviceCode: IDs.random(64), userCode: WorkOSID.userCode(),
                                      expiresAt: Self.now + expiresIn, status: .pending)
            s.devices.append(d)
            return d
        }
    }

    enum PollOutcome {
        case tokens(access: String, refresh: String)
        case pending, slowDown, expired, denied, invalid
    }

    func poll(deviceCode: String, ttl: Int, autoApproveAfter: Int?, slowDown: Bool) -> PollOutcome {
        mutate { s in
            guard let k = s.devices.firstIndex(where: { $0.deviceCode == deviceCode }) else { return .invalid }
            switch s.devices[k].status {
            case .consumed: return .invalid
            case .denied: return .denied
            case .pending, .approved: break
            }
            if Self.now >= s.devices[k].expiresAt { return .expired }
            if slowDown {
                s.devices[k].polls += 1
                return .slowDown
            }
            if s.devices[k].status == .pending {
                if let n = autoApproveAfter, s.devices[k].polls >= n {
                    s.devices[k].status = .approved
                } else {
                    s.devices[k].polls += 1
                    return .pending
                }
            }
            s.devices[k].status = .consumed
            let session = s.newSession()
            let pair = s.issue(session: session, ttl: ttl, now: Self.now)
            return .tokens(access: pair.access, refresh: pair.refresh)
        }
    }

    /// Approves (or denies) the pending authorization with `userCode`, or all pending ones; returns how many.
    func decide(userCode: String?, approve: Bool) -> Int {
        mutate { s in
            var n = 0
            let now = Self.now
            for k in s.devices.indices where s.devices[k].status == .pending && s.devices[k].expiresAt > now {
                if let userCode, s.devices[k].userCode.uppercased() != userCode.uppercased() { continue }
                s.devices[k].status = approve ? .approved : .denied
                n += 1
            }
            return n
        }
    }

    // MARK: revocation and inspection

    /// Ends every session: no refresh or access token works any more.
    func revokeAll() {
        mutate { s in
            for i in s.sessions.indices { s.sessions[i].revoked = true }
            for i in s.accessTokens.indices { s.accessTokens[i].revoked = true }
            for k in s.devices.indices where s.devices[k].status == .pending || s.devices[k].status == .approved {
                s.devices[k].status = .denied
            }
        }
    }

    /// Revokes one access token (or all), leaving refresh tokens alone; returns how many.
    func revokeAccess(_ token: String?) -> Int {
        mutate { s in
            var n = 0
            for i in s.accessTokens.indices where !s.accessTokens[i].revoked && (token == nil || s.accessTokens[i].token == token) {
                s.accessTokens[i].revoked = true
                n += 1
            }
            return n
        }
    }

    /// Access tokens a resource server should accept now: issued here, unexpired, not revoked.
    /// (A refresh does not revoke the access tokens issued before it: they are JWTs, valid until `exp`.)
    func validAccessTokens() -> [String] {
        state.withLock { s in
            let now = Self.now
            return s.accessTokens.filter { s.isValid($0, now: now) }.map(\.token)
        }
    }

    var snapshot: JSONValue {
        state.withLock { s in
            let now = Self.now
            return [
                "valid_refresh_tokens": .array(s.sessions.compactMap { $0.revoked ? nil : $0.current.map(JSONValue.string) }),
                "current_access_tokens": .array(s.accessTokens.filter { s.isValid($0, now: now) }.map { .string($0.token) }),
                "issued": .array(s.issued.map(JSONValue.string)),
                "refresh_count": .int(s.refreshCount),
                "rejected_count": .int(s.rejectedCount),
                "sessions": .int(s.sessions.count),
                "devices": .array(s.devices.map {
                    [
                        "user_code": .string($0.userCode), "device_code": .string($0.deviceCode),
                        "status": .string(now >= $0.expiresAt && $0.status == .pending ? "expired" : $0.status.rawValue),
                        "polls": .int($0.polls),
                    ]
                }),
            ]
        }
    }

    /// Holds the lock (so no state file write is half done) while `body` runs; for exiting.
    func frozen(_ body: () -> Never) -> Never {
        state.withLock { _ in body() }
    }
}
