import Glibc
import IPC
import Shared

/// `droidgate reload [edged|authd|supervisord]…`: SIGHUP to each daemon.
/// authd and supervisord re-read the config; edged starts a new generation
/// that takes over its sockets while the old one drains (nothing is dropped).
/// Under systemd, `systemctl reload droidgate-<daemon>` does the same.
enum ReloadCommand {
    static let help = """
    Usage: droidgate reload [edged] [authd] [supervisord] [--config PATH] [--root DIR]

    Sends SIGHUP to the named daemons (default: all three). authd and supervisord
    re-read the config (an invalid file is refused and the running config kept);
    edged starts a new generation on the same listening socket and drains the old
    one, so no connection or stream is dropped. Needs the right to signal the
    daemons (the same user, or root).
    """

    static func run(_ args: [String]) -> Never {
        let names = args.filter { DaemonName(rawValue: $0) != nil }
        let o = CommandOptions.parse(args.filter { DaemonName(rawValue: $0) == nil }, command: "reload", help: help)
        let config = o.loadConfig(command: "reload")
        let targets = names.isEmpty ? DaemonName.allCases : names.compactMap(DaemonName.init(rawValue:))
        var failed = false
        for d in targets {
            guard let pid = DaemonStatus(o.call(d, config, command: "reload", op: .status))?.pid else { continue }
            do {
                try Processes.send(SIGHUP, to: pid_t(pid))
                printOut("\(d.rawValue): reload requested (pid \(pid))")
            } catch {
                printError("droidgate reload: cannot signal \(d.rawValue): \(error) (run as the daemons' user or root)")
                failed = true
            }
        }
        exitProcess(failed ? 1 : 0)
    }
}
