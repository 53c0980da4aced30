import Foundation
import Shared

/// `droidgate droid install | uninstall | status`: droidgate's models as
/// Droid CLI custom models in ~/.factory/settings.json.
enum DroidCommand {
    static let help = """
    Usage:
      droidgate droid install [--settings PATH] [--api-key-file PATH]
      droidgate droid uninstall [--settings PATH]
      droidgate droid status [--settings PATH]

    Registers droidgate's models (config "droid.models", or a built-in catalog)
    as Droid CLI custom models (id custom:droidgate:<model>) pointing at this
    droidgate's listener. Only droidgate's own entries are touched: every other
    setting and every model you added stays as it is, formatting included. The
    file is backed up first (settings.json.droidgate-<timestamp>.bak) and
    replaced atomically; a file that is not a JSON object is refused unchanged.

      --settings PATH      the settings file (default ~/.factory/settings.json)
      --api-key-file PATH  a file holding the client key to put in the entries
                           (needed when clients.apiKeys is configured; on a
                           loopback listener without keys a placeholder is used)
    Also --config PATH and --root DIR, as everywhere.
    """

    static func run(_ args: [String]) -> Never {
        guard let sub = args.first, ["install", "uninstall", "status"].contains(sub) else {
            if args.contains("-h") || args.contains("--help") { printOut(help); exitProcess(0) }
            printError(help)
            exitProcess(2)
        }
        let o = CommandOptions.parse(Array(args.dropFirst()), command: "droid \(sub)", help: help, valued: ["--settings", "--api-key-file"])
        let config = o.loadConfig(command: "droid \(sub)")
        let path = o.values["--settings"] ?? ((Environment.get("HOME") ?? "/root") + "/.factory/settings.json")
        let existing = Files.exists(path) ? (try? Files.read(path, maxBytes: 16 << 20)) : nil
        if Files.exists(path) && existing == nil { fail(sub, "cannot read \(path)") }

        switch sub {
        case "status":
            let ours = existing.map { DroidSettings.installed($0) } ?? []
            if ours.isEmpty { printOut("No droidgate models in \(path); `droidgate droid install` adds them.") }
            for m in ours {
                printOut("\(m["id"]?.stringValue ?? "?")  \(m["displayName"]?.stringValue ?? "")  \(m["baseUrl"]?.stringValue ?? "")")
            }
            exitProcess(0)
        case "install":
            let key = apiKey(o, config, sub)
            let base = "http://\(config.listen.description)"
            let entries = DroidSettings.entries(config.droidModels, baseURL: base, apiKey: key)
            write(path, existing, entries: entries, sub)
            printOut("Installed \(entries.count) droidgate models into \(path) (base URL \(base)). Pick them in Droid with /model.")
        default:
            guard let existing else { printOut("Nothing to remove: \(path) does not exist."); exitProcess(0) }
            write(path, existing, entries: [], sub)
            printOut("Removed droidgate's models from \(path); your other settings are unchanged.")
        }
        exitProcess(0)
    }

    static func apiKey(_ o: CommandOptions, _ config: Config, _ sub: String) -> String {
        if let file = o.values["--api-key-file"] {
            guard let b = try? Files.read(file, maxBytes: 4096) else { fail(sub, "cannot read \(file)") }
            let k = String(decoding: b, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !k.isEmpty else { fail(sub, "\(file) is empty") }
            return k
        }
        if !config.clients.apiKeyDigests.isEmpty {
            fail(sub, "clients.apiKeys is configured: give the key Droid should send with --api-key-file PATH (the config holds only its digest)")
        }
        return "droidgate-local"
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
