// fake-factory: a stand-in for Factory's LLM API (api.factory.ai/api/llm/{a,o,g}/v1/…)
// that droidgate's Factory route talks to in tests, with bearer checks against fake-workos.
// `fake-factory --help` lists the flags and the x-fake-* request knobs.
import FakeKit
import Shared

let options: Options
switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
case .help: FakeMain.help(Options.usage)
case .version: FakeMain.version("fake-factory")
case .failure(let message): FakeMain.usageError(message, Options.usage)
case .run(let o): options = o
}

let auth = options.workosURL.map { "bearer checked against \($0)" }
    ?? (options.acceptKeys.isEmpty ? "any bearer accepted" : "\(options.acceptKeys.count) accepted key(s)")
FakeMain.serve(name: "fake-factory", host: options.host, port: options.port,
               describe: { "fake-factory listening on \($0), \(auth)" + (options.record ? ", recording requests" : "") },
               makeService: { _ in FactoryService(options: options) })
