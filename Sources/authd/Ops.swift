import IPC
import Shared

/// authd's whole IPC surface: op, who may call it, what answers it.
enum AuthOps {
    static func table(host: DaemonHost, credentials: Credentials) -> [Op] {
        [
            Op("status", .anyPeer) { _ in
                var s = host.baseStatus(state: "running", waitingFor: credentials.waitingFor)
                s["tier"] = .string(credentials.tier.rawValue)
                return IPCReply(result: .object(s))
            },
            Op("token.get", .edge) { _ throws(IPCError) in
                guard let token = credentials.accessToken else {
                    throw .remote(code: IPCError.Code.unavailable,
                                  message: "authd holds no Factory access token (tier \(credentials.tier.rawValue))")
                }
                return IPCReply(result: ["token": .string(token), "tier": .string(credentials.tier.rawValue), "expiresAt": nil])
            },
        ]
    }
}
