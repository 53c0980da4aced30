/// Argument parsing shared by the daemons: `--config PATH`, `--help`, `--version`,
/// plus daemon-specific flags. Unknown arguments are an error, not ignored.
public struct DaemonArguments: Sendable {
    public var configPath: String?
    public var flags: Set<String> = []
    /// Values of the daemon's own valued flags, by flag (`--name`).
    public var values: [String: String] = [:]

    /// Parses `args` (without argv[0]); prints help or version and exits when asked.
    /// `flagHelp`: the daemon's own switches (`--name`) and what each does;
    /// `valued`: its own flags taking a value (`--name`), given in `values`.
    public static func parse(_ args: [String], name: String, summary: String, flagHelp: [(String, String)] = [],
                             valued: Set<String> = []) -> DaemonArguments {
        func fail(_ message: String) -> Never {
            printError("\(name): \(message)\nTry '\(name) --help'.")
            exitProcess(2)
        }
        let switches = Set(flagHelp.map { String($0.0.drop { $0 == "-" }) })
        let ownValued = Set(valued.map { String($0.drop { $0 == "-" }) })
        var out = DaemonArguments()
        switch ArgumentScanner.scan(args, valued: ownValued.union(["config"]), switches: switches) {
        case .help:
            var text = """
            Usage: \(name) [--config PATH] [options]

            \(summary)

            Options:
              --config PATH   the droidgate config file (default: \(Config.defaultPath) if it exists,
                              else built-in defaults)
            """
            for (flag, help) in flagHelp { text += "\n  \(flag.padding(toLength: 15, withPad: " ", startingAt: 0)) \(help)" }
            text += "\n  --version       print the version and exit\n  -h, --help      show this help\n"
            printOut(text)
            exitProcess(0)
        case .version:
            printOut("\(name) (droidgate) \(Droidgate.version)")
            exitProcess(0)
        case .failure(let m):
            fail(m)
        case .parsed(let flags):
            for f in flags {
                if f.name == "config" { out.configPath = f.value }
                else if let v = f.value { out.values["--" + f.name] = v }
                else { out.flags.insert("--" + f.name) }
            }
        }
        if out.configPath == nil && Files.exists(Config.defaultPath) { out.configPath = Config.defaultPath }
        return out
    }

    /// Loads the config or exits with status 2 and one line naming file, key and problem.
    public func loadConfigOrExit(name: String) -> Config {
        do {
            let config = try ConfigLoader.load(path: configPath, environment: Environment.all())
            Log.setLevel(config.logLevel)
            return config
        } catch {
            Log.error("\(name): \(error)")
            exitProcess(2)
        }
    }
}

/// One line (or several) for the operator on stdout. Terminal controls in
/// `s` are made visible (`TerminalText`): much of what a command prints came
/// from a daemon or the backend, and none of it may drive the terminal.
public func printOut(_ s: String) {
    let t = TerminalText.safe(s)
    try? FileDescriptor.standardOutput.writeAll(Array((t.hasSuffix("\n") ? t : t + "\n").utf8))
}

public func printError(_ s: String) {
    let t = TerminalText.safe(s)
    try? FileDescriptor.standardError.writeAll(Array((t.hasSuffix("\n") ? t : t + "\n").utf8))
}
