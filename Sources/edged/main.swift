// edged: the public listener and the request path.
import IPC
import Shared

let arguments = DaemonArguments.parse(
    Array(CommandLine.arguments.dropFirst()), name: "edged",
    summary: "Accepts client connections on droidgate's port and routes them to the backend or Factory.")
let config = arguments.loadConfigOrExit(name: "edged")
let listenFDs = ListenFDs.takeFromEnvironment()
let host = DaemonHost(name: .edged, arguments: arguments, config: config, listenFDs: listenFDs)

let listener: EdgeListener
do {
    listener = try EdgeListener.acquire(config: config, passed: listenFDs)
} catch {
    Log.error("edged: \(error)")
    exitProcess(1)
}

let peers = Peers(paths: config.paths)
peers.start()
host.run(ops: EdgeOps.table(host: host, listener: listener, peers: peers),
         readyStatus: "listening on \(listener.address)",
         stop: { peers.stop() })
