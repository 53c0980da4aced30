// fake-cli-proxy-api: a stand-in for CLIProxyAPI (router-for-me/CLIProxyAPI)
// that droidgate runs as its backend in tests, demos and benchmarks.
// `fake-cli-proxy-api --help` lists the flags and the x-fake-* request knobs.
import Shared

App.main(Array(CommandLine.arguments.dropFirst()))
