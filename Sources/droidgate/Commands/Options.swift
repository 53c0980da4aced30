import Shared

/// Flags common to the subcommands, plus each command's own.
struct CommandOptions {
    var configPath: String?
    var root: String?
    var switches: Set<String> = []
    var values: [String: String] = [:]

    /// `switches`: flags without a value; `valued`: flags taking one value.
    static func parse(_ args: [String], command: String, help: String,
                      switches: Set<String> = [], valued: Set<String> = []) -> CommandOptions {
        var o = CommandOptions()
        var i = 0
        func fail(_ m: String) -> Never {
            printError("droidgate \(command): \(m)\nTry 'droidgate \(command) --help'.")
            exitProcess(2)
        }
        func value(_ flag: String) -> String {
            guard i + 1 < args.count else { fail("\(flag) needs a value") }
            i += 1
            return args[i]
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "-h", "--help": printOut(help); exitProcess(0)
            case "--config": o.configPath = value(a)
            case "--root": o.root = value(a)
            default:
                if switches.contains(a) { o.switches.insert(a) }
                else if valued.contains(a) { o.values[a] = value(a) }
                else { fail("unknown argument '\(a)'") }
            }
            i += 1
        }
        return o
    }

    /// Loads the config (or defaults) or exits with the one-line reason.
    func loadConfig(command: String) -> Config {
        do {
            let c = try ConfigLoader.load(path: configPath, environment: Environment.all())
            Log.setLevel(c.logLevel)
            return c
        } catch {
            printError("droidgate \(command): \(error)")
            exitProcess(2)
        }
    }

    /// The dev root: --root, else `.droidgate` beside the config file, else ./.droidgate.
    var devRoot: String {
        if let root { return Files.absolute(root) }
        if let configPath { return Files.absolute(Files.directoryName(configPath)) + "/.droidgate" }
        return Files.currentDirectory() + "/.droidgate"
    }
}
