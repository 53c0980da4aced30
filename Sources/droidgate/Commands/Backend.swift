import IPC
import Shared

/// `droidgate backend …`: the provider accounts cli-proxy-api holds, and the backend's life.
enum BackendCommand {
    static let help = """
    Usage:
      droidgate backend login <claude|codex|antigravity|kimi|xai> [--callback-port N]
                                                                    sign in to a provider account
      droidgate backend accounts                                    list accounts (no secrets shown)
      droidgate backend accounts --disable ACCOUNT | --enable ACCOUNT | --remove ACCOUNT
      droidgate backend providers [--disable NAME] [--enable NAME]  switch a provider off or on
      droidgate backend restart                                     restart cli-proxy-api
      droidgate backend log [--lines N]                             the backend's last output lines

    Every subcommand takes --config PATH and --root DIR like `droidgate status`.
    The login runs cli-proxy-api's own flow on the droidgate host and prints the
    URL (and code) to open in a browser anywhere; it finishes when the account
    file is written (a new account, or an existing one updated). Claude and
    Antigravity send the browser back to http://localhost:PORT/… on the host
    that runs the backend; on a headless host that page does not load: paste
    its whole address here (`droidgate backend login --help` says more). Providers are switched through cli-proxy-api's oauth-excluded-models
    (hot-reloaded, no restart). Needs root or the droidgate-admin group on a
    systemd install.
    """

    static func run(_ args: [String]) -> Never {
        guard let sub = args.first, !sub.hasPrefix("-") else {
            if args.contains("-h") || args.contains("--help") { printOut(help); exitProcess(0) }
            printError(help)
            exitProcess(2)
        }
        let rest = Array(args.dropFirst())
        switch sub {
        case "login": BackendLogin.run(rest)
        case "accounts": accounts(rest)
        case "providers": providers(rest)
        case "restart": restart(rest)
        case "log": log(rest)
        default:
            printError("droidgate backend: unknown subcommand '\(sub)'\n\n\(help)")
            exitProcess(2)
        }
    }

    static func accounts(_ args: [String]) -> Never {
        let o = CommandOptions.parse(args, command: "backend accounts", help: help, valued: ["--disable", "--enable", "--remove"])
        let config = o.loadConfig(command: "backend accounts")
        let result: JSONValue
        if let (flag, account) = o.values.first, let action = AccountAction.Action(rawValue: String(flag.dropFirst(2))) {
            result = o.call(.supervisord, config, command: "backend accounts", op: .backendAccount,
                            AccountAction(account: account, action: action).json)
            printOut("\(account): \(action.rawValue)d")
        } else {
            result = o.call(.supervisord, config, command: "backend accounts", op: .backendAccounts)
        }
        let list = AccountList(result).accounts
        if list.isEmpty { printOut("No accounts yet: `droidgate backend login <provider>` adds one.") }
        for a in list {
            let cols = [a.account, a.provider ?? "-", a.email ?? "-",
                        "expires " + (a.expires ?? "-"), a.disabled ? "DISABLED" : "enabled"]
            printOut(cols.joined(separator: "  "))
        }
        exitProcess(0)
    }

    static func providers(_ args: [String]) -> Never {
        // Repeated --disable / --enable flags are collected in order.
        var disable: [String] = [], enable: [String] = [], rest: [String] = []
        var i = 0
        while i < args.count {
            if (args[i] == "--disable" || args[i] == "--enable") && i + 1 < args.count {
                (args[i] == "--disable" ? { disable.append(args[i + 1]) } : { enable.append(args[i + 1]) })()
                i += 2
            } else {
                rest.append(args[i])
                i += 1
            }
        }
        let o = CommandOptions.parse(rest, command: "backend providers", help: help)
        let config = o.loadConfig(command: "backend providers")
        let r = o.call(.supervisord, config, command: "backend providers", op: .backendProviders,
                       ProvidersChange(disable: disable, enable: enable).json)
        let off = DisabledProviders(r).disabled
        printOut(off.isEmpty ? "All providers enabled." : "Disabled providers: \(off.joined(separator: ", "))")
        exitProcess(0)
    }

    static func restart(_ args: [String]) -> Never {
        let o = CommandOptions.parse(args, command: "backend restart", help: help)
        let config = o.loadConfig(command: "backend restart")
        _ = o.call(.supervisord, config, command: "backend restart", op: .backendRestart)
        printOut("Restarting the backend; `droidgate status` shows when it is ready again.")
        exitProcess(0)
    }

    static func log(_ args: [String]) -> Never {
        let o = CommandOptions.parse(args, command: "backend log", help: help, valued: ["--lines"])
        let config = o.loadConfig(command: "backend log")
        let n = Int(o.values["--lines"] ?? "100") ?? 100
        let r = o.call(.supervisord, config, command: "backend log", op: .backendLog, BackendLogArgs(lines: n).json)
        for l in BackendLogLines(r).lines { printOut(l) }
        exitProcess(0)
    }
}
