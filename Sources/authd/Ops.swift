import Foundation
import IPC
import Lifecycle
import Shared

/// authd's whole IPC surface: op, who may call it, what answers it.
/// Tokens go to edged only; status and credential management to root/admins
/// only; the refresh token never leaves authd.
enum AuthOps {
    static func table(host: DaemonHost, refresher: Refresher, logins: DeviceLogins) -> [Op] {
        [
            Op(.status, .admin) { _ in
                var s = host.baseStatus(waitingFor: refresher.waitingFor)
                for (k, v) in refresher.report.members(.status).entries { s[k] = v }
                return IPCReply(result: .object(s))
            },
            Op(.tokenGet, .edge) { _ throws(IPCError) in
                IPCReply(result: try refresher.current().get())
            },
            // The reply is the current token; with none held at all (logged out, tokens.json gone),
            // "dropped", so an edged that reconnects after a logout it missed discards its cache.
            // An expired or refused token answers null: edged keeps what it has while it is valid.
            Op(.tokenSubscribe, .edge) { request in
                refresher.tokenEvents.add(request)
                switch refresher.current() {
                case .success(let v): return IPCReply(result: v)
                case .failure(.remote(let code, _)) where code == .noCredentials:
                    return IPCReply(result: TokenMessage.dropped(reason: .noCredentials, tier: nil).json)
                case .failure: return IPCReply(result: .null)
                }
            },
            // edged after a Factory 401 sends {"rejected": fingerprint}: rate-limited (Upstream401Limit).
            // Without it (the access token expired, an operator's forced refresh): refresh now.
            Op(.tokenRefresh, .edge) { request throws(IPCError) in
                if let rejected = TokenRefreshArgs(request.args).rejected {
                    return IPCReply(result: try refresher.refreshAfterUpstream401(rejected: rejected).get())
                }
                Log.info("authd: refresh requested by edged")
                return IPCReply(result: try refresher.refreshNow().get())
            },
            Op(.loginStart, .admin) { _ throws(IPCError) in
                IPCReply(result: try logins.start())
            },
            Op(.loginPoll, .admin) { request throws(IPCError) in
                guard let poll = DeviceLoginPollArgs(request.args) else {
                    throw .remote(code: .badRequest, message: "need \"loginId\"")
                }
                return IPCReply(result: try logins.poll(poll.loginId, refresher: refresher))
            },
            Op(.importCredentials, .admin) { request throws(IPCError) in
                let t = try ImportedCredentials.parse(request.args)
                do { try refresher.adopt(t) } catch {
                    throw .remote(code: .failed, message: "cannot store the imported token: \(error)")
                }
                Log.info("authd: imported a refresh token (\(t.source))")
                return IPCReply(result: .object(refresher.report.members(.standalone)))
            },
            Op(.logout, .admin) { _ throws(IPCError) in
                do { try refresher.logout() } catch {
                    throw .remote(code: .failed, message: "cannot remove the stored tokens: \(error)")
                }
                Log.info("authd: logged out; stored tokens removed")
                return IPCReply(result: .object(refresher.report.members(.standalone)))
            },
        ]
    }
}

/// `import`: a bare refresh token, or the content of Factory CLI's
/// ~/.factory/auth.json (`access_token`, `refresh_token`).
enum ImportedCredentials {
    static func parse(_ args: JSONObject) throws(IPCError) -> TokenStore.Tokens {
        let text: String
        switch CredentialsImport(args) {
        case .refreshToken(let t)?:
            let r = t.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !r.isEmpty else { throw .remote(code: .badRequest, message: "the refresh token is empty") }
            return TokenStore.Tokens(refreshToken: r, accessToken: nil, accessExpiresAt: nil, lastRefresh: nil, source: "import")
        case .authJSON(let t)?:
            text = t
        case nil:
            throw .remote(code: .badRequest, message: "need \"refreshToken\" or \"authJSON\"")
        }
        guard let v = try? JSONValue(parsing: text), let refresh = v["refresh_token"]?.stringValue, !refresh.isEmpty else {
            throw .remote(code: .badRequest, message: "the file is not a Factory auth.json: expected a JSON object with \"refresh_token\" (and \"access_token\")")
        }
        let access = v["access_token"]?.stringValue
        let exp = access.flatMap { JWT.expiry(of: $0) }
        let valid = exp.map { $0 > WallClock.now() + AuthLimits.importedTokenMinValidity } ?? false
        // A still-valid access token is used as is (and its refresh scheduled); else refresh at once.
        return TokenStore.Tokens(refreshToken: refresh, accessToken: valid ? access : nil, accessExpiresAt: valid ? exp : nil,
                                 lastRefresh: valid ? WallClock.now() : nil, source: "import:auth.json")
    }
}
