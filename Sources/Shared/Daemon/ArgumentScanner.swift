/// The one command-line scanner, under the daemons' `DaemonArguments`, the
/// CLI's `CommandOptions` and the fakes' `Flags`: `--name value` and
/// `--name=value` for valued flags, bare `--name` for switches (`--name=false`
/// turns one off), `-h`/`--help` and `--version` answered before anything
/// else. Names are given without dashes. With `goStyle` (the fakes, which
/// mimic Go's flag package) a single dash works too: `-port 1`, `-help`.
/// Unknown flags and stray words are errors, never ignored.
public enum ArgumentScanner {
    public enum Outcome: Sendable {
        case help
        case version
        case failure(String)
        /// Every flag in order, with its value (nil for a switch).
        case parsed([Flag])
    }

    public struct Flag: Sendable, Equatable {
        public let name: String
        public let value: String?
    }

    public static func scan(_ args: [String], valued: Set<String>, switches: Set<String>, goStyle: Bool = false) -> Outcome {
        let helps = goStyle ? ["-h", "--help", "-help"] : ["-h", "--help"]
        if args.contains(where: helps.contains) { return .help }
        if args.contains(where: { $0 == "--version" || (goStyle && $0 == "-version") }) { return .version }
        var out: [Flag] = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            let dashes = arg.hasPrefix("--") ? 2 : (goStyle && arg.hasPrefix("-") ? 1 : 0)
            guard dashes > 0, arg.count > dashes else { return .failure("unexpected argument '\(arg)'") }
            var name = String(arg.dropFirst(dashes))
            var inline: String? = nil
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if switches.contains(name) {
                switch inline?.lowercased() {
                case nil, "1", "t", "true": out.append(Flag(name: name, value: nil))
                case "0", "f", "false": break
                default: return .failure("invalid boolean value \"\(inline!)\" for --\(name)")
                }
                continue
            }
            guard valued.contains(name) else { return .failure("unknown argument '\(arg)'") }
            if let inline {
                out.append(Flag(name: name, value: inline))
            } else {
                guard i < args.count else { return .failure("--\(name) needs a value") }
                out.append(Flag(name: name, value: args[i]))
                i += 1
            }
        }
        return .parsed(out)
    }

    /// An integer flag value within `range`, else nil.
    public static func int(_ value: String?, _ range: ClosedRange<Int>) -> Int? {
        guard let value, let n = Int(value), range.contains(n) else { return nil }
        return n
    }
}
