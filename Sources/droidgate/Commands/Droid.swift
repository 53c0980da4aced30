import Foundation
import Shared

/// `droidgate droid install | uninstall | status`: droidgate's models as
/// Droid CLI custom models in ~/.factory/settings.json.
enum DroidCommand {
    static let help = """
    Usage:
      droidgate droid install [--settings PATH] [--api-key-file PATH] [--builtin]
      droidgate droid uninstall [--settings PATH]
      droidgate droid status [--settings PATH] [--api-key-file PATH]

    install registers the models the RUNNING stack serves, as Droid CLI custom
    models (id custom:droidgate:<model>) pointing at this droidgate's listener.
    It asks the listener in the config (GET /v1/models: the backend's models for
    the logged-in accounts plus the configured Factory models) and describes each
    model from a built-in table of model families (display name, Droid provider
    type, output limit, reasoning efforts); an entry in the config's
    "droid.models" overrides the table for its model. Run it again after a
    login to add the new models. With no stack running it stops with exit 1.
    Only droidgate's own entries are touched: every other setting and every
    model you added stays as it is, formatting included. The file is backed up
    first (settings.json.droidgate-<timestamp>.bak) and replaced atomically; a
    file that is not a JSON object is refused unchanged.

    status lists droidgate's registered models and marks those the running
    stack no longer serves (or says that the stack cannot be asked).

      --settings PATH      the settings file (default ~/.factory/settings.json)
      --api-key-file PATH  a file holding the client key: sent to the listener
                           and put in the entries (needed when clients.apiKeys
                           is configured; on a loopback listener without keys a
                           placeholder is used)
      --builtin            install without asking the stack: the config's
                           "droid.models", or the built-in catalog of current
                           models (claude, codex, antigravity, kimi, xai)
    Also --config PATH and --root DIR, as everywhere.
    """

    static func run(_ args: [String]) -> Never {
        guard let sub = args.first, ["install", "uninstall", "status"].contains(sub) else {
            if args.contains("-h") || args.contains("--help") { printOut(help); exitProcess(0) }
            printError(help)
            exitProcess(2)
        }
        let o = CommandOptions.parse(Array(args.dropFirst()), command: "droid \(sub)", help: help,
                                     switches: sub == "install" ? ["--builtin"] : [],
                                     valued: sub == "uninstall" ? ["--settings"] : ["--settings", "--api-key-file"])
        let config = o.loadConfig(command: "droid \(sub)")
        let path = settingsPath(o)
        let existing = Files.exists(path) ? (try? Files.read(path, maxBytes: 16 << 20)) : nil
        if Files.exists(path) && existing == nil { fail(sub, "cannot read \(path)") }

        switch sub {
        case "status":
            status(o, config, existing.map { DroidSettings.installed($0) } ?? [], path)
        case "install":
            let key = apiKey(o, config, sub)
            let base = "http://\(config.listen.description)"
            let models = o.switches.contains("--builtin") ? config.droidModels : served(o, config, sub, key: key)
            let entries = DroidSettings.entries(models, baseURL: base, apiKey: key)
            write(path, existing, entries: entries, sub)
            let from = o.switches.contains("--builtin") ? "" : " served by the running stack"
            printOut("Installed \(entries.count) droidgate models\(from) into \(path) (base URL \(base)): \(models.map(\.model).joined(separator: ", ")). Pick them in Droid with /model.")
        default:
            guard let existing else { printOut("Nothing to remove: \(path) does not exist."); exitProcess(0) }
            write(path, existing, entries: [], sub)
            printOut("Removed droidgate's models from \(path); your other settings are unchanged.")
        }
        exitProcess(0)
    }

    /// The Droid models for what the running stack serves, or exit 1 saying why there are none.
    static func served(_ o: CommandOptions, _ config: Config, _ sub: String, key: String) -> [DroidModel] {
        let url = StackModels.baseURL(config.listen)
        let ids: [String]
        switch StackModels.fetch(listen: config.listen, apiKey: o.values["--api-key-file"] == nil ? nil : key) {
        case .failure(let u) where u.noListener:
            fail(sub, "\(u); start it with `droidgate up` or `systemctl start droidgate.target`, or pass --builtin to register the built-in table")
        case .failure(let u):
            fail(sub, "\(u); or pass --builtin to register the built-in table")
        case .success(let list):
            ids = list
        }
        let selection = DroidCatalog.forServed(ids, config: config)
        if !selection.skipped.isEmpty {
            printOut("Not registered (not chat models): \(selection.skipped.joined(separator: ", "))")
        }
        guard !selection.models.isEmpty else {
            fail(sub, "the stack at \(url) serves no models: log in to a provider (`droidgate backend login claude|codex|antigravity|kimi|xai`) and run this again, or pass --builtin to register the built-in table")
        }
        return selection.models
    }

    static func status(_ o: CommandOptions, _ config: Config, _ ours: [JSONValue], _ path: String) -> Never {
        if ours.isEmpty {
            printOut("No droidgate models in \(path); `droidgate droid install` adds them.")
            exitProcess(0)
        }
        let answer = servedAsDroidAsks(o, config, ours, "status")
        let served = (try? answer.get()).map(Set.init)
        for m in ours {
            let model = m["model"]?.stringValue ?? ""
            let mark = served.map { $0.contains(model) ? "" : "  (not served by the running stack)" } ?? ""
            printOut("\(m["id"]?.stringValue ?? "?")  \(m["displayName"]?.stringValue ?? "")  \(m["baseUrl"]?.stringValue ?? "")\(mark)")
        }
        switch answer {
        case .failure(let u):
            printOut("Cannot ask the running stack which models it serves: \(u).")
        case .success(let ids):
            let registered = Set(ours.compactMap { $0["model"]?.stringValue })
            let missing = DroidCatalog.forServed(ids, config: config).models.map(\.model).filter { !registered.contains($0) }
            if !missing.isEmpty {
                printOut("The running stack also serves \(missing.count) models not registered here (\(missing.joined(separator: ", "))); `droidgate droid install` adds them.")
            }
        }
        exitProcess(0)
    }

    static let placeholderKey = "droidgate-local"

    /// What the running stack serves, asked with the key Droid sends (that of
    /// the registered entries; the placeholder is no key), or --api-key-file's.
    static func servedAsDroidAsks(_ o: CommandOptions, _ config: Config, _ ours: [JSONValue],
                                  _ sub: String) -> Result<[String], StackModels.Unavailable> {
        let installedKey = ours.compactMap { $0["apiKey"]?.stringValue }.first { $0 != placeholderKey }
        let key = o.values["--api-key-file"] != nil ? readKeyFile(o, sub) : installedKey
        return StackModels.fetch(listen: config.listen, apiKey: key)
    }

    /// Droid CLI's settings file: --settings, else ~/.factory/settings.json.
    static func settingsPath(_ o: CommandOptions) -> String {
        o.values["--settings"] ?? ((Environment.get("HOME") ?? "/root") + "/.factory/settings.json")
    }

    static func apiKey(_ o: CommandOptions, _ config: Config, _ sub: String) -> String {
        if o.values["--api-key-file"] != nil { return readKeyFile(o, sub) }
        if !config.clients.apiKeyDigests.isEmpty {
            fail(sub, "clients.apiKeys is configured: give the key Droid should send with --api-key-file PATH (the config holds only its digest)")
        }
        return placeholderKey
    }

    static func readKeyFile(_ o: CommandOptions, _ sub: String) -> String {
        let file = o.values["--api-key-file"] ?? ""
        guard let b = try? Files.read(file, maxBytes: 4096) else { fail(sub, "cannot read \(file)") }
        let k = String(decoding: b, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !k.isEmpty else { fail(sub, "\(file) is empty") }
        return k
    }

    static func write(_ path: String, _ existing: [UInt8]?, entries: [JSONValue], _ sub: String) {
        let original = existing ?? Array("{\n}\n".utf8)
        let updated: [UInt8]
        do { updated = try DroidSettings.edit(original, add: entries) } catch {
            fail(sub, "refusing to edit \(path): \(error)")
        }
        do {
            if let existing {
                let stamp = WallClock.iso8601().replacingOccurrences(of: ":", with: "")
                var backup = "\(path).droidgate-\(stamp).bak"
                var n = 1
                while Files.exists(backup) { backup = "\(path).droidgate-\(stamp)-\(n).bak"; n += 1 }
                let mode = (try? Files.status(path).mode) ?? 0o600
                try Files.writeAtomically(backup, existing, mode: mode)
                try Files.writeAtomically(path, updated, mode: mode)
                printOut("Backup: \(backup)")
            } else {
                try Files.makeDirectory(Files.directoryName(path), mode: 0o700)
                try Files.writeAtomically(path, updated, mode: 0o600)
            }
        } catch {
            fail(sub, "cannot write \(path): \(error) (nothing was changed)")
        }
    }

    static func fail(_ sub: String, _ m: String) -> Never {
        printError("droidgate droid \(sub): \(m)")
        exitProcess(1)
    }
}
