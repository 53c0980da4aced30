import FakeKit
import Shared

/// `fake-factory` command line.
struct Options: Sendable {
    var host = "127.0.0.1"
    var port = 0
    /// fake-workos base URL: bearer tokens must be access tokens it issued and still counts valid.
    var workosURL: String?
    /// Fixed keys accepted as bearer tokens (the FACTORY_API_KEY tier).
    var acceptKeys: [String] = []
    var record = false
    /// Google route: answer `"stream": false` with one JSON object instead of SSE.
    var googleJSONWhenNotStreaming = false
    /// What GET /factory-cli/LATEST answers (downloads.factory.ai serves the CLI's current version there).
    var latestVersion = "0.90.3"
    var defaults = Knobs.Defaults()

    static let usage = """
        Usage: fake-factory --port N [options]   (a test stand-in for Factory's LLM API)
          --port N                listen port (0 picks a free one; default 0)
          --host H                listen address (default 127.0.0.1)
          --workos URL            accept a bearer only if fake-workos at URL counts it a valid
                                  access token (GET URL/_fake/current-access, cached ~200 ms)
          --accept-key K          also accept bearer K (repeatable; the FACTORY_API_KEY tier).
                                  Without --workos and --accept-key any bearer is accepted.
          --record                keep the last 256 requests for GET /_fake/requests
          --google-json-when-not-streaming
                                  /api/llm/g/v1/generate answers "stream": false with one JSON
                                  object (Factory itself always answers SSE there)
          --latency-ms N          default wait before every response head
          --events N              default content deltas per stream (3)
          --event-delay-ms N      default pause between stream events (0)
          --size N                default reply text size in bytes
          --latest-version V      what GET /factory-cli/LATEST answers (default 0.90.3), as
                                  downloads.factory.ai/factory-cli/LATEST does for the real CLI
          --version               print the version (droidgate's) and exit
          -h, --help              this help

        Routes: POST /api/llm/a/v1/messages, /api/llm/a/v1/messages/count_tokens (Anthropic),
        /api/llm/o/v1/responses (OpenAI Responses), /api/llm/o/v1/chat/completions (OpenAI chat),
        /api/llm/g/v1/generate (Gemini generateContent body with "model"; SSE reply).
        Every request needs "Authorization: Bearer <token>" (else 401 {"detail": ...}).
        Per-request knobs (request headers): x-fake-status, x-fake-latency-ms, x-fake-events,
        x-fake-event-delay-ms, x-fake-size, x-fake-die-after-events, x-fake-close.
        Controls: GET /_fake/requests, POST /_fake/reset, GET /_fake/stats, POST /_fake/next
        {"status":N,"events":K,"event_delay_ms":D,"latency_ms":L,"die_after_events":E,"size":S,"redirect":{"to":URL,"status":307},"count":C}
        (knobs for the next C Factory requests: edged forwards no x-fake-* header).
        """

    typealias ParseResult = Flags.ParseResult<Options>

    static func parse(_ args: [String]) -> ParseResult {
        let values: Set<String> = ["port", "host", "workos", "accept-key", "latency-ms", "events", "event-delay-ms", "size", "latest-version"]
        let bools: Set<String> = ["record", "google-json-when-not-streaming"]
        return Flags.parse(args, valueFlags: values, boolFlags: bools, into: Options()) { o, name, v in
            let bad = "invalid value \"\(v)\" for --\(name)"
            switch name {
            case "port": guard let n = Flags.int(v, 0...65535) else { return bad }; o.port = n
            case "host": o.host = v.isEmpty ? "127.0.0.1" : v
            case "workos":
                guard v.hasPrefix("http://") else { return "--workos wants an http:// URL, got \"\(v)\"" }
                o.workosURL = v
            case "accept-key": guard !v.isEmpty else { return bad }; o.acceptKeys.append(v)
            case "record": o.record = true
            case "google-json-when-not-streaming": o.googleJSONWhenNotStreaming = true
            case "latency-ms": guard let n = Flags.int(v, 0...3_600_000) else { return bad }; o.defaults.latencyMs = n
            case "events": guard let n = Flags.int(v, 1...Knobs.maxEvents) else { return bad }; o.defaults.events = n
            case "event-delay-ms": guard let n = Flags.int(v, 0...3_600_000) else { return bad }; o.defaults.eventDelayMs = n
            case "size": guard let n = Flags.int(v, 0...Knobs.maxSize) else { return bad }; o.defaults.size = n
            case "latest-version": o.latestVersion = v
            default: return "unknown flag --\(name)"
            }
            return nil
        }
    }
}
