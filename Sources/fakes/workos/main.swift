// fake-workos: a stand-in for WorkOS user management (refresh-token rotation
// and the device authorization flow) that authd talks to in tests.
// `fake-workos --help` lists the flags and the /_fake/* controls.
import FakeKit
import Shared

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .help:
    printOut(Options.usage)
    exitProcess(0)
case .version:
    printOut("fake-workos (droidgate) \(Droidgate.version)")
    exitProcess(0)
case .failure(let message):
    printError(message)
    printError(Options.usage)
    exitProcess(2)
case .run(let o):
    options = o
}

let store: TokenStore
do {
    store = try TokenStore(statePath: options.statePath)
} catch {
    printError("fake-workos: \(error)")
    exitProcess(1)
}
for token in options.seedRefresh {
    if case .spent = store.seed(token) {
        Log.notice("--seed-refresh: a token given was already used or revoked; it stays invalid")
    }
}

let listener: Socket
do {
    listener = try Listen.tcp(host: options.host, port: options.port)
} catch {
    printError("fake-workos: listen on \(options.host):\(options.port): \(error)")
    exitProcess(1)
}
let bound = listener.localAddress()?.description ?? "\(options.host):\(options.port)"
let service = WorkOSService(options: options, store: store, baseURL: "http://\(bound)")
let signals = SignalHandlers { event in
    guard case .terminate(let sig) = event else { return }
    Log.notice("received \(SignalHandlers.name(sig)), shutting down")
    store.frozen { exitProcess(0) }
}
printOut("fake-workos listening on http://\(bound)")
Log.notice("fake-workos listening on \(bound), client_id \(options.clientID)"
    + (options.statePath.map { ", state file \($0)" } ?? ""))
withExtendedLifetime(signals) {
    HTTPServer(listener: listener, service: service).run()
}
