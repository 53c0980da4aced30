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
        func fail(_ m: String) -> Never {
            printError("droidgate \(command): \(m)\nTry 'droidgate \(command) --help'.")
            exitProcess(2)
        }
        func bare(_ names: Set<String>) -> Set<String> { Set(names.map { String($0.drop { $0 == "-" }) }) }
        var o = CommandOptions()
        switch ArgumentScanner.scan(args, valued: bare(valued).union(["config", "root"]), switches: bare(switches)) {
        case .help:
            printOut(help)
            exitProcess(0)
        case .version:
            printOut("droidgate \(Droidgate.version)")
            exitProcess(0)
        case .failure(let m):
            fail(m)
        case .parsed(let flags):
            for f in flags {
                switch (f.name, f.value) {
                case ("config", let v?): o.configPath = v
                case ("root", let v?): o.root = v
                case (let n, let v?): o.values["--" + n] = v
                case (let n, nil): o.switches.insert("--" + n)
                }
            }
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
