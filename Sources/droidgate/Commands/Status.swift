import IPC
import Shared

/// `droidgate status`: one line per daemon, from each daemon's own `status` op.
enum StatusCommand {
    static let help = """
    Usage: droidgate status [--config PATH] [--root DIR] [--json] [--backend-log]

    Asks authd, supervisord and edged over IPC how they are doing and prints one
    line each: state, pid, uptime and what each is waiting for. Exits 1 if any
    daemon does not answer. --backend-log also prints the last 100 lines the
    backend (cli-proxy-api) wrote.

    The sockets are looked up in the dev root's run/ folder when it exists
    (what `droidgate up` uses), else in the config's paths.runtimeDir
    (/run/droidgate under systemd).
    """

    static func run(_ args: [String]) -> Never {
        let options = CommandOptions.parse(args, command: "status", help: help, switches: ["--json", "--backend-log"])
        let config = options.loadConfig(command: "status")
        var all: JSONObject = [:]
        var allUp = true
        for daemon in DaemonName.allCases {
            switch options.request(daemon, config, op: .status) {
            case .success(let result):
                all[daemon.rawValue] = result
                if !options.switches.contains("--json") { printOut(line(daemon, result)) }
            case .failure(let error):
                allUp = false
                all[daemon.rawValue] = DaemonStatus.unreachable(error.description)
                if !options.switches.contains("--json") {
                    printOut(pad(daemon.rawValue) + "down     (\(error))")
                }
            }
        }
        if options.switches.contains("--json") { printOut(JSONValue.object(all).prettyPrinted()) }
        if options.switches.contains("--backend-log") {
            let r = options.call(.supervisord, config, command: "status", op: .backendLog, BackendLogArgs(lines: 100).json)
            printOut("--- backend output (last 100 lines) ---")
            for l in BackendLogLines(r).lines { printOut(l) }
        }
        exitProcess(allUp ? 0 : 1)
    }

    static func pad(_ s: String, _ n: Int = 13) -> String { s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0) }

    static func line(_ daemon: DaemonName, _ s: JSONValue) -> String {
        let common = DaemonStatus(s)
        var parts = [pad(daemon.rawValue) + pad(common?.state ?? "?", 9)]
        if let c = common { parts += ["pid \(c.pid)", "up \(duration(c.uptimeSeconds))"] }
        switch daemon {
        case .authd:
            if let r = CredentialsReport(s, .status) {
                parts.append("tier \(r.tier.rawValue)")
                parts.append("credentials \(r.state.rawValue)")
                if let e = r.expiresAt { parts.append("token until \(e)") }
                if let l = r.lastRefresh { parts.append("refreshed \(l)") }
            }
        case .supervisord:
            if let b = BackendReport(s[BackendReport.statusKey]) { parts.append("backend \(b.state)" + squatter(b)) }
        case .edged:
            if let l = s["listen"]?.stringValue { parts.append("listening on \(l)") }
            for peer in ["authd", "supervisord"] {
                guard let p = s["ipc"]?[peer] else { continue }
                let connected = p["connected"]?.boolValue == true
                parts.append("\(peer) \(connected ? "connected" : "disconnected") (\(p["connects"]?.intValue ?? 0)x)")
            }
        }
        if let w = common?.waitingFor { parts.append("waiting for: \(w)") }
        return parts.joined(separator: "  ")
    }

    /// Who holds the backend's port when it is not the backend.
    static func squatter(_ b: BackendReport) -> String {
        guard b.phase == .portTaken else { return "" }
        let who = b.squatterPid.map { "pid \($0)" } ?? "a process droidgate cannot see"
        return " (port \(b.port.map(String.init) ?? "?") held by \(who))"
    }

    static func duration(_ s: Int) -> String {
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\(s % 3600 / 60)m"
    }
}
