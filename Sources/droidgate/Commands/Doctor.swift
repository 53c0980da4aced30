import Shared

/// `droidgate doctor`: checks the whole installation, one line per check,
/// each failed one with what to do about it.
enum DoctorCommand {
    static let help = """
    Usage: droidgate doctor [--config PATH] [--root DIR] [--json]
                            [--settings PATH] [--api-key-file PATH]

    Checks, one line each (✓ holds, ✗ does not, with what to do):
      config               the config file parses (droidgate.json(5))
      authd, supervisord, edged
                           each daemon answers on its IPC socket and runs the
                           same version as this droidgate
      listener             the client listener answers GET /healthz
      backend command      cli-proxy-api exists, its version, and whether it
                           knows -local-model (builds before 2026-03-18 do not)
      backend state        supervisord has the backend ready
      backend accounts     provider accounts: how many per provider, which are
                           disabled or expired
      factory credentials  authd's tier, token expiry, last refresh, and
                           whether WorkOS asks for a new login
      droid settings       Droid CLI has droidgate's models, pointing at this
                           listener, and the stack still serves each of them
      units enabled, units active
                           under systemd: droidgate's units (skipped under
                           `droidgate up`)
      state dir auth, state dir backend
                           owner and mode (0700) of the daemons' state folders
      journal              warnings and errors of the last hour (journalctl;
                           under `droidgate up` the daemons' output is on the
                           launcher's terminal, so this is skipped)

    Exits 0 when every check holds, 1 otherwise.

      --json               print an array of {"check", "ok", "detail", "fix"} (and
                           "skipped": true for a check not made here)
      --settings PATH      Droid CLI's settings (default ~/.factory/settings.json;
                           under sudo, the invoking user's)
      --api-key-file PATH  the client key to ask the listener with (default:
                           the key in droidgate's Droid entries)
      --config PATH        the config file (default: /etc/droidgate/droidgate.json
                           if it exists, as the daemons do; else built-in defaults)
      --root DIR           the dev root of `droidgate up`, as for `droidgate status`

    Reading authd's and supervisord's state needs root or the droidgate-admin
    group on a systemd install; reading the journal needs root or the adm or
    systemd-journal group.
    """

    static func run(_ args: [String]) -> Never {
        var o = CommandOptions.parse(args, command: "doctor", help: help, switches: ["--json"],
                                     valued: ["--settings", "--api-key-file"])
        // The daemons' default config; a dev root in use stays the one `droidgate up` made here.
        if o.configPath == nil && Files.exists(Config.defaultPath) {
            if o.root == nil && Files.exists(o.devRoot + "/run") { o.root = o.devRoot }
            o.configPath = Config.defaultPath
        }
        let checks = Doctor(options: o).run()
        if o.switches.contains("--json") {
            printOut(JSONValue.array(checks.map(\.json)).prettyPrinted())
        } else {
            for c in checks { printOut(c.line) }
        }
        exitProcess(checks.allSatisfy(\.ok) ? 0 : 1)
    }
}
