// authd: the only process that holds Factory credentials and talks to WorkOS.
import Foundation
import IPC
import Lifecycle
import Outbound
import Shared

// Before any thread exists: SIGTERM/SIGINT/SIGHUP stay pending until the
// signal thread takes them, so none is lost during start-up.
SignalHandlers.blockEarly()
// No core dumps and no same-user ptrace: this process holds the Factory credentials (and, in a refresh worker, the WorkOS refresh token).
do { try Processes.forbidCoreDumps() } catch {
    printError("authd: \(error)")
    exitProcess(1)
}

var argv = Array(CommandLine.arguments.dropFirst())
// `authd --refresh-worker [--config PATH] [--not-after T] [--held-tokens-on-stdin]`: one refresh in its own process (see RefreshWorker).
if argv.first == "--refresh-worker" {
    argv.removeFirst()
    let args = DaemonArguments.parse(argv, name: "authd --refresh-worker", summary: "One refresh, run by authd.",
                                     flagHelp: [("--held-tokens-on-stdin", "use the token pair authd writes on stdin, not the stored one")],
                                     valued: ["--not-after"])
    let notAfter = args.values["--not-after"].flatMap(Double.init)
    let held = args.flags.contains("--held-tokens-on-stdin")
    let config = args.loadConfigOrExit(name: "authd")
    RefreshWorker.run(config: config, network: OutboundNetwork.start(config, daemon: "authd refresh worker"), stateDir: Environment.get("STATE_DIRECTORY") ?? config.paths.authStateDir,
                      notAfter: notAfter, heldOnStdin: held)
}

let arguments = DaemonArguments.parse(
    argv, name: "authd",
    summary: "Holds droidgate's Factory credentials (a fixed key or a WorkOS refresh token), refreshes them, and serves access tokens to edged over IPC.")
let config = arguments.loadConfigOrExit(name: "authd")
// The secrets are in `config.auth` now: gone from the environment (and from
// /proc/PID/environ), so no refresh worker or other child inherits them.
for name in Config.secretEnvironment { Environment.scrub(name) }
// WorkOS calls go through network.proxies (round-robin per request), or directly.
let network = OutboundNetwork.start(config, daemon: "authd")
let host = DaemonHost(name: .authd, arguments: arguments, config: config, listenFDs: ListenFDs.takeFromEnvironment())

let store = TokenStore(dir: Environment.get("STATE_DIRECTORY") ?? config.paths.authStateDir)
// State files others can read or someone else owns: a configuration problem a restart cannot
// fix, so exit status 2 (the unit's RestartPreventExitStatus=2) with the one line naming the fix.
do { try store.checkPermissions() } catch {
    Log.error("authd: \(error)")
    exitProcess(2)
}
let refresher: Refresher
do {
    let credentials = Environment.get("CREDENTIALS_DIRECTORY")
    refresher = try Refresher(config: config.auth, configPath: arguments.configPath.map { Files.absolute($0) }, store: store, credentialsDir: credentials)
    try refresher.start(seed: config.auth.refreshTokenSeed ?? Refresher.credential(credentials, "refresh-token"))
} catch {
    Log.error("authd: \(error)")
    exitProcess(1)
}
let logins = DeviceLogins(workos: WorkOS(baseURL: config.auth.workosBaseURL, clientID: config.auth.clientID, network: network, timeout: config.auth.timeoutSeconds))
host.run(ops: AuthOps.table(host: host, refresher: refresher, logins: logins),
         readyStatus: "tier \(refresher.tier.rawValue)")
