import Glibc
import Shared

/// "Ready" means the backend answers HTTP: `GET /healthz` → 200, or (older
/// builds without /healthz) `GET /v1/models` with the key → 200. Its own
/// "started successfully" line is not trusted: it prints that even when the
/// bind failed.
///
/// Each probe connection is written to only when the child owned the port's
/// listener both before the connect (the caller checked) and after it was
/// established: the same listening socket held the port throughout, so the
/// connection is in its queue, never a squatter's.
enum HealthProbe {
    enum Result: Equatable {
        case healthy
        case refused          // nothing listening
        case failing(String)  // listening but not answering well
        case notOurs          // the listener stopped being the child's: nothing was sent
    }

    /// `held`: the listening sockets supervisord holds a duplicate of (`ListenerHold`).
    static func check(port: Int, apiKey: String, child pid: pid_t, held: Set<LoopbackListeners.Inode>, timeout: Double = 2) -> Result {
        let ours = { ListenerOwnership.check(port: port, child: pid, held: held).isChild }
        switch LoopbackHTTP.get(port: port, path: "/healthz", timeout: timeout, maxBytes: 4096, beforeSending: ours) {
        case .response(200, _): return .healthy
        case .response(404, _):
            switch LoopbackHTTP.get(port: port, path: "/v1/models", headers: [("Authorization", "Bearer \(apiKey)")],
                                    timeout: timeout, beforeSending: ours) {
            case .response(200, _): return .healthy
            case .withheld: return .notOurs
            default: return .failing("GET /healthz answered 404 and GET /v1/models did not answer 200")
            }
        case .response(let s, _): return .failing("GET /healthz answered \(s)")
        case .refused: return .refused
        case .failed(let why): return .failing(why)
        case .withheld: return .notOurs
        }
    }
}
