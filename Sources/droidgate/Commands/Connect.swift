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

    /// Connects to a daemon or exits with a message saying what to do.
    func connect(_ daemon: DaemonName, _ config: Config, command: String) -> IPCClient {
        var paths = config.paths
        paths.runtimeDir = runtimeDir(config)
        let socket = paths.socket(daemon)
        do {
            return try IPCClient(path: socket, role: IPCRole.cli, timeout: 5)
        } catch {
            var hint = "is droidgate running? (`droidgate up`, or `systemctl start droidgate.target`)"
            if case .system(let e) = error, e.errno == 13 { hint = "permission denied: run as root or a member of the droidgate-admin group" }
            if case .badHello(let why) = error, why.contains("may not connect") { hint = "run as root or a member of the droidgate-admin group" }
            printError("droidgate \(command): cannot reach \(daemon.rawValue) at \(socket): \(error); \(hint)")
            exitProcess(1)
        }
    }

    /// One request to a daemon, its failure returned rather than fatal (for
    /// commands that report on every daemon: `status`, `doctor`).
    func request(_ daemon: DaemonName, _ config: Config, op: OpName, _ args: JSONObject = [:],
                 connectTimeout: Double = 3, timeout: Double = 5) -> Result<JSONValue, IPCError> {
        var paths = config.paths
        paths.runtimeDir = runtimeDir(config)
        do {
            let client = try IPCClient(path: paths.socket(daemon), role: IPCRole.cli, timeout: connectTimeout)
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
