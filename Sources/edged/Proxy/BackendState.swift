import IPC
import Shared

/// The backend's state as supervisord last pushed it, in words a client can act on.
struct BackendState {
    /// The `state` supervisord reported (nil: no report), and what it means to this build.
    let state: String?
    var phase: BackendPhase? { state.flatMap(BackendPhase.init(rawValue:)) }
    let message: String?
    let retryInSeconds: Int?
    let port: Int?
    let squatterPid: Int?

    init(_ report: BackendReport?) {
        state = report?.state
        message = report?.message
        retryInSeconds = report?.retryInSeconds
        port = report?.port
        squatterPid = report?.squatterPid
    }

    /// No point holding the request: nothing will come back on its own.
    var isHopeless: Bool { phase == .missing || phase == .stopped }

    var description: String {
        guard let state else { return "backend state unknown (supervisord is not reachable)" }
        switch phase {
        case .missing?: return "cli-proxy-api is not installed" + (message.map { " — \($0)" } ?? "")
        case .starting?: return "the backend is starting"
        case .backoff?: return "the backend crashed and is restarting" + (retryInSeconds.map { " in \($0) s" } ?? "")
        case .unhealthy?: return "the backend stopped answering health checks and is being restarted"
        case .stopped?: return "the backend is stopped"
        case .ready?: return "supervisord reports the backend ready"
        case .portTaken?:
            let who = squatterPid.map { "another process (pid \($0))" } ?? "another process (one droidgate cannot see)"
            return "port \(port.map(String.init) ?? "?") on 127.0.0.1 is taken by \(who), not droidgate's backend; edged sends it nothing"
        case nil: return "backend state \(state)"
        }
    }
}
