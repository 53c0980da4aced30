// edged: the public listener and the request path.
import IPC
import Lifecycle
import Outbound
import Shared

// Before any thread exists: SIGTERM/SIGINT/SIGHUP stay pending until the
// signal thread takes them, so none is lost during start-up.
SignalHandlers.blockEarly()
// No core dumps and no same-user ptrace: this process holds Factory access tokens and clients' keys.
do { try Processes.forbidCoreDumps() } catch {
    printError("edged: \(error)")
    exitProcess(1)
}

let arguments = DaemonArguments.parse(
    Array(CommandLine.arguments.dropFirst()), name: "edged",
    summary: "Accepts client connections on droidgate's port and routes them to the backend or Factory.")
let config = arguments.loadConfigOrExit(name: "edged")
// Factory calls and the LATEST version check go through network.proxies (per request), or directly.
let outbound = OutboundNetwork.start(config, daemon: "edged")
let listenFDs = ListenFDs.takeFromEnvironment()
let host = DaemonHost(name: .edged, arguments: arguments, config: config, listenFDs: listenFDs)

let listener: EdgeListener
let unixListener: EdgeListener?
do {
    listener = try EdgeListener.acquire(config: config, passed: listenFDs)
    unixListener = try EdgeListener.acquireUnix(config: config, passed: listenFDs)
} catch {
    Log.error("edged: \(error)")
    exitProcess(1)
}

let peers = Peers(paths: config.paths, backend: config.backend)
peers.start()
// Backend requests need the backend's key, which supervisord sends: when
// supervisord is there (its socket exists, as under systemd), wait briefly for
// it before accepting, so the first requests after a restart do not get 401.
peers.awaitBackendInfo(socket: config.paths.socket(.supervisord), timeout: 5)
let workers = config.edged.workers > 0 ? config.edged.workers : Processes.cpuCount
let server: EdgeServer
do {
    server = try EdgeServer(listeners: [listener.socket] + (unixListener.map { [$0.socket] } ?? []), context: EdgeContext(config: config, peers: peers, loops: workers, outbound: outbound), workers: workers)
} catch {
    Log.error("edged: cannot start the event loops: \(error)")
    exitProcess(1)
}
server.start()
// Started by a reload: adopt the previous generation's client connections.
if let channel = HandoverReceiver.takeChannel() {
    HandoverReceiver.start(channel) { c in server.adopt(c, closeMode: false) }
}
let drain: @Sendable () -> Void = {
    let left = server.drain(timeout: config.limits.drainTimeoutSeconds)
    if left > 0 { Log.warning("edged: drain timeout reached with \(left) request(s) still running") }
    peers.stop()
}
host.run(ops: EdgeOps.table(host: host, listener: listener, peers: peers),
         readyStatus: "listening on \(listener.address)\(unixListener.map { " and \($0.address)" } ?? "") with \(workers) event loop\(workers == 1 ? "" : "s")",
         stop: drain,
         reloadSignal: {
             // A new generation re-reads the config and takes over the sockets.
             Generation.handOver(host: host, http: listener.socket, unix: unixListener?.socket, arguments: Array(CommandLine.arguments.dropFirst()),
                                 server: server, drainTimeout: config.limits.drainTimeoutSeconds, finish: { peers.stop() })
         },
         ready: { Generation.announceReady() })
