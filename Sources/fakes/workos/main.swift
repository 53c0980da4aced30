// fake-workos: a stand-in for WorkOS user management (refresh-token rotation
// and the device authorization flow) that authd talks to in tests.
// `fake-workos --help` lists the flags and the /_fake/* controls.
import FakeKit
import Shared

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .help: FakeMain.help(Options.usage)
case .version: FakeMain.version("fake-workos")
case .failure(let message): FakeMain.usageError(message, Options.usage)
case .run(let o): options = o
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

FakeMain.serve(name: "fake-workos", host: options.host, port: options.port,
               describe: { "fake-workos listening on \($0), client_id \(options.clientID)" + (options.statePath.map { ", state file \($0)" } ?? "") },
               beforeExit: { store.frozen { exitProcess(0) } },
               makeService: { bound in WorkOSService(options: options, store: store, baseURL: "http://\(bound)") })
