import FakeKit
import Shared

/// `fake-workos` command line.
struct Options: Sendable {
    var host = "127.0.0.1"
    var port = 0
    var accessTTL = 28_800
    var clientID = Options.defaultClientID
    var seedRefresh: [String] = []
    var statePath: String?
    var latencyMs = 0
    /// Approve a pending device authorization by itself after this many polls.
    var autoApproveAfter: Int?
    var deviceInterval = 5
    var deviceExpiresIn = 300

    /// Factory's public CLI client (README, "Credentials (authd)").
    static let defaultClientID = "client_01HNM792M5G5G1A2THWPXKFMXB"

    static let usage = """
        Usage: fake-workos --port N [options]   (a test stand-in for WorkOS user management)
          --port N                  listen port (0 picks a free one; default 0)
          --host H                  listen address (default 127.0.0.1)
          --access-ttl SECONDS      lifetime of issued access tokens (JWT exp = iat + this; default 28800)
          --client-id ID            the only client_id accepted (default \(defaultClientID))
          --seed-refresh TOKEN      make TOKEN a valid refresh token (its own session); repeatable.
                                    A token the state file already knows is left as it is.
          --state-file PATH         keep all token state in PATH (0600, rewritten atomically after
                                    every change) and load it at start, so a restart keeps it
          --latency-ms N            wait before answering every WorkOS request
          --auto-approve-after N    approve a device authorization after N pending polls
          --device-interval S       polling interval announced by authorize/device (default 5)
          --device-expires-in S     device code lifetime (default 300)
          --version                 print the version (droidgate's) and exit
          -h, --help                this help

        WorkOS routes: POST /user_management/authenticate (grant_type refresh_token, or
        urn:ietf:params:oauth:grant-type:device_code), POST /user_management/authorize/device.
        Test controls (never counted as WorkOS traffic):
          POST /_fake/knobs {"latency_ms":N, "status":N, "error":"CODE", "count":K, "hang":true,
                             "redirect":"URL", "redirect_status":3xx, "die_after_answer":true,
                             "access_ttl":S, "slow_down":K}     GET /_fake/knobs
          POST /_fake/seed {"refresh_token":"R"}       GET /_fake/state      GET /_fake/current-access
          POST /_fake/approve {"user_code":"..."}|{}   POST /_fake/deny {"user_code":"..."}|{}
          POST /_fake/revoke-access {"access_token":"..."}|{}   POST /_fake/revoke-all
        """

    typealias ParseResult = Flags.ParseResult<Options>

    static func parse(_ args: [String]) -> ParseResult {
        let values: Set<String> = [
            "port", "host", "access-ttl", "client-id", "seed-refresh", "state-file", "latency-ms",
            "auto-approve-after", "device-interval", "device-expires-in",
        ]
        return Flags.parse(args, valueFlags: values, boolFlags: [], into: Options()) { o, name, v in
            let bad = "invalid value \"\(v)\" for --\(name)"
            switch name {
            case "port": guard let n = Flags.int(v, 0...65535) else { return bad }; o.port = n
            case "host": o.host = v.isEmpty ? "127.0.0.1" : v
            case "access-ttl": guard let n = Flags.int(v, 0...Int(Int32.max)) else { return bad }; o.accessTTL = n
            case "client-id": guard !v.isEmpty else { return bad }; o.clientID = v
            case "seed-refresh": guard !v.isEmpty else { return bad }; o.seedRefresh.append(v)
            case "state-file": guard !v.isEmpty else { return bad }; o.statePath = v
            case "latency-ms": guard let n = Flags.int(v, 0...3_600_000) else { return bad }; o.latencyMs = n
            case "auto-approve-after": guard let n = Flags.int(v, 0...1_000_000) else { return bad }; o.autoApproveAfter = n
            case "device-interval": guard let n = Flags.int(v, 0...3600) else { return bad }; o.deviceInterval = n
            case "device-expires-in": guard let n = Flags.int(v, 1...86_400) else { return bad }; o.deviceExpiresIn = n
            default: return "unknown flag --\(name)"
            }
            return nil
        }
    }
}
