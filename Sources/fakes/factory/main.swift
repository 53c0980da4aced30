// fake-factory: a stand-in for Factory's LLM API (api.factory.ai/api/llm/{a,o,g}/v1/…)
// that droidgate's Factory route talks to in tests, with bearer checks against fake-workos.
// `fake-factory --help` lists the flags and the x-fake-* request knobs.
import FakeKit
import Shared

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .help:
    printOut(Options.usage)
    exitProcess(0)
case .version:
    printOut("fake-factory (droidgate) \(Droidgate.version)")
    exitProcess(0)
case .failure(let message):
    printError(message)
    printError(Options.usage)
    exitProcess(2)
case .run(let o):
    options = o
}

let listener: Socket
do {
    listener = try Listen.tcp(host: options.host, port: options.port)
} catch {
    printError("fake-factory: listen on \(options.host):\(options.port): \(error)")
    exitProcess(1)
}
let bound = listener.localAddress()?.description ?? "\(options.host):\(options.port)"
let signals = SignalHandlers { event in
    guard case .terminate(let sig) = event else { return }
    Log.notice("received \(SignalHandlers.name(sig)), shutting down")
    exitProcess(0)
}
printOut("fake-factory listening on http://\(bound)")
let auth = options.workosURL.map { "bearer checked against \($0)" }
    ?? (options.acceptKeys.isEmpty ? "any bearer accepted" : "\(options.acceptKeys.count) accepted key(s)")
Log.notice("fake-factory listening on \(bound), \(auth)" + (options.record ? ", recording requests" : ""))
withExtendedLifetime(signals) {
    HTTPServer(listener: listener, service: FactoryService(options: options)).run()
}
