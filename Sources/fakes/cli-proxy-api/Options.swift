import FakeKit
import Shared

/// The command line, parsed the way Go's `flag` package does it (as the real
/// cli-proxy-api is): `-name` and `--name` alike, values as `-name value` or
/// `-name=value`, booleans as `-name` or `-name=false`; parsing stops at the
/// first argument that is not a flag (the real one ignores the rest). Besides
/// the real flags (RealFlags) the fake takes its own knobs.
struct Options: Sendable {
    var configPath: String?
    var localModel = false
    var port: Int?
    var host: String?
    var record = false
    var failHealth = false
    var hangAfterMs: Int?
    /// The config watch starts this long after the listener (0: at once, as the
    /// real one: sdk/cliproxy/service_lifecycle.go Run starts the server, then
    /// the watcher). A test knob: it widens that gap so a test can write in it.
    var watchDelayMs = 0
    var exitImmediately: Int32?
    var noBrowser = false
    var oauthCallbackPort: Int?
    /// The requested login flow, if any.
    var login: LoginKind?
    var defaults = Knobs.Defaults()
    /// Behave like a build older than 2026-03-18 (no `-local-model`).
    var oldBuild = false
    /// How long a SIGTERM/SIGINT shutdown waits for busy connections (the real one: 30 s).
    var shutdownGraceMs = 30_000
    /// When a callback login also starts reading a pasted URL (the real one: 15 s).
    var pasteAfterMs = 15_000
    /// The account a fake login signs in.
    var loginEmail = "fake@example.com"

    /// Login flags in the order main.go checks them (the first set one wins).
    static let loginOrder: [(flag: String, kind: LoginKind)] = [
        ("antigravity-login", .antigravity), ("codex-login", .codex), ("codex-device-login", .codexDevice),
        ("claude-login", .claude), ("kimi-login", .kimi), ("xai-login", .xai),
    ]

    /// The fake's own flags (not the real program's).
    private static let knobBools: Set<String> = ["record", "fail-health", "old-build"]
    private static let knobValues: Set<String> = [
        "port", "host", "latency-ms", "hang-after-ms", "exit-immediately", "events", "event-delay-ms", "size",
        "shutdown-grace-ms", "paste-after-ms", "login-email", "watch-delay-ms",
    ]

    static let usage = """
        Usage of fake-cli-proxy-api (a test stand-in for cli-proxy-api):
        Real flags:
          -config PATH            config.yaml: host, port, api-keys, auth-dir, oauth-excluded-models …;
                                  the file itself is watched (inotify on its inode) and hot reloaded
          -local-model            accepted (the fake always uses its embedded catalog)
          -claude-login | -antigravity-login | -codex-login
                                  browser login: prints the auth URL, waits for the callback on
                                  127.0.0.1:<port> (claude 54545, antigravity 51121, codex 1455), and
                                  after --paste-after-ms also reads a pasted callback URL from stdin
          -codex-device-login | -kimi-login | -xai-login
                                  device login: prints a URL and a code, succeeds after 1 s
          -oauth-callback-port N  the callback port of a browser login
          -no-browser             print the URL instead of "opening a browser"
          -tui, -standalone, -home-jwt, -home-disable-cluster-discovery, -password,
          -vertex-import, -vertex-import-prefix
                                  accepted and ignored
        Fake knobs:
          --host H                listen address (overrides config; default 127.0.0.1)
          --port N                listen port (overrides config; default 8318; 0 picks a free one)
          --record                keep the last 256 requests for GET /_fake/requests
          --latency-ms N          default wait before every response head
          --events N              default content deltas per stream (3)
          --event-delay-ms N      default pause between stream events (0)
          --size N                default reply text size in bytes
          --fail-health           GET /healthz answers 503
          --hang-after-ms N       after N ms, accept connections but never answer
          --watch-delay-ms N      start the config watch N ms after the listener (the real one
                                  starts it just after; this widens that gap for tests)
          --exit-immediately CODE print a fatal line and exit with CODE
          --old-build             act as a build older than 2026-03-18: -local-model is an
                                  undefined flag (Go's flag error and usage, exit 2)
          --shutdown-grace-ms N   SIGTERM/SIGINT: wait up to N ms for busy connections (30000)
          --paste-after-ms N      browser login: ask for a pasted callback URL after N ms (15000)
          --login-email E         the account a login signs in (fake@example.com); the file is
                                  <auth-dir>/<provider>-E.json (kimi: kimi-<ms>.json)
          --version               print the version (droidgate's) and exit
          -h, -help, --help       as the real one: the version line, then the real flags
                                  usage (without -local-model under --old-build); then this help

        Per-request knobs (request headers): x-fake-status, x-fake-latency-ms, x-fake-events,
        x-fake-event-delay-ms, x-fake-size, x-fake-die-after-events, x-fake-close,
        x-fake-panic (read the request, then close without answering, as a panicking handler).
        GET /_fake/stats adds "config": {loads, watching, oauth_excluded_models, unknown_keys,
        debug, request_retry, disable_cooling}; GET /_fake/requests entries for Claude models
        carry "upstream_anthropic_beta".
        """

    /// `.failure` is Go flag's error: the message, then the real usage, exit 2.
    typealias ParseResult = Flags.ParseResult<Options>

    /// Not `Flags.scan`: this mirrors Go's flag package on purpose (RealFlags.swift):
    /// it stops at the first non-flag and words its errors as the real binary does.
    static func parse(_ args: [String]) -> ParseResult {
        var o = Options()
        // The knob is read first: it decides which real flags exist.
        o.oldBuild = args.contains { ["-old-build", "--old-build", "-old-build=true", "--old-build=true"].contains($0) }
        var logins: Set<String> = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            if arg == "--" { break }
            guard arg.hasPrefix("-"), arg != "-" else { break }   // Go's flag stops at the first non-flag
            var name = String(arg.dropFirst(arg.hasPrefix("--") ? 2 : 1))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "h" || name == "help" { return .help }
            if name == "version" { return .version }

            let real = RealFlags.kind(of: name, oldBuild: o.oldBuild)
            if real == .bool || knobBools.contains(name) {
                var on = true
                if let inlineValue {
                    guard let b = parseBool(inlineValue) else {
                        return .failure("invalid boolean value \"\(inlineValue)\" for -\(name): parse error")
                    }
                    on = b
                }
                switch name {
                case "local-model": o.localModel = on
                case "record": o.record = on
                case "fail-health": o.failHealth = on
                case "no-browser": o.noBrowser = on
                case "old-build": break
                default: if on { logins.insert(name) } else { logins.remove(name) }
                }
                continue
            }
            guard real != nil || knobValues.contains(name) else { return .failure("flag provided but not defined: -\(name)") }
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
            let bad = ParseResult.failure("invalid value \"\(value)\" for flag -\(name): parse error")
            switch name {
            case "config": o.configPath = value
            case "host": o.host = value
            case "port": guard let n = int(0...65535) else { return bad }; o.port = n
            case "oauth-callback-port": guard let n = Int(value) else { return bad }; o.oauthCallbackPort = n > 0 ? n : nil
            case "latency-ms": guard let n = int(0...3_600_000) else { return bad }; o.defaults.latencyMs = n
            case "hang-after-ms": guard let n = int(0...Int(Int32.max)) else { return bad }; o.hangAfterMs = n
            case "watch-delay-ms": guard let n = int(0...600_000) else { return bad }; o.watchDelayMs = n
            case "exit-immediately": guard let n = int(0...255) else { return bad }; o.exitImmediately = Int32(n)
            case "events": guard let n = int(1...Knobs.maxEvents) else { return bad }; o.defaults.events = n
            case "event-delay-ms": guard let n = int(0...3_600_000) else { return bad }; o.defaults.eventDelayMs = n
            case "size": guard let n = int(0...Knobs.maxSize) else { return bad }; o.defaults.size = n
            case "shutdown-grace-ms": guard let n = int(0...3_600_000) else { return bad }; o.shutdownGraceMs = n
            case "paste-after-ms": guard let n = int(0...3_600_000) else { return bad }; o.pasteAfterMs = n
            case "login-email": o.loginEmail = value
            default: break   // real flags with values the fake ignores (-password, -home-jwt, -vertex-import …)
            }
        }
        o.login = loginOrder.first { logins.contains($0.flag) }?.kind
        return .run(o)
    }

    /// Go's `strconv.ParseBool`.
    private static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }
}
