/// Argument parsing shared by the daemons: `--config PATH`, `--help`, `--version`,
/// plus daemon-specific flags. Unknown arguments are an error, not ignored.
public struct DaemonArguments: Sendable {
    public var configPath: String?
    public var flags: Set<String> = []

    /// Parses `args` (without argv[0]); prints help or version and exits when asked.
    public static func parse(_ args: [String], name: String, summary: String, flagHelp: [(String, String)] = []) -> DaemonArguments {
        var out = DaemonArguments()
        var i = 0
        let known = Set(flagHelp.map { $0.0 })
        func fail(_ message: String) -> Never {
            printError("\(name): \(message)\nTry '\(name) --help'.")
            exitProcess(2)
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "-h", "--help":
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
            case "--version":
                printOut("\(name) (droidgate) \(Droidgate.version)")
                exitProcess(0)
            case "--config":
                guard i + 1 < args.count else { fail("--config needs a path") }
                out.configPath = args[i + 1]
                i += 1
            default:
                if a.hasPrefix("--config=") { out.configPath = String(a.dropFirst(9)) }
                else if known.contains(a) { out.flags.insert(a) }
                else { fail("unknown argument '\(a)'") }
            }
            i += 1
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

public func printOut(_ s: String) {
    try? FileDescriptor.standardOutput.writeAll(Array((s.hasSuffix("\n") ? s : s + "\n").utf8))
}

public func printError(_ s: String) {
    try? FileDescriptor.standardError.writeAll(Array((s.hasSuffix("\n") ? s : s + "\n").utf8))
}
