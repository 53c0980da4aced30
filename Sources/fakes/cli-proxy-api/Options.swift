import FakeKit
import Shared

/// The command line, parsed the way Go's `flag` package does it (as the real
/// cli-proxy-api is): `-name` and `--name` alike, values as `-name value` or
/// `-name=value`, booleans as `-name` or `-name=false`.
struct Options: Sendable {
    var configPath: String?
    var localModel = false
    var port: Int?
    var host: String?
    var record = false
    var failHealth = false
    var hangAfterMs: Int?
    var exitImmediately: Int32?
    var noBrowser = false
    /// The provider of the requested login flow, if any.
    var login: String?
    var defaults = Knobs.Defaults()

    /// Login flags of the real binary and the provider name each writes.
    static let loginFlags: [String: String] = [
        "claude-login": "claude",
        "codex-login": "codex",
        "codex-device-login": "codex",
        "antigravity-login": "antigravity",
        "kimi-login": "kimi",
        "xai-login": "xai",
        "zai-login": "zai",
    ]

    private static let boolFlags: Set<String> = [
        "local-model", "record", "fail-health", "no-browser", "tui", "standalone", "home-disable-cluster-discovery",
    ]
    private static let valueFlags: Set<String> = [
        "config", "port", "host", "latency-ms", "hang-after-ms", "exit-immediately", "events", "event-delay-ms",
        "size", "password", "oauth-callback-port", "zai-provider", "vertex-import", "vertex-import-prefix", "home-jwt",
    ]

    static let usage = """
        Usage of fake-cli-proxy-api (a test stand-in for cli-proxy-api):
          -config PATH            config.yaml to read (host, port, api-keys, auth-dir)
          -local-model            accepted for compatibility (no effect)
          --host H                listen address (overrides config; default 127.0.0.1)
          --port N                listen port (overrides config; default 8318; 0 picks a free one)
          --record                keep the last 256 requests' raw bytes for GET /_fake/requests
          --latency-ms N          default wait before every response head
          --events N              default content deltas per stream (3)
          --event-delay-ms N      default pause between stream events (0)
          --size N                default reply text size in bytes
          --fail-health           GET /healthz answers 503
          --hang-after-ms N       after N ms, accept connections but never answer
          --exit-immediately CODE print a fatal line and exit with CODE
          -claude-login | -codex-login | -antigravity-login | -kimi-login | -xai-login [-no-browser]
                                  fake OAuth flow: prints a URL and a code, writes
                                  <auth-dir>/<provider>-fake@example.com.json (0600)
          --version               print the version (droidgate's) and exit
          -h, --help              this help

        Per-request knobs (request headers): x-fake-status, x-fake-latency-ms, x-fake-events,
        x-fake-event-delay-ms, x-fake-size, x-fake-die-after-events, x-fake-close.
        """

    enum ParseResult {
        case run(Options)
        case help
        case version
        case failure(String)
    }

    static func parse(_ args: [String]) -> ParseResult {
        var o = Options()
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            if arg == "--" { break }
            guard arg.hasPrefix("-"), arg != "-" else { return .failure("unexpected argument \(arg)") }
            var name = String(arg.dropFirst(arg.hasPrefix("--") ? 2 : 1))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "h" || name == "help" { return .help }
            if name == "version" { return .version }

            if loginFlags[name] != nil || boolFlags.contains(name) {
                var on = true
                if let inlineValue {
                    guard let b = parseBool(inlineValue) else {
                        return .failure("invalid boolean value \"\(inlineValue)\" for -\(name)")
                    }
                    on = b
                }
                switch name {
                case "local-model": o.localModel = on
                case "record": o.record = on
                case "fail-health": o.failHealth = on
                case "no-browser": o.noBrowser = on
                default:
                    if let provider = loginFlags[name], on, o.login == nil { o.login = provider }
                    // other real flags the fake accepts and ignores (-tui, -standalone …)
                }
                continue
            }
            guard valueFlags.contains(name) else { return .failure("flag provided but not defined: -\(name)") }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard i < args.count else { return .failure("flag needs an argument: -\(name)") }
                value = args[i]
                i += 1
            }
            func int(_ range: ClosedRange<Int>) -> Int? {
                guard let n = Int(value), range.contains(n) else { return nil }
                return n
            }
            let bad = ParseResult.failure("invalid value \"\(value)\" for flag -\(name)")
            switch name {
            case "config": o.configPath = value
            case "host": o.host = value
            case "port": guard let n = int(0...65535) else { return bad }; o.port = n
            case "latency-ms": guard let n = int(0...3_600_000) else { return bad }; o.defaults.latencyMs = n
            case "hang-after-ms": guard let n = int(0...Int(Int32.max)) else { return bad }; o.hangAfterMs = n
            case "exit-immediately": guard let n = int(0...255) else { return bad }; o.exitImmediately = Int32(n)
            case "events": guard let n = int(1...Knobs.maxEvents) else { return bad }; o.defaults.events = n
            case "event-delay-ms": guard let n = int(0...3_600_000) else { return bad }; o.defaults.eventDelayMs = n
            case "size": guard let n = int(0...Knobs.maxSize) else { return bad }; o.defaults.size = n
            default: break   // real flags with values the fake ignores (-password, -oauth-callback-port …)
            }
        }
        return .run(o)
    }

    private static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "1", "t", "true": true
        case "0", "f", "false": false
        default: nil
        }
    }
}
