// authd: the only process that holds Factory credentials and talks to WorkOS.
import IPC
import Shared

let arguments = DaemonArguments.parse(
    Array(CommandLine.arguments.dropFirst()), name: "authd",
    summary: "Holds droidgate's Factory credentials and serves access tokens to edged over IPC.")
let config = arguments.loadConfigOrExit(name: "authd")
let host = DaemonHost(name: .authd, arguments: arguments, config: config, listenFDs: ListenFDs.takeFromEnvironment())

let stateDir = Environment.get("STATE_DIRECTORY") ?? config.paths.authStateDir
do {
    try StateDirectory.prepare(stateDir)
} catch {
    Log.error("authd: \(error)")
    exitProcess(1)
}

let credentials = Credentials(config: config.auth)
host.run(ops: AuthOps.table(host: host, credentials: credentials), readyStatus: credentials.summary,
         reload: { credentials.update(from: $0.auth) })
