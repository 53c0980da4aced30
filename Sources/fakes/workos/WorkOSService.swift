import FakeKit
import Shared

/// The routes of WorkOS user management a Factory CLI login uses, and the fake's `/_fake/*` controls.
///
/// Shapes (sources): the token reply `{"user", "organization_id", "access_token", "refresh_token",
/// "authentication_method"}` and the user object are WorkOS's AuthenticateResponse / User (WorkOS API
/// reference, its SDKs' models); errors are OAuth's `{"error", "error_description"}` with status 400
/// (RFC 6749 §5.2, RFC 8628 §3.5); a spent refresh token answers `invalid_grant` /
/// "Refresh token already exchanged." as WorkOS does (workos/workos-node#1202); the device
/// authorization reply is WorkOS's DeviceAuthorizationResponse (`expires_in` 300, `interval` 5).
/// Guesses, for want of a source: the `error_description` texts other than that one, 401
/// `invalid_client` for a wrong client_id, and `{"message": …}` bodies for 404 and injected statuses.
final class WorkOSService: FakeService {
    let options: Options
    let store: TokenStore
    let stats = Stats()
    let knobs: Locked<WorkOSKnobs>
    /// `http://host:port` as bound, for the verification URIs.
    let baseURL: String

    static let email = "fake@example.com"
    static let deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

    init(options: Options, store: TokenStore, baseURL: String) {
        self.options = options
        self.store = store
        self.baseURL = baseURL
        var k = WorkOSKnobs(accessTTL: options.accessTTL)
        k.latencyMs = options.latencyMs
        knobs = Locked(k)
    }

    // MARK: FakeService

    var maxBodyBytes: Int { 1 << 20 }
    var keepsRawRequests: Bool { false }

    func rejectBody(status: Int, message: String) -> JSONValue {
        ["error": "invalid_request", "error_description": .string(message)]
    }

    func handle(_ req: HTTPRequest, _ w: ResponseWriter) -> Disposition {
        let reply = Reply(writer: w, close: !req.wantsKeepAlive)
        if req.path.hasPrefix("/_fake/") { return control(req, reply) }

        let (latency, hang) = knobs.withLock { k in
            let hang = k.hangCount > 0
            if hang { k.hangCount -= 1 }
            return (k.latencyMs, hang)
        }
        if latency > 0, !PeerWatch.pause(w.socket, milliseconds: latency) { return .close }
        if hang {
            Log.notice("hang knob: never answering this \(req.method) \(req.path)")
            while PeerWatch.pause(w.socket, milliseconds: 60_000) {}
            return .close
        }
        switch (req.method, req.path) {
        case ("POST", "/user_management/authenticate"): return authenticate(req, reply)
        case ("POST", "/user_management/authorize/device"): return authorizeDevice(req, reply)
        case ("GET", "/device"), ("HEAD", "/device"):
            let text = "fake-workos: nobody signs in here. Approve a code with POST /_fake/approve {\"user_code\":\"...\"}.\n"
            return reply.raw(200, contentType: "text/plain; charset=utf-8", Array(text.utf8))
        default:
            return reply.json(404, ["message": "Not Found"])
        }
    }

    // MARK: WorkOS

    private func oauthError(_ reply: Reply, _ status: Int, _ error: String, _ description: String) -> Disposition {
        reply.json(status, ["error": .string(error), "error_description": .string(description)])
    }

    /// Form fields (`application/x-www-form-urlencoded`, what WorkOS documents) or a JSON object's members.
    private func parameters(_ req: HTTPRequest) -> [String: String]? {
        let type = (req.header("Content-Type") ?? "").lowercased()
        var out: [String: String] = [:]
        if type.contains("json") || (!type.contains("form") && req.body.first == UInt8(ascii: "{")) {
            guard let value = try? JSONValue(parsing: req.body), let object = value.objectValue else { return nil }
            for (key, v) in object where out[key] == nil {
                switch v {
                case .string(let s): out[key] = s
                case .null: break
                default: out[key] = v.serializedString()
                }
            }
            return out
        }
        for (key, value) in formPairs(String(decoding: req.body, as: UTF8.self)) where out[key] == nil { out[key] = value }
        return out
    }

    /// nil when the client is the configured one, else the error reply.
    private func checkClient(_ p: [String: String], _ reply: Reply) -> Disposition? {
        guard let id = p["client_id"], !id.isEmpty else {
            return oauthError(reply, 400, "invalid_request", "Missing required parameter: client_id.")
        }
        guard id == options.clientID else {
            return oauthError(reply, 401, "invalid_client", "Invalid client ID.")
        }
        return nil
    }

    private func authenticate(_ req: HTTPRequest, _ reply: Reply) -> Disposition {
        let redirect = knobs.withLock { k -> (Int, String)? in
            guard let to = k.redirectTo, k.redirectCount > 0 else { return nil }
            k.redirectCount -= 1
            if k.redirectCount == 0 { k.redirectTo = nil }
            return (k.redirectStatus, to)
        }
        if let (status, to) = redirect {
            return reply.json(status, ["message": .string("fake-workos: redirect injected by /_fake/knobs")],
                              headers: [HTTPHeader(name: "Location", value: to)])
        }
        let injected = knobs.withLock { k -> (Int, String?)? in
            guard let s = k.status, k.statusCount > 0 else { return nil }
            let code = k.errorCode
            k.statusCount -= 1
            if k.statusCount == 0 { k.status = nil; k.errorCode = nil }
            return (s, code)
        }
        if let (status, code) = injected {
            if let code {
                return oauthError(reply, status, code, "fake-workos: \(code) injected by /_fake/knobs")
            }
            return reply.json(status, ["message": .string("fake-workos: status \(status) injected by /_fake/knobs"),
                                       "code": "fake_injected_status"])
        }
        guard let p = parameters(req) else {
            return oauthError(reply, 400, "invalid_request", "The body must be form-encoded or a JSON object.")
        }
        let grant = p["grant_type"] ?? ""
        if let failure = checkClient(p, reply) {
            if grant == "refresh_token" { store.noteRejected() }
            return failure
        }
        let ttl = knobs.withLock { $0.accessTTL }
        switch grant {
        case "refresh_token":
            guard let token = p["refresh_token"], !token.isEmpty else {
                store.noteRejected()
                return oauthError(reply, 400, "invalid_request", "Missing required parameter: refresh_token.")
            }
            switch store.refresh(token, ttl: ttl) {
            case .tokens(let access, let refresh):
                return tokenReply(reply, access: access, refresh: refresh, mayDie: true)
            case .unknown:
                return oauthError(reply, 400, "invalid_grant", "Invalid refresh token.")
            case .alreadyExchanged:
                return oauthError(reply, 400, "invalid_grant", "Refresh token already exchanged.")
            case .sessionEnded:
                return oauthError(reply, 400, "invalid_grant", "Session has already ended.")
            }
        case Self.deviceGrant:
            guard let code = p["device_code"], !code.isEmpty else {
                return oauthError(reply, 400, "invalid_request", "Missing required parameter: device_code.")
            }
            let slow = knobs.withLock { k in
                guard k.slowDownCount > 0 else { return false }
                k.slowDownCount -= 1
                return true
            }
            switch store.poll(deviceCode: code, ttl: ttl, autoApproveAfter: options.autoApproveAfter, slowDown: slow) {
            case .tokens(let access, let refresh):
                return tokenReply(reply, access: access, refresh: refresh, mayDie: false)
            case .pending:
                return oauthError(reply, 400, "authorization_pending", "The authorization request is still pending.")
            case .slowDown:
                return oauthError(reply, 400, "slow_down", "Polling too frequently; increase the interval by 5 seconds.")
            case .expired:
                return oauthError(reply, 400, "expired_token", "The device code has expired.")
            case .denied:
                return oauthError(reply, 400, "access_denied", "The user declined the authorization request.")
            case .invalid:
                return oauthError(reply, 400, "invalid_grant", "The device code is invalid or has already been used.")
            }
        case "":
            return oauthError(reply, 400, "invalid_request", "Missing required parameter: grant_type.")
        default:
            return oauthError(reply, 400, "unsupported_grant_type", "Unsupported grant type: \(grant).")
        }
    }

    private var user: JSONValue {
        let now = WallClock.iso8601()
        return [
            "object": "user", "id": .string(store.userID), "email": .string(Self.email), "email_verified": true,
            "first_name": "Fake", "last_name": "User", "profile_picture_url": nil, "last_sign_in_at": .string(now),
            "external_id": nil, "metadata": [:], "created_at": .string(store.userCreatedAt), "updated_at": .string(now),
        ]
    }

    private func tokenReply(_ reply: Reply, access: String, refresh: String, mayDie: Bool) -> Disposition {
        let body: JSONValue = [
            "user": user, "organization_id": nil, "access_token": .string(access), "refresh_token": .string(refresh),
            "authentication_method": "Password",
        ]
        let die = mayDie && knobs.withLock { k in
            defer { k.dieAfterAnswer = false }
            return k.dieAfterAnswer
        }
        guard die else { return reply.json(200, body) }
        // The state file already holds the new pair. Send the reply with `Connection: close`,
        // end our side so the bytes are delivered ahead of a FIN (never a reset), wait for the
        // client to close, then exit.
        let socket = reply.writer.socket
        _ = Reply(writer: reply.writer, close: true).json(200, body)
        socket.shutdown(writing: true)
        Self.drain(socket, seconds: 2)
        Log.info("POST /user_management/authenticate 200 (die_after_answer: exiting now)")
        store.frozen { exitProcess(0) }
    }

    /// Reads and discards until the peer closes or `seconds` pass.
    private static func drain(_ socket: Socket, seconds: Double) {
        let deadline = Monotonic.nanoseconds() + UInt64(seconds * 1e9)
        var scratch = [UInt8](repeating: 0, count: 4096)
        while Monotonic.nanoseconds() < deadline {
            let left = Int32(max(1, (deadline - Monotonic.nanoseconds()) / 1_000_000))
            guard let readable = try? Poll.readable(socket.fd, timeoutMs: left), readable else { return }
            let n = (try? scratch.withMutableBytes { (b) throws(SystemError) in try socket.fd.read(into: b) }) ?? 0
            if n <= 0 { return }
        }
    }

    private func authorizeDevice(_ req: HTTPRequest, _ reply: Reply) -> Disposition {
        guard let p = parameters(req) else {
            return oauthError(reply, 400, "invalid_request", "The body must be form-encoded or a JSON object.")
        }
        if let failure = checkClient(p, reply) { return failure }
        let d = store.startDevice(expiresIn: options.deviceExpiresIn)
        let uri = baseURL + "/device"
        return reply.json(200, [
            "device_code": .string(d.deviceCode),
            "user_code": .string(d.userCode),
            "verification_uri": .string(uri),
            "verification_uri_complete": .string(uri + "?user_code=" + d.userCode),
            "expires_in": .int(options.deviceExpiresIn),
            "interval": .int(options.deviceInterval),
        ])
    }

    // MARK: /_fake/*

    private func control(_ req: HTTPRequest, _ reply: Reply) -> Disposition {
        let body: JSONValue
        if req.body.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) {
            body = [:]
        } else {
            guard let v = try? JSONValue(parsing: req.body), v.objectValue != nil else {
                return reply.json(400, ["error": "the body must be a JSON object"])
            }
            body = v
        }
        switch (req.method, req.path) {
        case ("GET", "/_fake/knobs"):
            return reply.json(200, knobs.withLock { $0.json })
        case ("POST", "/_fake/knobs"):
            let result: Result<JSONValue, WorkOSKnobs.Invalid> = knobs.withLock { k in
                var copy = k
                do throws(WorkOSKnobs.Invalid) {
                    try copy.apply(body, defaultTTL: options.accessTTL)
                } catch {
                    return .failure(error)
                }
                k = copy
                return .success(k.json)
            }
            switch result {
            case .success(let v): return reply.json(200, v)
            case .failure(let e): return reply.json(400, ["error": .string(e.message)])
            }
        case ("POST", "/_fake/seed"):
            guard let token = body["refresh_token"]?.stringValue, !token.isEmpty else {
                return reply.json(400, ["error": "refresh_token (a non-empty string) is required"])
            }
            switch store.seed(token) {
            case .added: return reply.json(200, ["ok": true])
            case .alreadyValid: return reply.json(200, ["ok": true, "note": "already a valid refresh token"])
            case .spent: return reply.json(409, ["error": "that refresh token was used or revoked already"])
            }
        case ("GET", "/_fake/state"):
            var s = store.snapshot
            if case .object(var o) = s {
                o["knobs"] = knobs.withLock { $0.json }
                s = .object(o)
            }
            return reply.json(200, s)
        case ("GET", "/_fake/current-access"):
            return reply.json(200, ["valid": .array(store.validAccessTokens().map(JSONValue.string))])
        case ("POST", "/_fake/approve"), ("POST", "/_fake/deny"):
            let approve = req.path == "/_fake/approve"
            let n = store.decide(userCode: body["user_code"]?.stringValue, approve: approve)
            return reply.json(n > 0 || body["user_code"] == nil ? 200 : 404, [approve ? "approved" : "denied": .int(n)])
        case ("POST", "/_fake/revoke-access"):
            return reply.json(200, ["revoked": .int(store.revokeAccess(body["access_token"]?.stringValue))])
        case ("POST", "/_fake/revoke-all"):
            store.revokeAll()
            return reply.json(200, ["ok": true])
        case ("GET", "/_fake/stats"):
            return reply.json(200, stats.json)
        default:
            return reply.notFound()
        }
    }
}
