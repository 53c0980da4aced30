// supervisord: owns the cli-proxy-api child — its config, its process, its health.
import IPC
import Shared

let arguments = DaemonArguments.parse(
    Array(CommandLine.arguments.dropFirst()), name: "supervisord",
    summary: "Runs the cli-proxy-api backend for droidgate and reports its state over IPC.")
let config = arguments.loadConfigOrExit(name: "supervisord")
let host = DaemonHost(name: .supervisord, arguments: arguments, config: config, listenFDs: ListenFDs.takeFromEnvironment())

let stateDir = Environment.get("STATE_DIRECTORY") ?? config.paths.backendStateDir
do {
    if !Files.exists(stateDir) { try Files.makeDirectory(stateDir, mode: 0o700) }
} catch {
    Log.error("supervisord: cannot create the backend state dir: \(error)")
    exitProcess(1)
}

let backend = Backend(config: config.backend)
host.run(ops: SupervisorOps.table(host: host, backend: backend), readyStatus: backend.summary,
         reload: { backend.update(config: $0.backend) })
