import Glibc
import IPC
import Shared

/// Finding and reaching a daemon's socket from the CLI.
extension CommandOptions {
    /// The runtime dir: the dev root's run/ when it exists (or --root was
    /// given), else the config's paths.runtimeDir (/run/droidgate under systemd).
    func runtimeDir(_ config: Config) -> String {
        let dev = devRoot + "/run"
        return Files.exists(dev) || root != nil ? dev : config.paths.runtimeDir
    }

    /// Where a daemon's socket is and who may serve it. A dev root must be a
    /// folder no other user could have written (nor any folder above it), and
    /// its sockets must be served by the invoking user; a system socket by
    /// root or the daemon's own system user (`ServerIdentity`).
    func socketTarget(_ daemon: DaemonName, _ config: Config) -> Result<(path: String, servedBy: Set<uid_t>), IPCError> {
        var paths = config.paths
        let dir = runtimeDir(config)
        guard dir != config.paths.runtimeDir || root != nil else {
            return .success((paths.socket(daemon), ServerIdentity.system(daemon)))
        }
        // Nothing there yet (nothing runs): the connect says so; the peer check still holds.
        guard Files.exists(dir) else {
            paths.runtimeDir = dir
            return .success((paths.socket(daemon), ServerIdentity.devRoot()))
        }
        switch TrustedDirectory.check(dir) {
        case .failure(let why):
            return .failure(.untrustedServer("the dev root's \(why); nothing was sent"))
        case .success(let resolved):
            paths.runtimeDir = resolved
            return .success((paths.socket(daemon), ServerIdentity.devRoot()))
        }
    }

    /// Connects to a daemon or exits with a message saying what to do.
    func connect(_ daemon: DaemonName, _ config: Config, command: String) -> IPCClient {
        let target: (path: String, servedBy: Set<uid_t>)
        switch socketTarget(daemon, config) {
        case .failure(let e):
            printError("droidgate \(command): \(daemon.rawValue): \(e); run droidgate from a folder of your own, or pass --root DIR (or --config) pointing at one")
            exitProcess(1)
        case .success(let t): target = t
        }
        do {
            return try IPCClient(path: target.path, role: IPCRole.cli, timeout: 5, servedBy: target.servedBy)
        } catch {
            var hint = "is droidgate running? (`droidgate up`, or `systemctl start droidgate.target`)"
            if case .system(let e) = error, e.errno == 13 { hint = "permission denied: run as root or a member of the droidgate-admin group" }
            if case .badHello(let why) = error, why.contains("may not connect") { hint = "run as root or a member of the droidgate-admin group" }
            if case .untrustedServer = error { hint = "another user may be impersonating droidgate: find out who runs that process" }
            printError("droidgate \(command): cannot reach \(daemon.rawValue) at \(target.path): \(error); \(hint)")
            exitProcess(1)
        }
    }

    /// One request to a daemon, its failure returned rather than fatal (for
    /// commands that report on every daemon: `status`, `doctor`).
    func request(_ daemon: DaemonName, _ config: Config, op: OpName, _ args: JSONObject = [:],
                 connectTimeout: Double = 3, timeout: Double = 5) -> Result<JSONValue, IPCError> {
        do {
            let target = try socketTarget(daemon, config).get()
            let client = try IPCClient(path: target.path, role: IPCRole.cli, timeout: connectTimeout, servedBy: target.servedBy)
            defer { client.close() }
            return .success(try client.call(op, args, timeout: timeout).result)
        } catch {
            return .failure(error)
        }
    }

    /// One request to a daemon, or exit with the daemon's reason.
    func call(_ daemon: DaemonName, _ config: Config, command: String, op: OpName, _ args: JSONObject = [:], timeout: Double = 30) -> JSONValue {
        let client = connect(daemon, config, command: command)
        defer { client.close() }
        do {
            return try client.call(op, args, timeout: timeout).result
        } catch {
            printError("droidgate \(command): \(error)")
            exitProcess(1)
        }
    }
}
